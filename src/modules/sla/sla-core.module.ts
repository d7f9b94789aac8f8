import { Module } from '@nestjs/common';
import { SlaCalendars } from './sla-calendars.service';
import { SlaEngine } from './sla-engine.service';
import { SlaRepository } from './sla.repository';

/** The part of the SLA engine the workflow uses inside its transactions (limits, deadlines, timers). */
@Module({
  providers: [SlaRepository, SlaCalendars, SlaEngine],
  exports: [SlaRepository, SlaCalendars, SlaEngine],
})
export class SlaCoreModule {}
