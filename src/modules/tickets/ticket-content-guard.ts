import type { Principal } from '../auth/principal';
import type { TicketRow } from './ticket-row.types';
import { TicketErrorCode, TicketException } from './tickets.exception';

/** States in which a ticket's materials and attachments may still change (every state but the terminal ones). */
const OPEN = new Set(['reported', 'registered', 'dispatched', 'returned', 'in_progress', 'suspended', 'resolved']);

/** What is being changed: the materials checklist (所需材料) or an attachment (photo, document). */
export type TicketContent = 'materials' | 'attachment';

/**
 * Who may change a visible ticket's materials or attachments, and when. `ticket:act` alone is not enough: an
 * official (领导) holds it for `supervise` only. Allowed: dispatchers; handlers of the lead unit (and, for
 * attachments, of a co-unit: they work on the case too); the grid worker who filed it, and for attachments any
 * grid worker while the ticket waits for on-site verification (核查 photo). Only while the ticket is open.
 * Refusals: 403 `NOT_TICKET_PARTICIPANT`, then 409 `TICKET_NOT_OPEN`.
 */
export function assertMayChangeContent(p: Principal, t: TicketRow, what: TicketContent): void {
  if (!participates(p, t, what)) throw new TicketException(TicketErrorCode.NOT_TICKET_PARTICIPANT);
  if (!OPEN.has(t.status)) throw new TicketException(TicketErrorCode.TICKET_NOT_OPEN, { en: `the ticket is ${t.status}`, zh: `工单状态为 ${t.status}` });
}

function participates(p: Principal, t: TicketRow, what: TicketContent): boolean {
  switch (p.role) {
    case 'dispatcher':
      return true;
    case 'handler':
      return p.unitId !== null && (p.unitId === t.unit_id || (what === 'attachment' && t.co_unit_ids.includes(p.unitId)));
    case 'grid_worker':
      return t.filed_by === p.id || (what === 'attachment' && t.status === 'resolved');
    default:
      return false;
  }
}
