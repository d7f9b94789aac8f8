import { Injectable, Logger } from '@nestjs/common';
import { QueueService } from '../../queue/queue.service';
import type { JobHandler } from '../../queue/worker.service';
import { DispatchRepository } from './dispatch.repository';

/** The routing job's id for a ticket (deterministic, as written to the outbox at filing). */
export function routeJobId(ticketId: string): string {
  return `route-${ticketId}`;
}

/**
 * `dispatch.reconcile` (every minute): re-creates the routing job of a ticket still waiting for it when the job
 * is gone from the queue (Redis flushed, queue obliterated). Completed jobs are kept for a day, so a ticket
 * whose routing ran and found no rule (it waits in the triage queue) is not routed again within that day; after
 * that it is left alone. Routing is idempotent, so a job re-created twice still acts once.
 */
@Injectable()
export class RouteReconcileJob implements JobHandler<'dispatch.reconcile'> {
  readonly jobName = 'dispatch.reconcile' as const;
  private readonly logger = new Logger('RouteReconcile');
  /** A routing job normally runs within a second of the filing's commit; give the relay and the queue a minute. */
  static readonly MIN_AGE_MS = 60_000;
  /** Completed routing jobs are kept for a day (see OutboxService.relay); older filings are not looked at. */
  static readonly MAX_AGE_MS = 23 * 3600 * 1000;

  constructor(private readonly repo: DispatchRepository, private readonly queues: QueueService) {}

  async handle(): Promise<{ restored: number }> {
    return { restored: await this.restore(RouteReconcileJob.MIN_AGE_MS) };
  }

  async restore(minAgeMs: number, limit = 5000): Promise<number> {
    const ids = await this.repo.unroutedTickets(minAgeMs, RouteReconcileJob.MAX_AGE_MS, limit);
    const queue = this.queues.queue('tickets');
    let restored = 0;
    for (let i = 0; i < ids.length; i += 100) {
      await Promise.all(ids.slice(i, i + 100).map(async (ticketId) => {
        const jobId = routeJobId(ticketId);
        if (await queue.getJob(jobId)) return;
        await this.queues.add('dispatch.route', { ticketId }, { jobId });
        restored++;
      }));
    }
    if (restored > 0) this.logger.warn(`re-created ${restored} lost routing jobs`);
    return restored;
  }
}
