import { Injectable, Logger } from '@nestjs/common';
import { TicketActionsService } from '../tickets/ticket-actions.service';
import { SlaEngine } from './sla-engine.service';
import { SlaRepository, type FiringRow } from './sla.repository';

export type FireOutcome =
  | { outcome: 'fired'; firingId: string; kind: FiringRow['kind'] }
  | { outcome: 'not_due'; remainingMs: number }
  | { outcome: 'gone'; reason: string };

/**
 * Fires SLA thresholds. The firing itself is one conditional insert (see `SlaRepository.insertFiring`); in the
 * same transaction it appends the ticket event, marks the clock and writes the notification to the outbox.
 * 督办 steps then go through the workflow (`actAsSystem('supervise')`), made idempotent by a marker in the note.
 */
@Injectable()
export class SlaFiringService {
  private readonly logger = new Logger('SlaFiring');

  constructor(
    private readonly repo: SlaRepository,
    private readonly engine: SlaEngine,
    private readonly actions: TicketActionsService,
  ) {}

  async fire(clockId: string, threshold: string, clockVersion: number, via: 'job' | 'reconciler'): Promise<FireOutcome> {
    const result = await this.repo.transaction(async (m): Promise<FireOutcome> => {
      const ticket = await this.repo.lockTicketOfClock(m, clockId);
      if (!ticket) return { outcome: 'gone', reason: 'clock not found' };
      const f = await this.repo.insertFiring(m, clockId, threshold, clockVersion, via, undefined, ticket.status);
      if (!f) {
        const s = await this.repo.timerStatus(m, clockId, threshold, clockVersion);
        if (!s) return { outcome: 'gone', reason: 'no such timer' };
        if (s.state === 'pending' && s.clock_state === 'running' && s.clock_version === clockVersion && s.remaining_ms > 0) {
          return { outcome: 'not_due', remainingMs: s.remaining_ms };
        }
        return { outcome: 'gone', reason: `timer ${s.state}, clock ${s.clock_state} v${s.clock_version}` };
      }
      this.engine.markOutbox(m);
      return { outcome: 'fired', firingId: f.id, kind: f.kind };
    });
    if (result.outcome === 'fired' && result.kind === 'supervise') await this.supervise(result.firingId);
    return result;
  }

  /**
   * 督办 through the workflow, once: the note carries `[sla:<firing id>]`; a retry first looks for it, and a
   * concurrent retry loses on the ticket version. Leaves the firing `pending` on a crash (the reconciler retries).
   */
  async supervise(firingId: string): Promise<void> {
    const marker = `[sla:${firingId}]`;
    for (let attempt = 0; attempt < 8; attempt++) {
      const f = await this.repo.firing(firingId);
      if (!f || f.action_state !== 'pending') return;
      const t = await this.repo.ticketVersionAndMarker(f.ticket_id, marker);
      if (!t) return;
      if (t.done) {
        await this.repo.setActionState(firingId, 'done', 'supervise');
        return;
      }
      const r = await this.actions.actAsSystem(f.ticket_id, 'supervise', {
        expectedVersion: t.version,
        note: `SLA 超期督办 / SLA supervision after breach (${f.stage}, ${f.threshold}) ${marker}`,
      });
      if (r.ok) {
        await this.repo.setActionState(firingId, 'done', 'supervise');
        return;
      }
      if (r.code !== 'STALE_VERSION') {
        await this.repo.setActionState(firingId, 'refused', r.code);
        return;
      }
    }
    this.logger.warn(`supervision for firing ${firingId} kept conflicting; the reconciler will retry`);
  }
}
