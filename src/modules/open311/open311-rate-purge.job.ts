import { Injectable } from '@nestjs/common';
import type { JobHandler } from '../../queue/worker.service';
import { Open311Repository } from './open311.repository';

/** Drops Open311 rate-limit windows older than five minutes. Idempotent: a second run finds nothing more. */
@Injectable()
export class Open311RatePurgeJob implements JobHandler<'open311.rate-purge'> {
  readonly jobName = 'open311.rate-purge' as const;
  constructor(private readonly repo: Open311Repository) {}
  async handle(): Promise<{ deleted: number }> {
    return { deleted: await this.repo.purgeRateWindows() };
  }
}
