import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import { JOB_QUEUES, QUEUE_NAMES, type JobName, type JobPayloads, type QueueName } from './job-registry';
import { QUEUE_BACKEND } from './queue.tokens';
import type { QueueBackend } from './queue-backend';

/** Producer side of the typed job registry. Safe to use from API and worker processes. */
@Injectable()
export class QueueService implements OnApplicationShutdown {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly logger = new Logger('QueueService');
  private closed = false;

  constructor(@Inject(QUEUE_BACKEND) readonly backend: QueueBackend) {
    for (const name of QUEUE_NAMES) {
      const queue = backend.createQueue(name);
      // A connection lost under a producer (Redis or Postgres restarting) is reported here, once per error, as a
      // warning through the logger; without a listener BullMQ prints raw stack traces. Calls in flight fail and
      // are retried by their callers (the outbox relay, the reconcilers); readiness reports a backend that stays away.
      // Once closing, a queue has nothing in flight; BullMQ 6.7's Postgres backend can still hold a connection then, whose
      // end as the embedded Postgres stops is no news (demo-signals.e2e-spec.ts checks the shutdown log is clean).
      queue.on('error', (err: Error) => { if (!this.closed) this.logger.warn(`queue ${name}: ${err.message}`); });
      this.queues.set(name, queue);
    }
  }

  queue(name: QueueName): Queue {
    return this.queues.get(name)!;
  }

  /** Adds a job; give `jobId` for deterministic ids so a retried enqueue is a no-op. */
  async add<N extends JobName>(name: N, data: JobPayloads[N], opts: JobsOptions = {}): Promise<string | undefined> {
    const job = await this.queue(JOB_QUEUES[name]).add(name, data, {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
      ...opts,
    });
    return job.id;
  }

  async depth(): Promise<Record<QueueName, Record<string, number>>> {
    const out = {} as Record<QueueName, Record<string, number>>;
    for (const [name, q] of this.queues) out[name] = await q.getJobCounts('waiting', 'active', 'delayed', 'failed');
    return out;
  }

  /** After the workers have drained (WorkerService closes them before the shutdown hooks). */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
