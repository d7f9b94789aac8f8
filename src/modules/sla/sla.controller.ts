import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '../auth/auth.service';
import { RequirePermission } from '../auth/permission.decorator';
import { CurrentUser, type Principal } from '../auth/principal';
import { Meta } from '../auth/request-meta';
import { Permission } from '../auth/roles';
import {
  CreateCalendarRequest, CreatePolicyRequest, DeadLetterQueryRequest, ImportScheduleRequest, RecomputeRequest, UpdateCalendarRequest, UpdatePolicyRequest,
} from './dto/sla.request.dto';
import type { CalendarResponse, CalendarSummaryResponse, DeadLetterResponse, PolicyResponse, RecomputeResponse } from './dto/sla.response.dto';
import { SlaAdminService } from './sla-admin.service';
import { SlaRecomputeService } from './sla-recompute.service';
import { SlaErrorCode, SlaException } from './sla.exception';

const CODE = /^[a-z0-9][a-z0-9_-]{0,39}$/;
function code(v: string, notFound: SlaErrorCode): string {
  if (!CODE.test(v)) throw new SlaException(notFound);
  return v;
}

/**
 * SLA administration: calendars, policies, recomputation, the notification dead-letter list. Calendars and dead
 * letters are scoped to the admin's subtree; national calendars and policies are changed by city-level admins.
 */
@ApiTags('sla 时限')
@Controller('api/v1/sla')
export class SlaController {
  constructor(private readonly admin: SlaAdminService, private readonly recomputer: SlaRecomputeService) {}

  @Get('calendars')
  @RequirePermission(Permission.SlaManage)
  calendars(@CurrentUser() p: Principal): Promise<CalendarSummaryResponse[]> {
    return this.admin.calendars(p);
  }

  @Get('calendars/:code')
  @RequirePermission(Permission.SlaManage)
  calendar(@CurrentUser() p: Principal, @Param('code') c: string): Promise<CalendarResponse> {
    return this.admin.calendar(p, code(c, SlaErrorCode.CALENDAR_NOT_FOUND));
  }

  /** A city or district calendar under a parent (inherits it), applying to a grid subtree. */
  @Post('calendars')
  @RequirePermission(Permission.SlaManage)
  createCalendar(@CurrentUser() p: Principal, @Body() body: CreateCalendarRequest, @Meta() meta: RequestMeta): Promise<CalendarResponse> {
    return this.admin.createCalendar(p, body, meta);
  }

  /** A new version of a calendar; clocks started from now on use it. */
  @Put('calendars/:code')
  @RequirePermission(Permission.SlaManage)
  updateCalendar(@CurrentUser() p: Principal, @Param('code') c: string, @Body() body: UpdateCalendarRequest, @Meta() meta: RequestMeta): Promise<CalendarResponse> {
    return this.admin.updateCalendar(p, code(c, SlaErrorCode.CALENDAR_NOT_FOUND), body, meta);
  }

  /** Imports a year's holiday schedule (节假日安排) as text: `date,kind,name_zh,name_en`. */
  @Post('calendars/:code/schedule')
  @HttpCode(200)
  @RequirePermission(Permission.SlaManage)
  importSchedule(@CurrentUser() p: Principal, @Param('code') c: string, @Body() body: ImportScheduleRequest, @Meta() meta: RequestMeta): Promise<CalendarResponse> {
    return this.admin.importSchedule(p, code(c, SlaErrorCode.CALENDAR_NOT_FOUND), body, meta);
  }

  @Get('policies')
  @RequirePermission(Permission.SlaManage)
  policies(): Promise<PolicyResponse[]> {
    return this.admin.policies();
  }

  /** A platform's own policy (otherwise the default applies). */
  @Post('policies')
  @RequirePermission(Permission.SlaManage)
  createPolicy(@CurrentUser() p: Principal, @Body() body: CreatePolicyRequest, @Meta() meta: RequestMeta): Promise<PolicyResponse> {
    return this.admin.createPolicy(p, body, meta);
  }

  @Put('policies/:code')
  @RequirePermission(Permission.SlaManage)
  updatePolicy(@CurrentUser() p: Principal, @Param('code') c: string, @Body() body: UpdatePolicyRequest, @Meta() meta: RequestMeta): Promise<PolicyResponse> {
    return this.admin.updatePolicy(p, code(c, SlaErrorCode.POLICY_NOT_FOUND), body, meta);
  }

  /** Recomputes the clocks of the tickets matching the filter under the current versions; reports what moved. */
  @Post('recompute')
  @HttpCode(200)
  @RequirePermission(Permission.SlaManage)
  recompute(@CurrentUser() p: Principal, @Body() body: RecomputeRequest): Promise<RecomputeResponse> {
    return this.recomputer.recompute(p, body);
  }

  @Get('dead-letters')
  @RequirePermission(Permission.SlaManage)
  deadLetters(@CurrentUser() p: Principal, @Query() q: DeadLetterQueryRequest): Promise<DeadLetterResponse[]> {
    return this.admin.deadLetters(p, q.limit ?? 100);
  }

  @Post('dead-letters/:id/retry')
  @HttpCode(202)
  @RequirePermission(Permission.SlaManage)
  retry(@CurrentUser() p: Principal, @Param('id') id: string, @Meta() meta: RequestMeta): Promise<{ queued: boolean }> {
    return this.admin.retryDeadLetter(p, id, meta);
  }
}
