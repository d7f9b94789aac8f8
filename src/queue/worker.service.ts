import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Worker } from 'bullmq';
import { JOB_QUEUES, QUEUE_NAMES, type JobName, type JobPayloads, type QueueName } from './job-registry';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { JOB_HANDLERS, QUEUE_BACKEND } from './queue.tokens';
import type { QueueBackend } from './queue-backend';

/** A handler re-reads state and is idempotent: a job may be delivered more than once. */
export interface JobHandler<N extends JobName = JobName> {
  readonly jobName: N;
  handle(data: JobPayloads[N], job: Job): Promise<unknown>;
}

/** Consumer side: one BullMQ worker per queue, dispatching by job name to the registered handlers. */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WorkerService');
  private readonly workers: Worker[] = [];
  private readonly byName = new Map<string, JobHandler>();

  constructor(
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
    @Inject(JOB_HANDLERS) handlers: JobHandler[],
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    for (const h of handlers) this.byName.set(h.jobName, h);
    const missing = (Object.keys(JOB_QUEUES) as JobName[]).filter((n) => !this.byName.has(n));
    if (missing.length > 0) throw new Error(`worker boot refused: no handler for job(s) ${missing.join(', ')}`);
  }

  onApplicationBootstrap(): void {
    for (const queue of QUEUE_NAMES) {
      const worker = this.backend.createWorker(queue, async (job: Job) => {
        const handler = this.byName.get(job.name);
        if (!handler) throw new Error(`no handler for job ${job.name}`);
        return handler.handle(job.data as never, job);
      }, this.concurrency(queue));
      worker.on('failed', (job, err) => this.logger.warn(`job ${job?.name}#${job?.id} failed: ${err.message}`));
      worker.on('error', (err) => this.logger.error(`worker error on ${queue}: ${err.message}`));
      this.workers.push(worker);
    }
  }

  /** Jobs at once per queue: `sla` has its own setting (its jobs mostly wait on the batch firing or do one read). */
  concurrency(queue: QueueName): number {
    return queue === 'sla' ? this.config.sla.workerConcurrency : this.config.workerConcurrency;
  }

  /**
   * Before any shutdown hook: close() waits for running jobs to finish (graceful shutdown loses nothing in flight),
   * and the jobs still enqueue through QueueService, whose queues close in the shutdown hooks after this.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
