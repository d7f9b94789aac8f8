import { Injectable } from '@nestjs/common';
import type { JobHandler } from '../../queue/worker.service';
import { RollupService } from './rollup.service';

/** Folds new ticket events into the report rollups (scheduled every 10 s; safe to run on many workers). */
@Injectable()
export class ReportRollupJob implements JobHandler<'reports.rollup'> {
  readonly jobName = 'reports.rollup' as const;
  constructor(private readonly rollups: RollupService) {}
  async handle(): Promise<{ events: number; batches: number }> {
    return this.rollups.catchUp(200);
  }
}
