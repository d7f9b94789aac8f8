import { Controller, Get, Query } from '@nestjs/common';
import { CurrentUser, type Principal } from '../auth/principal';
import { Meta } from '../auth/request-meta';
import type { RequestMeta } from '../auth/auth.service';
import { AuditService } from './audit.service';
import { ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/permission.decorator';
import { Permission } from '../auth/roles';
import { AuditRepository } from './audit.repository';
import { AuditEntryResponse } from './dto/audit-entry.response.dto';
import { AuditQueryRequest } from './dto/audit-query.request.dto';

@ApiTags('audit 审计')
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly repo: AuditRepository, private readonly audit: AuditService) {}

  /** Audit log, newest first, for the auditor role only. Reading it is itself audited. */
  @Get()
  @RequirePermission(Permission.AuditRead)
  async list(@Query() q: AuditQueryRequest, @CurrentUser() user: Principal, @Meta() meta: RequestMeta): Promise<{ items: AuditEntryResponse[]; nextCursor: string | null }> {
    const limit = q.limit ?? 100;
    await this.audit.record({ actorId: user.id, actorUsername: user.username, actorRole: user.role, action: 'audit.read', result: 'success',
      requestId: meta.requestId, ip: meta.ip, method: 'GET', path: '/api/v1/audit', details: { filter: { ...q, limit } } });
    const rows = await this.repo.list({ from: q.from === undefined ? undefined : new Date(q.from), to: q.to === undefined ? undefined : new Date(q.to), actorId: q.actorId, action: q.action, result: q.result, beforeId: q.cursor, limit });
    return { items: rows.map(AuditEntryResponse.from), nextCursor: rows.length === limit ? rows[rows.length - 1]!.id : null };
  }
}
