import type { Principal } from '../auth/principal';
import type { TicketScope } from './tickets.repository';

export function ticketScope(p: Principal, unitType: string | null = null): TicketScope {
  return { userId: p.id, role: p.role, scopePath: p.scopePath, unitId: p.unitId, unitType };
}
