import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { JobHandler } from '../../queue/worker.service';
import { AuditRepository } from './audit.repository';

/** Daily retention: removes audit entries older than AUDIT_RETENTION_DAYS (at least 180). */
@Injectable()
export class AuditPurgeJob implements JobHandler<'audit.purge'> {
  readonly jobName = 'audit.purge' as const;
  constructor(private readonly repo: AuditRepository, @Inject(APP_CONFIG) private readonly config: AppConfig) {}
  async handle(data: { retentionDays: number }): Promise<{ deleted: number }> {
    return { deleted: await this.repo.purgeOlderThan(Math.max(data.retentionDays, this.config.auditRetentionDays)) };
  }
}
