import { Injectable, Logger } from '@nestjs/common';
import type { JobHandler } from '../../queue/worker.service';
import { TicketsRepository } from './tickets.repository';

/** Months of event-log partitions kept ready ahead of the current one. */
export const PARTITION_MONTHS_AHEAD = 3;

/**
 * Keeps the event log's monthly partitions (by the filing month of the ticket, Asia/Shanghai) ready: from the oldest
 * month with rows waiting in the default partition, or this month, to `PARTITION_MONTHS_AHEAD` months ahead; rows of
 * the default partition move into the month created for them. Idempotent, and safe beside other workers (partition
 * DDL takes its locks; a second run finds the months made). Warns while rows remain in the default partition.
 */
@Injectable()
export class EventPartitionsJob implements JobHandler<'events.partitions'> {
  readonly jobName = 'events.partitions' as const;
  private readonly logger = new Logger('EventPartitions');

  constructor(private readonly repo: TicketsRepository) {}

  async handle(): Promise<{ created: number; inDefault: number }> {
    const r = await this.repo.ensureEventPartitions(PARTITION_MONTHS_AHEAD);
    if (r.created > 0) this.logger.log(`created ${r.created} monthly partition(s) of ticket_events`);
    if (r.inDefault > 0) this.logger.warn(`${r.inDefault} event(s) in ticket_events_default: filed outside the partitioned months`);
    return r;
  }
}
