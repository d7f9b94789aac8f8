import { Injectable } from '@nestjs/common';
import type { JobHandler } from '../../queue/worker.service';
import { RollupService } from './rollup.service';

/**
 * Folds new ticket events into the report rollups (scheduled every 10 s; safe to run on many workers). Live traffic
 * is a batch of up to 5 000 events; a backlog grows the batches to 50 000, and a run stops after a minute so the next
 * one (10 s later) carries on.
 */
@Injectable()
export class ReportRollupJob implements JobHandler<'reports.rollup'> {
  readonly jobName = 'reports.rollup' as const;
  constructor(private readonly rollups: RollupService) {}
  async handle(): Promise<{ events: number; batches: number }> {
    return this.rollups.catchUp(200, 5000, undefined, { growTo: 50_000, budgetMs: 60_000 });
  }
}
