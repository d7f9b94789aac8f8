import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/permission.decorator';
import { CurrentUser, type Principal } from '../auth/principal';
import { Meta } from '../auth/request-meta';
import type { RequestMeta } from '../auth/auth.service';
import { Permission } from '../auth/roles';
import { CreateOpen311KeyRequest } from './dto/open311-key.request.dto';
import type { CreatedOpen311KeyResponse, Open311KeyResponse } from './dto/open311-key.response.dto';
import { Open311KeysService } from './open311-keys.service';

/** Open311 API keys (admin): create (the key is shown once), list, revoke. Limited to the admin's scope. */
@ApiTags('admin 管理')
@Controller('api/v1/admin/open311-keys')
export class Open311KeysController {
  constructor(private readonly keys: Open311KeysService) {}

  @Post()
  @RequirePermission(Permission.Open311Manage)
  create(@CurrentUser() user: Principal, @Body() body: CreateOpen311KeyRequest, @Meta() meta: RequestMeta): Promise<CreatedOpen311KeyResponse> {
    return this.keys.create(user, body, meta.requestId);
  }

  @Get()
  @RequirePermission(Permission.Open311Manage)
  list(@CurrentUser() user: Principal): Promise<Open311KeyResponse[]> {
    return this.keys.list(user);
  }

  /** Revokes the key: it stops working at once; the row stays for the audit trail. */
  @Delete(':id')
  @RequirePermission(Permission.Open311Manage)
  revoke(@CurrentUser() user: Principal, @Param('id') id: string, @Meta() meta: RequestMeta): Promise<Open311KeyResponse> {
    return this.keys.revoke(user, id, meta.requestId);
  }
}
