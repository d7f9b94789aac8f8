import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '../auth/auth.service';
import { RequirePermission } from '../auth/permission.decorator';
import { CurrentUser, type Principal } from '../auth/principal';
import { Meta } from '../auth/request-meta';
import { Permission } from '../auth/roles';
import { DispatchRulesService } from './dispatch-rules.service';
import { DryRunRequest, RoutingRuleRequest, UnitDispatchSettingsRequest, UpdateRoutingRuleRequest } from './dto/dispatch.request.dto';
import type { DryRunResponse, RoutingRuleResponse, UnitDispatchSettingsResponse } from './dto/dispatch.response.dto';
import { RouterService } from './router.service';

/** 派单目录: routing rules, the dry-run, and per-unit dispatch settings (admins and dispatchers). */
@ApiTags('dispatch 派单')
@Controller('api/v1/dispatch')
export class DispatchController {
  constructor(private readonly rules: DispatchRulesService, private readonly router: RouterService) {}

  @Get('rules')
  @RequirePermission(Permission.DispatchManage)
  list(@CurrentUser() user: Principal): Promise<RoutingRuleResponse[]> {
    return this.rules.list(user);
  }

  @Get('rules/:id')
  @RequirePermission(Permission.DispatchManage)
  get(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<RoutingRuleResponse> {
    return this.rules.get(user, id);
  }

  @Post('rules')
  @RequirePermission(Permission.DispatchManage)
  create(@CurrentUser() user: Principal, @Body() body: RoutingRuleRequest, @Meta() meta: RequestMeta): Promise<RoutingRuleResponse> {
    return this.rules.create(user, body, meta);
  }

  @Put('rules/:id')
  @RequirePermission(Permission.DispatchManage)
  update(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateRoutingRuleRequest, @Meta() meta: RequestMeta): Promise<RoutingRuleResponse> {
    return this.rules.update(user, id, body, meta);
  }

  @Delete('rules/:id')
  @RequirePermission(Permission.DispatchManage)
  @HttpCode(204)
  async remove(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string, @Meta() meta: RequestMeta): Promise<void> {
    await this.rules.remove(user, id, meta);
  }

  /** Where a ticket would go and why: the matching rule or the fallback command centre, with every rule considered. */
  @Post('dry-run')
  @RequirePermission(Permission.DispatchManage)
  @HttpCode(200)
  dryRun(@CurrentUser() user: Principal, @Body() body: DryRunRequest): Promise<DryRunResponse> {
    return this.router.dryRun(user, body.ticketId, body.at);
  }

  @Get('units/:unitId/settings')
  @RequirePermission(Permission.DispatchManage)
  settings(@CurrentUser() user: Principal, @Param('unitId', ParseUUIDPipe) unitId: string): Promise<UnitDispatchSettingsResponse> {
    return this.rules.settings(user, unitId);
  }

  /** Auto-assignment (自动分派) on or off for a unit. */
  @Put('units/:unitId/settings')
  @RequirePermission(Permission.DispatchManage)
  saveSettings(@CurrentUser() user: Principal, @Param('unitId', ParseUUIDPipe) unitId: string, @Body() body: UnitDispatchSettingsRequest, @Meta() meta: RequestMeta): Promise<UnitDispatchSettingsResponse> {
    return this.rules.saveSettings(user, unitId, body.autoAssign, meta);
  }
}
