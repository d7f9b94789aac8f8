import { replayClocks, type ClockReplayEvent, type Platform, type ReplayedClock } from '../../libs/workflow';
import { inProgressTicket } from '../support/sla';
import { createTestApp, type TestApp } from '../support/test-app';
import { codeIds, mustAct } from '../support/tickets';

const HOUR = 3600;

interface StoredClock {
  id: string; stage: string; state: string; started_at: Date; stopped_at: Date | null; paused_at: Date | null;
  pauses: Array<{ from: string; to: string }>; extension_seconds: number; clock_version: number; deadline: Date | null;
}

/** A clock's facts in one comparable shape (instants as ISO strings to the millisecond). */
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const storedFacts = (c: StoredClock) => ({
  stage: c.stage, state: c.state, startedAt: iso(c.started_at), stoppedAt: iso(c.stopped_at), pausedAt: iso(c.paused_at),
  pauses: c.pauses.map((p) => ({ from: iso(p.from), to: iso(p.to) })), extensionSeconds: c.extension_seconds,
});
const replayedFacts = (r: ReplayedClock) => ({
  stage: r.stage, state: r.state, startedAt: iso(r.startedAt), stoppedAt: iso(r.stoppedAt), pausedAt: iso(r.pausedAt),
  pauses: r.pauses.map((p) => ({ from: iso(p.from), to: iso(p.to) })), extensionSeconds: r.extensionSeconds,
});

