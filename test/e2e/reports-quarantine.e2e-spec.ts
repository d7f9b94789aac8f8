import { randomUUID } from 'node:crypto';
import { RollupService } from '../../src/modules/reports/rollup.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { codeIds, createStaff } from '../support/tickets';
import { loadFixture, writeTickets, type PlannedTicket } from './reports-history';

const ZHANQIAN = '210900.210902.210902001'; // 站前街道 (海州区)
const CONSTRAINT = 'fold_test_poison';

/**
 * Poison tickets in the report fold (docs/reports.md, "Poison tickets"): one ticket whose log makes its facts throw,
 * one whose facts row the database refuses. Neither holds the cursor: the other tickets are folded, the two are
 * quarantined, listed, counted in every report's meta, refolded by their next event and by the retry endpoint, and
 * the one whose cause is removed counts exactly once afterwards. The scheduled fold job runs meanwhile, as in life.
 */
describe('report fold quarantine 报表汇总隔离', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let admin: string;
  let official: string;
  let dispatcher: string;
  let xhOfficial: string;
  let xhAdmin: string;
  let period: string;
  let fixture: Awaited<ReturnType<typeof loadFixture>>;
  let seq = 0;
  const logLines: string[] = [];
  const P = randomUUID(); // its filing was imported a century off: its facts throw
  const Q = randomUUID(); // the database refuses its facts row (a CHECK constraint added by the test)
  const G = Array.from({ length: 4 }, () => randomUUID()); // healthy tickets
  const eventIds: Record<string, string> = {};

  const get = (token: string, path: string) => t.request('GET', `/api/v1/reports/${path}`, { token });
  const retry = (token: string) => t.request('POST', '/api/v1/reports/fold-quarantine/retry', { token });
  const zhanqian = async (token = official) => (await get(token, `rates?${period}&groupBy=street`)).body.rows.find((r: any) => r.group === ZHANQIAN)?.counts;
  /** Attempts by ticket id, straight from the table. */
  const quarantine = async (): Promise<Record<string, number>> =>
    Object.fromEntries((await t.ds.query(`SELECT ticket_id, attempts FROM report_fold_quarantine`)).map((q: any) => [q.ticket_id, q.attempts]));

  /** Tickets in 站前街道 without events (the events come one statement each, stamped `now()` as the workflow stamps them). */
  async function newTickets(...ticketIds: string[]): Promise<void> {
    const node = fixture.nodes.find((n) => n.path.startsWith(ZHANQIAN))!;
    const cat = fixture.categories[0]!;
    const plans = ticketIds.map((id): PlannedTicket => ({
      id, platform: cat.platform, categoryId: cat.id, categoryCode: cat.code, gridNodeId: node.id, gridPath: node.path, channel: 'patrol', unitId: null,
      events: [{ action: 'file', to: 'reported', atMs: Date.now() }], deadlineMs: null, dispatchMs: null, callback: null,
      truth: { merged: false, valid: true, status: 'reported', dispatchAt: null, signAt: null, firstResolveAt: null, lastResolveAt: null, closedAt: null, returns: 0, reworked: false, extended: false, unitsDispatched: [], unitsReturned: [], pauses: [] },
    }));
    await writeTickets(t.ds, plans, ++seq);
  }

  async function event(ticketId: string, action: string, to: string, at?: string): Promise<void> {
    const [{ n }] = await t.ds.query(`SELECT count(*)::int + 1 AS n FROM ticket_events WHERE ticket_id = $1`, [ticketId]);
    const [{ id }] = await t.ds.query(
      `INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_role, to_status, at)
       SELECT $1, created_at, $2, $3, 'system', $4, coalesce($5::timestamptz, now()) FROM tickets WHERE id = $1 RETURNING id::text`,
      [ticketId, n, action, to, at ?? null]);
    eventIds[`${ticketId}:${action}`] = id;
  }

  /** Folds until no event before now is left (the scheduled job may hold the cursor lock at that moment). */
  async function foldAll(): Promise<void> {
    const rollups = t.app.get(RollupService);
    for (let i = 0; i < 100; i++) {
      for (let r = await rollups.foldOnce(5000, true); r.more; r = await rollups.foldOnce(5000, true)) { /* next batch */ }
      const [{ n }] = await t.ds.query(
        `SELECT count(*)::int AS n FROM ticket_events e, report_cursor c WHERE c.id = 1 AND (e.at, e.id) > (c.last_at, c.last_id) AND e.at < now()`);
      if (n === 0) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error('the fold did not catch up');
  }

  beforeAll(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: 'warn' }, logDestination: { write: (line: string) => { logLines.push(line); } } });
    ids = await codeIds(t);
    fixture = await loadFixture(t.ds);
    [admin, official, dispatcher] = await Promise.all(['demo.admin', 'demo.official', 'demo.dispatcher'].map((u) => t.login(u)));
    const users: Record<string, string> = {};
    xhOfficial = await createStaff(t, admin, ids, users, 'xh.official', 'official', '210911'); // 细河区
    xhAdmin = await createStaff(t, admin, ids, users, 'xh.admin', 'admin', '210911');
    const [{ from, to }] = await t.ds.query(
      `SELECT to_char(((now() - interval '2 days') AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD') AS from,
              to_char((now() AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD') AS to`);
    period = `from=${from}&to=${to}`;

    // Three healthy tickets, Q among them, filed and dispatched and folded.
    await newTickets(G[0]!, G[1]!, Q);
    for (const id of [G[0]!, G[1]!, Q]) { await event(id, 'file', 'reported'); await event(id, 'dispatch', 'dispatched'); }
    await foldAll();
  });
  afterAll(async () => {
    await t.ds.query(`ALTER TABLE report_ticket_facts DROP CONSTRAINT IF EXISTS ${CONSTRAINT}`);
    await t.close();
  });

  it('starts clean: three tickets counted, nothing quarantined', async () => {
    expect(await zhanqian()).toMatchObject({ filed: 3, dispatched: 3, resolved: 0 });
    expect((await get(official, `rates?${period}`)).body.quarantinedTickets).toBe(0);
    expect(await quarantine()).toEqual({});
  });

  it('a ticket whose facts throw is quarantined; the cursor passes it and the other tickets are folded', async () => {
    // A legacy import stamped P's filing in 1925 (a two-digit year read as 19xx); the dispatch comes now. Business
    // time across a century is beyond the calendar's horizon: ticketFacts throws.
    await newTickets(P, G[2]!);
    await event(P, 'file', 'reported', '1925-06-01T10:00:00+08:00');
    await event(P, 'dispatch', 'dispatched');
    await event(G[2]!, 'file', 'reported');
    await event(G[2]!, 'dispatch', 'dispatched');
    await foldAll();

    expect(await quarantine()).toEqual({ [P]: 1 });
    const [row] = await t.ds.query(`SELECT error FROM report_fold_quarantine WHERE ticket_id = $1`, [P]);
    expect(row.error).toMatch(/^SlaCalendarError HORIZON_EXCEEDED: /);
    // Skipped, not half-written: P has no facts; G3 is counted; the cursor is past P's event.
    expect(await t.ds.query(`SELECT 1 FROM report_ticket_facts WHERE ticket_id = $1`, [P])).toEqual([]);
    expect(await zhanqian()).toMatchObject({ filed: 4, dispatched: 4 });
    const [cursor] = await t.ds.query(`SELECT last_id::text AS id FROM report_cursor WHERE id = 1`);
    expect(BigInt(cursor.id)).toBeGreaterThanOrEqual(BigInt(eventIds[`${P}:dispatch`]!));
    expect((await get(official, `rates?${period}`)).body.rollupLagMs).toBe(0);

    // Logged with its id and error; the batch needed no ticket-by-ticket retry (no database error).
    const lines = logLines.map((l) => JSON.parse(l) as { msg: string; context?: string });
    expect(lines.filter((l) => l.msg.startsWith(`ticket ${P} quarantined from the report fold (attempt 1): SlaCalendarError HORIZON_EXCEEDED`))).toHaveLength(1);
    expect(lines.some((l) => l.msg.includes('ticket by ticket'))).toBe(false);
  });

  it('every report says how many quarantined tickets lie in the caller\'s scope, exports in a header', async () => {
    for (const path of ['rates', 'durations', 'backlog', 'rankings?groupBy=street']) {
      const sep = path.includes('?') ? '&' : '?';
      expect([path, (await get(official, `${path}${sep}${period}`)).body.quarantinedTickets]).toEqual([path, 1]);
      expect([path, (await get(xhOfficial, `${path}${sep}${period}`)).body.quarantinedTickets]).toEqual([path, 0]);
    }
    expect((await get(dispatcher, `rates?${period}`)).body.quarantinedTickets).toBe(1);
    const csv = await get(official, `rates?${period}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['x-quarantined-tickets']).toBe('1');
    expect((await get(xhOfficial, `durations?${period}&format=xlsx`)).headers['x-quarantined-tickets']).toBe('0');
  });

  it('a ticket whose row the database refuses: the batch is folded again ticket by ticket, the ticket keeps its old contribution', async () => {
    await t.ds.query(`ALTER TABLE report_ticket_facts ADD CONSTRAINT ${CONSTRAINT} CHECK (ticket_id <> '${Q}') NOT VALID`);
    const [before] = await t.ds.query(`SELECT contrib::text AS contrib, updated_at FROM report_ticket_facts WHERE ticket_id = $1`, [Q]);
    await newTickets(G[3]!);
    await event(Q, 'resolve', 'resolved');
    await event(G[3]!, 'file', 'reported');
    await event(G[3]!, 'dispatch', 'dispatched');
    await foldAll();

    expect(await quarantine()).toEqual({ [P]: 1, [Q]: 1 });
    const [row] = await t.ds.query(`SELECT error FROM report_fold_quarantine WHERE ticket_id = $1`, [Q]);
    expect(row.error).toMatch(new RegExp(`^QueryFailedError 23514: .*${CONSTRAINT}`));
    // Stale but consistent: Q counts as it stood (dispatched, not resolved); G4, in the same batch, is counted.
    expect(await t.ds.query(`SELECT contrib::text AS contrib, updated_at FROM report_ticket_facts WHERE ticket_id = $1`, [Q])).toEqual([before]);
    expect(await zhanqian()).toMatchObject({ filed: 5, dispatched: 5, resolved: 0 });
    expect((await get(official, `rates?${period}`)).body).toMatchObject({ rollupLagMs: 0, replicaLagMs: 0, quarantinedTickets: 2 });
    const msgs = logLines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs.some((m) => /^a report fold batch of \d+ tickets failed, folding it again ticket by ticket: QueryFailedError 23514/.test(m))).toBe(true);
    expect(msgs.filter((m) => m.startsWith(`ticket ${Q} quarantined from the report fold (attempt 1): QueryFailedError 23514`))).toHaveLength(1);
  });

  it('a quarantined ticket is tried again when a new event of it is folded', async () => {
    await event(P, 'sign', 'in_progress');
    await foldAll();
    expect(await quarantine()).toEqual({ [P]: 2, [Q]: 1 });
  });

  it('lists the quarantined tickets of the caller\'s scope: ids, number, error, attempts, times; nothing of their content', async () => {
    const res = await t.request('GET', '/api/v1/reports/fold-quarantine', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.map((q: any) => q.ticketId)).toEqual([P, Q]); // most recently failed first
    for (const q of res.body) expect(Object.keys(q).sort()).toEqual(['attempts', 'error', 'firstAt', 'lastAt', 'ticketId', 'ticketNumber']);
    const [p, q] = res.body;
    const numbers = await t.ds.query(`SELECT id, number FROM tickets WHERE id = ANY($1::uuid[])`, [[P, Q]]);
    expect(p).toMatchObject({ ticketNumber: numbers.find((n: any) => n.id === P).number, attempts: 2, error: expect.stringMatching(/^SlaCalendarError HORIZON_EXCEEDED/) });
    expect(q).toMatchObject({ ticketNumber: numbers.find((n: any) => n.id === Q).number, attempts: 1, error: expect.stringMatching(/^QueryFailedError 23514/) });
    expect(Date.parse(p.lastAt)).toBeGreaterThan(Date.parse(p.firstAt));
    expect((await t.request('GET', '/api/v1/reports/fold-quarantine?limit=1', { token: admin })).body).toHaveLength(1);
    expect((await t.request('GET', '/api/v1/reports/fold-quarantine?limit=0', { token: admin })).status).toBe(400);
    // An admin of 细河区 sees none of 海州区's.
    const other = await t.request('GET', '/api/v1/reports/fold-quarantine', { token: xhAdmin });
    expect([other.status, other.body]).toEqual([200, []]);
  });

  it('refuses callers without report:manage with a problem document', async () => {
    for (const token of [official, dispatcher]) {
      for (const res of [await t.request('GET', '/api/v1/reports/fold-quarantine', { token }), await retry(token)]) {
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body).toMatchObject({ status: 403, code: 'PERMISSION_DENIED', title: 'Your role does not allow this action', titleZh: '您的角色无权执行此操作' });
        expect(res.body.type).toMatch(/errors\.md#permission-denied$/);
      }
    }
    expect((await t.request('GET', '/api/v1/reports/fold-quarantine')).status).toBe(401);
    expect((await t.request('POST', '/api/v1/reports/fold-quarantine/retry')).status).toBe(401);
    expect(await quarantine()).toEqual({ [P]: 2, [Q]: 1 }); // refused calls retried nothing
  });

  it('the retry refolds the caller\'s quarantined tickets now: nothing recovers while the causes stand', async () => {
    const none = await retry(xhAdmin);
    expect([none.status, none.body]).toEqual([200, { retried: 0, recovered: 0, stillQuarantined: 0 }]);
    const res = await retry(admin);
    expect([res.status, res.body]).toEqual([200, { retried: 2, recovered: 0, stillQuarantined: 2 }]);
    expect(await quarantine()).toEqual({ [P]: 3, [Q]: 2 });
    expect(await zhanqian()).toMatchObject({ filed: 5, dispatched: 5, resolved: 0 });
  });

  it('once the cause is removed the retry recovers the ticket, and the rollup counts it exactly once', async () => {
    await t.ds.query(`ALTER TABLE report_ticket_facts DROP CONSTRAINT ${CONSTRAINT}`);
    const res = await retry(admin);
    expect([res.status, res.body]).toEqual([200, { retried: 2, recovered: 1, stillQuarantined: 1 }]);
    expect(await quarantine()).toEqual({ [P]: 4 });
    expect((await t.request('GET', '/api/v1/reports/fold-quarantine', { token: admin })).body.map((q: any) => q.ticketId)).toEqual([P]);
    // Q's resolve is in the figures now, and Q is still one ticket: folding again, or a new event, changes nothing else.
    expect(await zhanqian()).toMatchObject({ filed: 5, dispatched: 5, resolved: 1 });
    await foldAll();
    expect(await zhanqian()).toMatchObject({ filed: 5, dispatched: 5, resolved: 1, closed: 0 });
    await event(Q, 'verify', 'closed');
    await foldAll();
    expect(await zhanqian()).toMatchObject({ filed: 5, dispatched: 5, resolved: 1, closed: 1 });
    expect((await get(official, `durations?${period}`)).body.quarantinedTickets).toBe(1);
  });

  it('counts every quarantining in report_fold_quarantined_total, and the tickets in quarantine now', async () => {
    const text = (await t.request('GET', '/metrics')).text;
    // P: its first fold, its next event, two retries; Q: its fold, one retry.
    expect(text).toMatch(/^report_fold_quarantined_total 6$/m);
    expect(text).toMatch(/^report_fold_quarantine_tickets 1$/m);
  });
});
