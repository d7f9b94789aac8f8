import { Module } from '@nestjs/common';
import { SlaEngine } from './sla-engine.service';
import { SlaRepository } from './sla.repository';

/** The part of the SLA engine the workflow uses inside its transactions (limits, deadlines, timers). */
@Module({
  providers: [SlaRepository, SlaEngine],
  exports: [SlaRepository, SlaEngine],
})
export class SlaCoreModule {}
