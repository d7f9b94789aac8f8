import type { TestApp } from './test-app';
import { MANHOLE, fileTicket, mustAct } from './tickets';

/** Files a cover ticket and takes it to in_progress (resolve clock running): register, dispatch to FX-SZSS, sign. */
export async function inProgressTicket(t: TestApp, tokens: { grid: string; dispatcher: string; handler: string }, unitId: string, overrides: Record<string, unknown> = {}) {
  const filed = await fileTicket(t, tokens.grid, { ...MANHOLE, ...overrides });
  if (filed.status !== 201) throw new Error(`filing failed: ${filed.status} ${filed.text}`);
  const id = filed.body.id as string;
  await mustAct(t, tokens.dispatcher, id, 'register');
  const dispatched = await mustAct(t, tokens.dispatcher, id, 'dispatch', { unitId });
  const signed = await mustAct(t, tokens.handler, id, 'sign');
  return { id, dispatched, signed };
}

/**
 * The controlled clock of these tests: moves the start of a ticket's running resolve clock back (in SQL,
 * from the database clock) and recomputes it through the API, so its deadline lands `secondsToBreach` from
 * now. Events stay as they were; the recomputation is recorded like any other.
 */
export async function armResolveClock(t: TestApp, admin: string, ticketId: string, limitSeconds: number, secondsToBreach: number) {
  await t.ds.query(
    `UPDATE ticket_clocks SET started_at = now() - make_interval(secs => $2::double precision) WHERE ticket_id = $1 AND stage = 'resolve' AND state = 'running'`,
    [ticketId, limitSeconds - secondsToBreach]);
  // `source: 'clocks'` keeps the moved start (a recompute from the event log would repair it back to the dispatch).
  const res = await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds: [ticketId], source: 'clocks' } });
  if (res.status !== 200 || res.body.moved !== 1) throw new Error(`recompute failed: ${res.status} ${res.text}`);
  const [clock] = await t.ds.query(`SELECT id, clock_version, deadline FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve' AND state = 'running'`, [ticketId]);
  return clock as { id: string; clock_version: number; deadline: Date };
}

export interface FiringRecord {
  threshold: string;
  kind: string;
  clock_version: number;
  due_at: Date;
  fired_at: Date;
  via: string;
  lateness_ms: number;
}

export async function firingsOf(t: TestApp, ticketId: string): Promise<FiringRecord[]> {
  return t.ds.query(
    `SELECT threshold, kind, clock_version, due_at, fired_at, via, extract(epoch FROM fired_at - due_at) * 1000 AS lateness_ms
       FROM sla_firings WHERE ticket_id = $1 ORDER BY id`, [ticketId]);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
