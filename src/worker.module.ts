import { Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { CoreModule, type Runtime } from './core.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuditPurgeJob } from './modules/audit/audit-purge.job';
import { SlaFireJob, SlaNotifyJob, SlaReconcileJob } from './modules/sla/sla.jobs';
import { SlaModule } from './modules/sla/sla.module';
import { DispatchModule } from './modules/dispatch/dispatch.module';
import { Open311JobsModule } from './modules/open311/open311-jobs.module';
import { Open311RatePurgeJob } from './modules/open311/open311-rate-purge.job';
import { AttachmentOrphanSweepJob } from './modules/tickets/attachment-orphan-sweep.job';
import { EventPartitionsJob } from './modules/tickets/event-partitions.job';
import { TicketsModule } from './modules/tickets/tickets.module';
import { RouteReconcileJob } from './modules/dispatch/route-reconcile.job';
import { RouteTicketJob } from './modules/dispatch/route-ticket.job';
import { ReportRollupJob } from './modules/reports/report-rollup.job';
import { ReportsModule } from './modules/reports/reports.module';
import { OutboxService } from './queue/outbox.service';
import { QueueService } from './queue/queue.service';
import { JOB_QUEUES, type JobName } from './queue/job-registry';
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

interface ScheduleSpec {
  id: string;
  repeat: { every: number } | { pattern: string; tz: string };
  job: { name: JobName; data: Record<string, unknown> };
}

/**
 * Registers the repeatable jobs, and keeps them registered. Upserting a scheduler is idempotent, so every
 * worker may do it. A scheduler lives in the queue backend, so a Redis flush (or an obliterated Postgres queue)
 * deletes it with the jobs; every `SCHEDULER_CHECK_SECONDS` each worker looks for its schedulers and re-creates
 * a missing one. An `every` scheduler runs its first job at once, so a lost `sla.reconcile` comes back as an
 * immediate reconciliation: the overdue timers fire and the lost ones are queued again.
 */
@Injectable()
export class Schedules implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Schedules');
  private timer?: NodeJS.Timeout;
  private checking = false;
  readonly specs: ScheduleSpec[];

  constructor(private readonly queues: QueueService, @Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.specs = [
      { id: 'audit.purge.daily', repeat: { pattern: '17 3 * * *', tz: 'Asia/Shanghai' },
        job: { name: 'audit.purge', data: { retentionDays: config.auditRetentionDays } } },
      { id: 'outbox.relay.every5s', repeat: { every: 5000 }, job: { name: 'outbox.relay', data: {} } },
      { id: 'dispatch.reconcile.every1m', repeat: { every: 60_000 }, job: { name: 'dispatch.reconcile', data: {} } },
      { id: 'sla.reconcile.every1m', repeat: { every: 60_000 }, job: { name: 'sla.reconcile', data: {} } },
      { id: 'reports.rollup.every10s', repeat: { every: 10_000 }, job: { name: 'reports.rollup', data: {} } },
      { id: 'open311.rate-purge.every10min', repeat: { every: 600_000 }, job: { name: 'open311.rate-purge', data: {} } },
      { id: 'attachments.orphan-sweep.hourly', repeat: { every: 3_600_000 }, job: { name: 'attachments.orphan-sweep', data: {} } },
      // At each worker's start (an `every` scheduler runs at once), then every six hours.
      { id: 'events.partitions.every6h', repeat: { every: 6 * 3_600_000 }, job: { name: 'events.partitions', data: {} } },
    ];
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const spec of this.specs) await this.upsert(spec);
    // A worker starting (often: replacing one that crashed) reconciles at once instead of at the next minute:
    // overdue timers whose job died with the old worker fire now, lost routing jobs are queued again.
    for (const name of ['sla.reconcile', 'dispatch.reconcile'] as const) {
      await this.queues.add(name, {}, { jobId: `${name}.boot.${randomUUID()}`, attempts: 1 });
    }
    this.timer = setInterval(() => {
      this.restoreMissing().catch((err: Error) => this.logger.error(`checking the job schedulers failed: ${err.message}`));
    }, this.config.schedulerCheckSeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Re-creates every scheduler that is missing from its queue; returns their ids. */
  async restoreMissing(): Promise<string[]> {
    if (this.checking) return [];
    this.checking = true;
    try {
      const restored: string[] = [];
      for (const spec of this.specs) {
        if (await this.queues.queue(JOB_QUEUES[spec.job.name]).getJobScheduler(spec.id)) continue;
        await this.upsert(spec);
        restored.push(spec.id);
      }
      if (restored.length > 0) this.logger.warn(`job schedulers were missing from the queue backend and are restored: ${restored.join(', ')}`);
      return restored;
    } finally {
      this.checking = false;
    }
  }

  private async upsert(spec: ScheduleSpec): Promise<void> {
    await this.queues.queue(JOB_QUEUES[spec.job.name]).upsertJobScheduler(spec.id, spec.repeat, spec.job);
  }
}

/** The job handlers and workers, without the core (so the API process can host them in demo mode). */
@Module({
  imports: [ReportsModule, AuditModule, DispatchModule, Open311JobsModule, SlaModule, TicketsModule],
  providers: [
    PingJob,
    OutboxRelayJob,
    { provide: JOB_HANDLERS, useFactory: (...handlers: JobHandler[]) => handlers, inject: [ReportRollupJob, AuditPurgeJob, PingJob, OutboxRelayJob, RouteTicketJob, RouteReconcileJob, Open311RatePurgeJob, SlaFireJob, SlaReconcileJob, SlaNotifyJob, AttachmentOrphanSweepJob, EventPartitionsJob] },
    WorkerService,
    Schedules,
  ],
})
export class WorkerRuntimeModule {}

/** The worker process: core infrastructure plus the job runtime. */
@Module({})
export class WorkerModule {
  static forRoot(runtime: Runtime): DynamicModule {
    return { module: WorkerModule, imports: [CoreModule.forRoot(runtime, { reportsReplica: false }), WorkerRuntimeModule] };
  }
}
