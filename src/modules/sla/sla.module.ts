import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CatalogueModule } from '../catalogue/catalogue.module';
import { TicketsModule } from '../tickets/tickets.module';
import { SlaAdminService } from './sla-admin.service';
import { SlaCoreModule } from './sla-core.module';
import { SlaFiringService } from './sla-firing.service';
import { SlaRecomputeService } from './sla-recompute.service';
import { SlaController } from './sla.controller';
import { SlaFireJob, SlaNotifyJob, SlaReconcileJob } from './sla.jobs';

/** SLA administration, recomputation, firing and the timer jobs. */
@Module({
  imports: [SlaCoreModule, TicketsModule, CatalogueModule, AuditModule],
  controllers: [SlaController],
  providers: [SlaAdminService, SlaRecomputeService, SlaFiringService, SlaFireJob, SlaReconcileJob, SlaNotifyJob],
  exports: [SlaFiringService, SlaFireJob, SlaReconcileJob, SlaNotifyJob],
})
export class SlaModule {}
