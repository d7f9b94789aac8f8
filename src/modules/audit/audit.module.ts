import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditPurgeJob } from './audit-purge.job';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

@Module({
  controllers: [AuditController],
  providers: [AuditRepository, AuditService, AuditPurgeJob],
  exports: [AuditService, AuditPurgeJob],
})
export class AuditModule {}