describe('sla recompute 时限重算: clocks replayed from the event log under the current versions', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;
  let handler: string;
  let waterHandler: string;
  let admin: string;
  let xiheAdmin: string;

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    [grid, dispatcher, handler, admin] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.admin'].map((u) => t.login(u)));
    const users = [
      { username: 'water.handler', displayName: '自来水公司承办人', role: 'handler', scopeNodeId: ids['210900'], unitId: ids['FX-WATER'], password: 'Water@2026!!' },
      { username: 'xh.admin', displayName: '细河区管理员', role: 'admin', scopeNodeId: ids['210911'], password: 'Xihe@2026!!' },
    ];
    for (const body of users) expect((await t.request('POST', '/api/v1/admin/users', { token: admin, body })).status).toBe(201);
    waterHandler = await t.login('water.handler', 'Water@2026!!');
    xiheAdmin = await t.login('xh.admin', 'Xihe@2026!!');
  });
  afterAll(async () => { await t.close(); });

  const tokens = () => ({ grid, dispatcher, handler });
  const recompute = (body: Record<string, unknown>, token = admin) => t.request('POST', '/api/v1/sla/recompute', { token, body });
  // Creation order; clocks started by one action (a dispatch starts sign and resolve) in the order of its effects.
  const clocksOf = (id: string): Promise<StoredClock[]> => t.ds.query(
    `SELECT id, stage, state, started_at, stopped_at, paused_at, pauses, extension_seconds, clock_version, deadline FROM ticket_clocks WHERE ticket_id = $1
      ORDER BY created_at, array_position(ARRAY['register', 'sign', 'resolve', 'mediation', 'verify', 'callback'], stage), id`, [id]);
  async function replayOf(id: string) {
    const [{ platform }] = await t.ds.query(`SELECT platform FROM tickets WHERE id = $1`, [id]);
    const events: ClockReplayEvent[] = await t.ds.query(`SELECT action, from_status AS "from", to_status AS "to", at, data FROM ticket_events WHERE ticket_id = $1 ORDER BY seq`, [id]);
    return replayClocks(platform as Platform, events);
  }

  /** A ticket through suspension, an approved (reduced) extension, and a second suspension left open. */
  async function suspendedHistory() {
    const { id } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { title: '井盖缺失（挂起）' });
    await mustAct(t, dispatcher, id, 'suspend', { reason: '等待井盖到货' });
    await mustAct(t, dispatcher, id, 'resume');
    await mustAct(t, handler, id, 'request-extension', { extraSeconds: 2 * HOUR, reason: '需更换井座' });
    await mustAct(t, dispatcher, id, 'decide-extension', { approved: true, extraSeconds: HOUR });
    await mustAct(t, dispatcher, id, 'suspend', { reason: '道路封闭' });
    return id;
  }

  /** A ticket returned and re-dispatched to another unit, signed there, resolved, failed at verification (返工). */
  async function reworkedHistory() {
    const { id } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { title: '井盖缺失（退单）' });
    await mustAct(t, handler, id, 'return', { reason: 'wrong_function', note: '井盖归自来水公司' });
    await mustAct(t, dispatcher, id, 'review-return', { approved: true, unitId: ids['FX-WATER'] });
    await mustAct(t, waterHandler, id, 'sign');
    await mustAct(t, waterHandler, id, 'resolve', { note: '已补装' });
    await mustAct(t, grid, id, 'verify', { passed: false, reason: '井盖仍松动' });
    return id;
  }

  it('the replay of real histories gives exactly the clocks the workflow wrote; a recompute from the log repairs nothing', async () => {
    const histories = [await suspendedHistory(), await reworkedHistory()];
    for (const id of histories) {
      const stored = await clocksOf(id);
      expect((await replayOf(id)).map(replayedFacts)).toEqual(stored.map(storedFacts));
    }
    const [suspended, reworked] = await Promise.all(histories.map(clocksOf));
    // The replay really covered pauses, an extension, a re-dispatch and a rework.
    expect(suspended!.find((c) => c.stage === 'resolve')).toMatchObject({ state: 'paused', extension_seconds: HOUR, pauses: [expect.anything()] });
    // Each dispatch starts sign and resolve together; the rework starts a fresh resolve clock.
    expect(reworked!.map((c) => [c.stage, c.state])).toEqual([
      ['register', 'stopped'], ['sign', 'stopped'], ['resolve', 'stopped'], ['sign', 'stopped'], ['resolve', 'stopped'], ['verify', 'stopped'], ['resolve', 'running'],
    ]);
    const report = await recompute({ ticketIds: histories, includeStopped: true, dryRun: true });
    expect(report.status).toBe(200);
    // Nothing moves either: the paused resolve clock keeps the deadline it had when the pause began.
    expect(report.body).toMatchObject({ source: 'events', ticketsExamined: 2, examined: 10, repaired: 0, moved: 0, limitReached: false });
    expect(report.body.changes.filter((c: { repaired: string[] }) => c.repaired.length > 0)).toEqual([]);
  });

  it('a clock row corrupted in SQL is reported by a dry run (changing nothing), then repaired from the log, recorded, and left alone by the next run', async () => {
    const id = await suspendedHistory();
    await mustAct(t, dispatcher, id, 'resume');
    const [before] = (await clocksOf(id)).filter((c) => c.stage === 'resolve');
    await t.ds.query(
      `UPDATE ticket_clocks SET started_at = started_at - interval '3 hours', deadline = deadline - interval '3 hours', pauses = '[]', extension_seconds = 0 WHERE id = $1`, [before!.id]);
    const corrupted = (await clocksOf(id)).find((c) => c.id === before!.id)!;

    const dry = await recompute({ ticketIds: [id], dryRun: true });
    expect(dry.body).toMatchObject({ dryRun: true, recomputationId: null, moved: 1, repaired: 1 });
    expect(dry.body.changes[0]).toMatchObject({ ticketId: id, clockId: before!.id, stage: 'resolve', state: 'running', repaired: ['startedAt', 'pauses', 'extensionSeconds'] });
    expect((await clocksOf(id)).find((c) => c.id === before!.id)).toEqual(corrupted);
    const eventsBefore = await t.ds.query(`SELECT count(*)::int AS n FROM ticket_events WHERE ticket_id = $1`, [id]);

    const report = await recompute({ ticketIds: [id], note: '修复时限记录' });
    expect(report.body).toMatchObject({ dryRun: false, moved: 1, repaired: 1, examined: 1 });
    const after = (await clocksOf(id)).find((c) => c.id === before!.id)!;
    expect(storedFacts(after)).toEqual(replayedFacts((await replayOf(id)).find((r) => r.stage === 'resolve' && r.state === 'running')!));
    expect(storedFacts(after)).toEqual({ ...storedFacts(before!), state: 'running', pausedAt: null, pauses: storedFacts(after).pauses });
    expect(after.pauses).toHaveLength(2);
    expect(after.clock_version).toBe(corrupted.clock_version + 1);
    // The corrupted row's deadline was 3 hours early; the repair moves it back to the one the workflow had computed.
    expect(report.body.changes[0].movedSeconds).toBe(3 * HOUR);
    expect(after.deadline).toEqual(before!.deadline);
    // New timers for the new version, the old version's cancelled.
    const timers: Array<{ clock_version: number; state: string }> = await t.ds.query(`SELECT clock_version, state FROM sla_timers WHERE clock_id = $1`, [after.id]);
    expect(timers.filter((x) => x.clock_version === after.clock_version).length).toBeGreaterThan(0);
    expect(timers.filter((x) => x.clock_version !== after.clock_version && x.state === 'pending')).toEqual([]);
    // Recorded: a timeline event carrying what was repaired, the stored run and the audit entry.
    const events = await t.ds.query(`SELECT action, note, data FROM ticket_events WHERE ticket_id = $1 ORDER BY seq`, [id]);
    expect(events).toHaveLength(eventsBefore[0].n + 1);
    expect(events[events.length - 1]).toMatchObject({ action: 'sla-recompute', note: '修复时限记录', data: { clockId: after.id, repaired: ['startedAt', 'pauses', 'extensionSeconds'] } });
    const [run] = await t.ds.query(`SELECT examined, moved, filter FROM sla_recomputations WHERE id = $1`, [report.body.recomputationId]);
    expect(run).toMatchObject({ examined: 1, moved: 1, filter: { source: 'events', dryRun: false } });
    expect(await t.ds.query(`SELECT 1 FROM audit_log WHERE action = 'sla.recompute' AND target = $1`, [report.body.recomputationId])).toHaveLength(1);

    expect((await recompute({ ticketIds: [id] })).body).toMatchObject({ examined: 1, moved: 0, repaired: 0, changes: [] });
  });

  it('a clock the log implies but no row records is restored; a live row no event explains is stopped', async () => {
    const { id } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { title: '井盖缺失（缺记录）' });
    const [register] = await clocksOf(id);
    expect(register).toMatchObject({ stage: 'register', state: 'stopped' });
    await t.ds.query(`DELETE FROM sla_timers WHERE clock_id = $1`, [register!.id]);
    await t.ds.query(`DELETE FROM ticket_clocks WHERE id = $1`, [register!.id]);
    const [{ id: bogus }] = await t.ds.query(
      `INSERT INTO ticket_clocks (ticket_id, stage, state, clock_type, started_at) VALUES ($1, 'verify', 'running', 'natural', now()) RETURNING id`, [id]);

    const report = await recompute({ ticketIds: [id], includeStopped: true });
    expect(report.body).toMatchObject({ repaired: 2 });
    const byRepair = Object.fromEntries(report.body.changes.filter((c: { repaired: string[] }) => c.repaired.length > 0).map((c: { repaired: string[] }) => [c.repaired[0], c]));
    expect(byRepair.unexplained).toMatchObject({ clockId: bogus, stage: 'verify', state: 'stopped' });
    expect(byRepair.missing).toMatchObject({ stage: 'register', state: 'stopped', fromDeadline: null });
    const clocks = await clocksOf(id);
    expect(clocks.find((c) => c.id === bogus)).toMatchObject({ state: 'stopped' });
    const restored = clocks.find((c) => c.id === byRepair.missing.clockId)!;
    expect(storedFacts(restored)).toEqual(storedFacts(register!));
    // Restored in its place: the stored clocks line up with the replay again, and nothing repairs twice.
    expect((await replayOf(id)).map(replayedFacts)).toEqual(clocks.filter((c) => c.id !== bogus).map(storedFacts));
    expect((await recompute({ ticketIds: [id], includeStopped: true })).body).toMatchObject({ moved: 0, repaired: 0 });
  });

  it('a policy change applies to new clocks only, until an admin recomputes; the report says what moved', async () => {
    const before = await inProgressTicket(t, tokens(), ids['FX-SZSS']!);
    const created = await t.request('POST', '/api/v1/sla/policies', { token: admin, body: {
      code: 'community', platform: 'community_governance', note: '市政设施中心时限减半',
      definition: {
        priorityFactors: { extra_urgent: 0.5, urgent: 0.75, normal: 1 },
        unitOverrides: [{ unitId: ids['FX-SZSS'], factor: 0.5 }],
        stageLimits: {},
        thresholds: [
          { code: 'remind', fraction: 0.5, kind: 'remind', level: 'blue', nameZh: '催办', nameEn: 'Reminder' },
          { code: 'breach', fraction: 1, kind: 'breach', level: 'red', nameZh: '超期', nameEn: 'Breach' },
        ],
        ladder: [],
      },
    } });
    expect(created.status).toBe(201);
    const after = await inProgressTicket(t, tokens(), ids['FX-SZSS']!);
    const resolveOf = async (id: string) => (await clocksOf(id)).find((c) => c.stage === 'resolve')!;
    expect((await resolveOf(after.id)).deadline!.getTime() - Date.parse(after.dispatched.dispatchedAt)).toBe(2 * HOUR * 1000);
    expect((await resolveOf(before.id)).deadline!.getTime() - Date.parse(before.dispatched.dispatchedAt)).toBe(4 * HOUR * 1000);

    const dry = await recompute({ ticketIds: [before.id, after.id], dryRun: true });
    expect(dry.body).toMatchObject({ dryRun: true, recomputationId: null, moved: 1, repaired: 0 });
    expect((await resolveOf(before.id)).clock_version).toBe(1);
    const report = await recompute({ ticketIds: [before.id, after.id] });
    expect(report.body).toMatchObject({ examined: 2, moved: 1, repaired: 0, ticketsExamined: 2 });
    expect(report.body.changes[0]).toMatchObject({ ticketId: before.id, movedSeconds: -2 * HOUR, fromPolicy: 'default@1', toPolicy: 'community@1', repaired: [] });
    const [clock] = await t.ds.query(`SELECT policy_code, policy_version, clock_version FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve'`, [before.id]);
    expect(clock).toMatchObject({ policy_code: 'community', policy_version: 1, clock_version: 2 });
    const timers: Array<{ clock_version: number; threshold: string; state: string }> = await t.ds.query(
      `SELECT tm.clock_version, tm.threshold, tm.state FROM sla_timers tm JOIN ticket_clocks c ON c.id = tm.clock_id WHERE c.ticket_id = $1 AND c.stage = 'resolve' ORDER BY 1, 2`, [before.id]);
    expect(timers.filter((x) => x.clock_version === 1).every((x) => x.state === 'cancelled')).toBe(true);
    expect(timers.filter((x) => x.clock_version === 2).map((x) => [x.threshold, x.state])).toEqual([['breach', 'pending'], ['remind', 'pending']]);
    // Back to the default for the other tests of this file.
    const v2 = await t.request('PUT', '/api/v1/sla/policies/community', { token: admin, body: { expectedVersion: 1, definition: { ...created.body.definition, unitOverrides: [] } } });
    expect(v2.body.currentVersion).toBe(2);
  });

  it("scoping: an admin of another district neither sees nor touches this district's clocks", async () => {
    const { id } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { title: '井盖缺失（范围）' });
    await t.ds.query(`UPDATE ticket_clocks SET started_at = started_at - interval '1 hour' WHERE ticket_id = $1 AND stage = 'resolve'`, [id]);
    const snapshot = await clocksOf(id);
    for (const body of [{ ticketIds: [id] }, { platform: 'community_governance', includeStopped: true }]) {
      const res = await recompute(body, xiheAdmin);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ticketsExamined: 0, examined: 0, moved: 0 });
    }
    expect(await clocksOf(id)).toEqual(snapshot);
    // The city admin's scope includes it.
    expect((await recompute({ ticketIds: [id] })).body).toMatchObject({ moved: 1, repaired: 1 });
  });

  it('long runs: the limit counts tickets, and the answer says where to continue', async () => {
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { title: `井盖缺失（批量${i}）` })).id);
    const first = await recompute({ ticketIds: made, limit: 2, dryRun: true });
    expect(first.body).toMatchObject({ ticketsExamined: 2, limitReached: true, nextAfterTicketId: made[1] });
    const rest = await recompute({ ticketIds: made, limit: 2, dryRun: true, afterTicketId: first.body.nextAfterTicketId });
    expect(rest.body).toMatchObject({ ticketsExamined: 1, examined: 1, limitReached: false, nextAfterTicketId: null });
  });

  it('the stored facts are kept with source "clocks" (a clock corrected by hand)', async () => {
    const { id } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { title: '井盖缺失（手工）' });
    await t.ds.query(`UPDATE ticket_clocks SET started_at = '2026-04-03T15:00:00+08:00' WHERE ticket_id = $1 AND stage = 'resolve'`, [id]);
    const report = await recompute({ ticketIds: [id], source: 'clocks' });
    expect(report.body).toMatchObject({ source: 'clocks', moved: 1, repaired: 0 });
    expect(report.body.changes[0]).toMatchObject({ toDeadline: '2026-04-03T11:00:00.000Z', repaired: [] });
    expect((await clocksOf(id)).find((c) => c.stage === 'resolve')!.started_at.toISOString()).toBe('2026-04-03T07:00:00.000Z');
  });

  it('bad input is a 4xx problem and changes nothing', async () => {
    const { id } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { title: '井盖缺失（输入）' });
    await t.ds.query(`UPDATE ticket_clocks SET extension_seconds = 999 WHERE ticket_id = $1 AND stage = 'resolve'`, [id]);
    const snapshot = await clocksOf(id);
    const runs = await t.ds.query(`SELECT count(*)::int AS n FROM sla_recomputations`);
    for (const body of [
      {}, { ticketIds: [id], source: 'log' }, { ticketIds: [id], limit: 0 }, { ticketIds: [id], limit: 5001 }, { ticketIds: [id], afterTicketId: 'x' },
      { ticketIds: ['not-a-uuid'] }, { ticketIds: [id], dryRun: 'yes' }, { ticketIds: [id], includeStopped: 1 }, { ticketIds: [id], unknown: true },
    ]) {
      const res = await recompute(body);
      expect([body, res.status]).toEqual([body, 400]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await recompute({})).body.code).toBe('SLA_RECOMPUTE_FILTER_REQUIRED');
    for (const token of [dispatcher, handler, grid]) expect((await recompute({ ticketIds: [id] }, token)).status).toBe(403);
    expect(await clocksOf(id)).toEqual(snapshot);
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM sla_recomputations`)).toEqual(runs);
  });
});
