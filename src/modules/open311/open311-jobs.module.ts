import { Module } from '@nestjs/common';
import { Open311RatePurgeJob } from './open311-rate-purge.job';
import { Open311Repository } from './open311.repository';

/** What the worker needs of Open311: the rate-window purge job (no HTTP, no tickets). */
@Module({
  providers: [Open311Repository, Open311RatePurgeJob],
  exports: [Open311RatePurgeJob],
})
export class Open311JobsModule {}
