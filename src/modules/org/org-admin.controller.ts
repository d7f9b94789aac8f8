import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Consumes } from '../../common/media-type';
import { RequirePermission } from '../auth/permission.decorator';
import { CurrentUser, type Principal } from '../auth/principal';
import { Permission } from '../auth/roles';
import { CreateGridNodeRequest, CreateUnitRequest, CreateUserRequest, UpdateGridNodeRequest, UpdateUnitRequest, UpdateUserRequest, UserQueryRequest } from './dto/org.request.dto';
import type { GridNodeResponse, UnitResponse, UserResponse } from './dto/org.response.dto';
import { OrgErrorCode, OrgException } from './org.exception';
import { OrgService } from './org.service';

@ApiTags('admin 管理')
@Controller('api/v1/admin')
export class OrgAdminController {
  constructor(private readonly org: OrgService) {}

  @Post('grid-nodes')
  @RequirePermission(Permission.OrgManage)
  createNode(@CurrentUser() user: Principal, @Body() body: CreateGridNodeRequest): Promise<GridNodeResponse> {
    return this.org.createNode(user, body);
  }

  @Patch('grid-nodes/:id')
  @RequirePermission(Permission.OrgManage)
  updateNode(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateGridNodeRequest): Promise<GridNodeResponse> {
    return this.org.updateNode(user, id, body);
  }

  /**
   * Imports a grid tree: `text/csv` with header `code,parent_code,name,level,lat,lng`; all rows or none. A JSON
   * body is answered IMPORT_INVALID ("send the CSV as text/csv"), any other type 415.
   */
  @Post('grid-nodes/import')
  @RequirePermission(Permission.OrgManage)
  @Consumes('text/csv', 'application/json')
  importGrid(@CurrentUser() user: Principal, @Body() body: unknown): Promise<{ created: number }> {
    if (typeof body !== 'string') {
      throw new OrgException(OrgErrorCode.IMPORT_INVALID, { en: 'send the CSV as text/csv', zh: '请以 text/csv 格式上传' });
    }
    return this.org.importCsv(user, body);
  }

  @Post('units')
  @RequirePermission(Permission.OrgManage)
  createUnit(@CurrentUser() user: Principal, @Body() body: CreateUnitRequest): Promise<UnitResponse> {
    return this.org.createUnit(user, body);
  }

  @Patch('units/:id')
  @RequirePermission(Permission.OrgManage)
  updateUnit(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateUnitRequest): Promise<UnitResponse> {
    return this.org.updateUnit(user, id, body);
  }

  @Get('users')
  @RequirePermission(Permission.UserManage)
  users(@CurrentUser() user: Principal, @Query() q: UserQueryRequest): Promise<UserResponse[]> {
    return this.org.users(user, q);
  }

  @Get('users/:id')
  @RequirePermission(Permission.UserManage)
  userById(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<UserResponse> {
    return this.org.user(user, id);
  }

  @Post('users')
  @RequirePermission(Permission.UserManage)
  createUser(@CurrentUser() user: Principal, @Body() body: CreateUserRequest): Promise<UserResponse> {
    return this.org.createUser(user, body);
  }

  @Patch('users/:id')
  @RequirePermission(Permission.UserManage)
  updateUser(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateUserRequest): Promise<UserResponse> {
    return this.org.updateUser(user, id, body);
  }
}
