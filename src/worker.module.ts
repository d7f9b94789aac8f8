import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { CoreModule, type Runtime } from './core.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuditPurgeJob } from './modules/audit/audit-purge.job';
import { SlaFireJob, SlaNotifyJob, SlaReconcileJob } from './modules/sla/sla.jobs';
import { SlaModule } from './modules/sla/sla.module';
import { DispatchModule } from './modules/dispatch/dispatch.module';
import { Open311JobsModule } from './modules/open311/open311-jobs.module';
import { Open311RatePurgeJob } from './modules/open311/open311-rate-purge.job';
import { RouteReconcileJob } from './modules/dispatch/route-reconcile.job';
import { RouteTicketJob } from './modules/dispatch/route-ticket.job';
import { ReportRollupJob } from './modules/reports/report-rollup.job';
import { ReportsModule } from './modules/reports/reports.module';
import { OutboxService } from './queue/outbox.service';
import { QueueService } from './queue/queue.service';
import { JOB_HANDLERS } from './queue/queue.tokens';
import { WorkerService, type JobHandler } from './queue/worker.service';

/** Answers `system.ping` jobs: proves a round trip through the queue backend (used by tests and ops). */
@Injectable()
export class PingJob implements JobHandler<'system.ping'> {
  readonly jobName = 'system.ping' as const;
  async handle(data: { token: string }): Promise<{ pong: string }> {
    return { pong: data.token };
  }
}

/**
 * Relays outbox rows that were not handed to BullMQ right after their commit (e.g. after a crash), the whole
 * backlog within a few seconds' budget, then purges relayed rows older than `OUTBOX_RETENTION_DAYS`.
 */
@Injectable()
export class OutboxRelayJob implements JobHandler<'outbox.relay'> {
  readonly jobName = 'outbox.relay' as const;
  constructor(private readonly outbox: OutboxService) {}
  async handle(): Promise<{ relayed: number; purged: number }> {
    return { relayed: await this.outbox.relayAll(4000), purged: await this.outbox.purge() };
  }
}

/** Registers the repeatable jobs. Upserting a scheduler is idempotent, so every worker may do it. */
@Injectable()
class Schedules implements OnApplicationBootstrap {
  constructor(private readonly queues: QueueService, @Inject(APP_CONFIG) private readonly config: AppConfig) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.queues.queue('maintenance').upsertJobScheduler('audit.purge.daily', { pattern: '17 3 * * *', tz: 'Asia/Shanghai' }, {
      name: 'audit.purge', data: { retentionDays: this.config.auditRetentionDays },
    });
    await this.queues.queue('maintenance').upsertJobScheduler('outbox.relay.every5s', { every: 5000 }, { name: 'outbox.relay', data: {} });
    await this.queues.queue('tickets').upsertJobScheduler('dispatch.reconcile.every1m', { every: 60_000 }, { name: 'dispatch.reconcile', data: {} });
    await this.queues.queue('sla').upsertJobScheduler('sla.reconcile.every1m', { every: 60_000 }, { name: 'sla.reconcile', data: {} });
    await this.queues.queue('maintenance').upsertJobScheduler('reports.rollup.every10s', { every: 10_000 }, { name: 'reports.rollup', data: {} });
    await this.queues.queue('maintenance').upsertJobScheduler('open311.rate-purge.every10min', { every: 600_000 }, { name: 'open311.rate-purge', data: {} });
  }
}

/** The job handlers and workers, without the core (so the API process can host them in demo mode). */
@Module({
  imports: [ReportsModule, AuditModule, DispatchModule, Open311JobsModule, SlaModule],
  providers: [
    PingJob,
    OutboxRelayJob,
    { provide: JOB_HANDLERS, useFactory: (...handlers: JobHandler[]) => handlers, inject: [ReportRollupJob, AuditPurgeJob, PingJob, OutboxRelayJob, RouteTicketJob, RouteReconcileJob, Open311RatePurgeJob, SlaFireJob, SlaReconcileJob, SlaNotifyJob] },
    WorkerService,
    Schedules,
  ],
})
export class WorkerRuntimeModule {}

/** The worker process: core infrastructure plus the job runtime. */
@Module({})
export class WorkerModule {
  static forRoot(runtime: Runtime): DynamicModule {
    return { module: WorkerModule, imports: [CoreModule.forRoot(runtime), WorkerRuntimeModule] };
  }
}
