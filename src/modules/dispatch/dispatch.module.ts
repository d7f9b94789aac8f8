import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { TicketsModule } from '../tickets/tickets.module';
import { DispatchRulesService } from './dispatch-rules.service';
import { DispatchController } from './dispatch.controller';
import { DispatchRepository } from './dispatch.repository';
import { QueueEventsService } from './queue-events.service';
import { QueuesController } from './queues.controller';
import { QueuesService } from './queues.service';
import { RouteReconcileJob } from './route-reconcile.job';
import { RouteTicketJob } from './route-ticket.job';
import { RouterService } from './router.service';

/** Dispatch (派单): routing rules, the routing job, queues, claim-next and live queue streams. */
@Module({
  imports: [AuditModule, TicketsModule],
  controllers: [DispatchController, QueuesController],
  providers: [DispatchRepository, DispatchRulesService, RouterService, RouteTicketJob, RouteReconcileJob, QueuesService, QueueEventsService],
  exports: [RouteTicketJob, RouteReconcileJob, QueuesService, QueueEventsService],
})
export class DispatchModule {}
