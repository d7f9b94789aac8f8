import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuditModule } from '../audit/audit.module';
import { CatalogueModule } from '../catalogue/catalogue.module';
import { SlaCoreModule } from '../sla/sla-core.module';
import { AttachmentOrphanSweepJob } from './attachment-orphan-sweep.job';
import { EventPartitionsJob } from './event-partitions.job';
import { AttachmentsService } from './attachments.service';
import { IntakeService } from './intake.service';
import { MaterialsService } from './materials.service';
import { ATTACHMENT_STORAGE, LocalDiskStorage } from './storage/attachment-storage';
import { TicketActionsService } from './ticket-actions.service';
import { TicketClocks } from './ticket-clocks';
import { TicketPersonalService } from './ticket-personal.service';
import { TicketQueryService } from './ticket-query.service';
import { TicketsController } from './tickets.controller';
import { TicketsRepository } from './tickets.repository';

@Module({
  imports: [AuditModule, CatalogueModule, SlaCoreModule],
  controllers: [TicketsController],
  providers: [
    TicketsRepository, TicketClocks, TicketPersonalService, TicketQueryService, IntakeService, TicketActionsService,
    AttachmentsService, MaterialsService, AttachmentOrphanSweepJob, EventPartitionsJob,
    { provide: ATTACHMENT_STORAGE, useFactory: (c: AppConfig) => new LocalDiskStorage(c.storage.dir), inject: [APP_CONFIG] },
  ],
  exports: [TicketQueryService, TicketActionsService, IntakeService, AttachmentOrphanSweepJob, EventPartitionsJob],
})
export class TicketsModule {}
