import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { CoreModule, type Runtime } from './core.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuditPurgeJob } from './modules/audit/audit-purge.job';
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

/** Relays outbox rows that were not handed to BullMQ right after their commit (e.g. after a crash). */
@Injectable()
export class OutboxRelayJob implements JobHandler<'outbox.relay'> {
  readonly jobName = 'outbox.relay' as const;
  constructor(private readonly outbox: OutboxService) {}
  async handle(): Promise<{ relayed: number }> {
    return { relayed: await this.outbox.relay() };
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
  }
}

/** The job handlers and workers, without the core (so the API process can host them in demo mode). */
@Module({
  imports: [AuditModule],
  providers: [
    PingJob,
    OutboxRelayJob,
    { provide: JOB_HANDLERS, useFactory: (...handlers: JobHandler[]) => handlers, inject: [AuditPurgeJob, PingJob, OutboxRelayJob] },
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
