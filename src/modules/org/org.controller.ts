import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/permission.decorator';
import { CurrentUser, type Principal } from '../auth/principal';
import { Permission } from '../auth/roles';
import { OnDutyRequest, UnitQueryRequest } from './dto/org.request.dto';
import type { GridNodeResponse, UnitResponse } from './dto/org.response.dto';
import { OrgService } from './org.service';

@ApiTags('org 组织')
@Controller('api/v1')
export class OrgController {
  constructor(private readonly org: OrgService) {}

  /** The caller's own scope node: the root of everything they can see. */
  @Get('grid-nodes/mine')
  @RequirePermission(Permission.OrgRead)
  mine(@CurrentUser() user: Principal): Promise<GridNodeResponse> {
    return this.org.node(user, user.scopeNodeId);
  }

  @Get('grid-nodes/:id')
  @RequirePermission(Permission.OrgRead)
  node(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<GridNodeResponse> {
    return this.org.node(user, id);
  }

  @Get('grid-nodes/:id/children')
  @RequirePermission(Permission.OrgRead)
  children(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<GridNodeResponse[]> {
    return this.org.children(user, id);
  }

  @Get('units')
  @RequirePermission(Permission.OrgRead)
  units(@CurrentUser() user: Principal, @Query() q: UnitQueryRequest): Promise<UnitResponse[]> {
    return this.org.units(user, q.type);
  }

  @Get('units/:id')
  @RequirePermission(Permission.OrgRead)
  unit(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<UnitResponse> {
    return this.org.unit(user, id);
  }

  /** Handlers set their own on-duty state (used by auto-assignment). */
  @Put('me/on-duty')
  @RequirePermission(Permission.OrgRead)
  @HttpCode(204)
  async onDuty(@CurrentUser() user: Principal, @Body() body: OnDutyRequest): Promise<void> {
    await this.org.setOnDuty(user, body.onDuty);
  }
}
