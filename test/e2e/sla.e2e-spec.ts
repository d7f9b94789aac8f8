import { QueueService } from '../../src/queue/queue.service';
import { SlaReconcileJob } from '../../src/modules/sla/sla.jobs';
import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, codeIds, fileTicket, mustAct } from '../support/tickets';
import { armResolveClock, firingsOf, inProgressTicket, waitFor } from '../support/sla';

const HOUR = 3600;

describe('sla: deadlines, calendars and policies as data, recomputation 时限', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;
  let handler: string;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    [grid, dispatcher, handler, admin] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.admin'].map((u) => t.login(u)));
  });
  afterAll(async () => { await t.close(); });

  const tokens = () => ({ grid, dispatcher, handler });
  const resolveClock = (ticket: { clocks: Array<{ stage: string; state: string }> }) => ticket.clocks.find((c) => c.stage === 'resolve' && c.state === 'running') as any;

  /**
   * Moves the resolve clock's start to a fixed instant (the controlled clock) and recomputes it keeping the stored
   * facts (`source: 'clocks'`; a recompute from the event log would repair the start back to the dispatch).
   */
  async function startResolveAt(id: string, instant: string) {
    await t.ds.query(`UPDATE ticket_clocks SET started_at = $2 WHERE ticket_id = $1 AND stage = 'resolve' AND state = 'running'`, [id, instant]);
    const res = await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds: [id], source: 'clocks' } });
    expect(res.status).toBe(200);
    return res.body;
  }

  it('the demo manhole (缺失, urgent) gets a resolve deadline 4 hours after dispatch, natural time, with its timers in Postgres', async () => {
    const { id, dispatched, signed } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!);
    const clock = resolveClock(signed);
    expect(clock).toMatchObject({ clockType: 'natural', thresholdsFired: [], calendarVersions: { 'cn-national': 1 } });
    const limitMs = Date.parse(clock.deadline) - Date.parse(dispatched.dispatchedAt);
    expect(limitMs).toBeLessThanOrEqual(4 * HOUR * 1000);
    expect(limitMs).toBe(4 * HOUR * 1000);

    const [row] = await t.ds.query(`SELECT id, policy_code, policy_version, calendar_key, clock_version FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve'`, [id]);
    expect(row).toMatchObject({ policy_code: 'default', policy_version: 1, calendar_key: 'cn-national@1' });
    const timers: Array<{ threshold: string; offset: number; state: string }> = await t.ds.query(
      `SELECT tm.threshold, extract(epoch FROM tm.due_at - $2::timestamptz)::float8 AS offset, tm.state FROM sla_timers tm WHERE tm.clock_id = $1 ORDER BY tm.due_at`,
      [row.id, dispatched.dispatchedAt]);
    expect(timers.map((x) => [x.threshold, Math.round(x.offset), x.state])).toEqual([
      ['remind', 2 * HOUR, 'pending'], ['warning', 3.2 * HOUR, 'pending'], ['breach', 4 * HOUR, 'pending'],
      ['supervise_district', 6 * HOUR, 'pending'], ['notice', 28 * HOUR, 'pending'],
    ]);
    // None is due within the queue-ahead horizon (600 s by default): no job yet, none in the outbox.
    const outboxOf = async (): Promise<Array<{ job_id: string; relayed: boolean; run_at: Date }>> => t.ds.query(
      `SELECT job_id, relayed_at IS NOT NULL AS relayed, run_at FROM outbox WHERE job_name = 'sla.fire' AND payload->>'clockId' = $1 ORDER BY job_id`, [row.id]);
    expect(await outboxOf()).toEqual([]);
    const queuedFlags = await t.ds.query(`SELECT bool_or(queued) AS any FROM sla_timers WHERE clock_id = $1`, [row.id]);
    expect(queuedFlags[0].any).toBe(false);

    // Two hours later (simulated: the remind timer moved to 5 minutes from now) the reconciler queues it —
    // once: it is handed to BullMQ through the outbox with a deterministic id (no ':') and its due time.
    const reconciler = t.app.get(SlaReconcileJob, { strict: false });
    const [remind] = await t.ds.query(
      `WITH u AS (UPDATE sla_timers SET due_at = now() + interval '5 minutes' WHERE clock_id = $1 AND threshold = 'remind' RETURNING due_at) SELECT due_at FROM u`, [row.id]);
    expect(await reconciler.queueUpcoming()).toBeGreaterThanOrEqual(1);
    const outbox = await outboxOf();
    expect(outbox.map((o) => o.job_id)).toEqual([`sla-fire-${row.id}-remind-v${row.clock_version}`]);
    expect(outbox[0]!.job_id).not.toContain(':');
    expect(outbox[0]!.run_at.getTime()).toBe(new Date(remind.due_at).getTime());
    expect(outbox[0]!.relayed).toBe(true);
    const job = await t.app.get(QueueService, { strict: false }).queue('sla').getJob(outbox[0]!.job_id);
    expect(job?.data).toEqual({ clockId: row.id, threshold: 'remind', clockVersion: row.clock_version });
    expect(await job?.getState()).toBe('delayed');
    await reconciler.queueUpcoming();
    expect(await outboxOf()).toHaveLength(1);

    // Resolving stops the clock and cancels its timers.
    await mustAct(t, handler, id, 'resolve', { note: '已补装' });
    const states: Array<{ state: string }> = await t.ds.query(`SELECT DISTINCT state FROM sla_timers WHERE clock_id = $1`, [row.id]);
    expect(states.map((s) => s.state)).toEqual(['cancelled']);
  });

  it('the resolve clock runs from the dispatch, before anyone signs: an unsigned ticket breaches 处置 on time', async () => {
    const filed = await fileTicket(t, grid, MANHOLE);
    const id = filed.body.id as string;
    await mustAct(t, dispatcher, id, 'register');
    const dispatched = await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS']! });
    // Dispatched, not signed: the sign clock and the resolve clock both run, the latter due 4 hours after dispatch.
    const running = dispatched.clocks.filter((c: { state: string }) => c.state === 'running').map((c: { stage: string }) => c.stage).sort();
    expect(running).toEqual(['resolve', 'sign']);
    const clock = resolveClock(dispatched);
    expect(Date.parse(clock.deadline) - Date.parse(dispatched.dispatchedAt)).toBe(4 * HOUR * 1000);
    const [before] = await t.ds.query(`SELECT id, clock_version FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve' AND state = 'running'`, [id]);
    const breach: Array<{ n: number }> = await t.ds.query(
      `SELECT count(*)::int AS n FROM sla_timers WHERE clock_id = $1 AND threshold = 'breach' AND due_at = $2::timestamptz + interval '4 hours'`, [before.id, dispatched.dispatchedAt]);
    expect(breach[0]!.n).toBe(1);
    // Signing stops the sign clock and keeps this resolve clock as it is (same row, same version, same deadline).
    const signed = await mustAct(t, handler, id, 'sign');
    expect(resolveClock(signed)).toMatchObject({ deadline: clock.deadline });
    const after = await t.ds.query(`SELECT id, clock_version FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve'`, [id]);
    expect(after).toEqual([before]);
    expect(signed.clocks.filter((c: { stage: string; state: string }) => c.stage === 'sign' && c.state === 'running')).toEqual([]);
  });

  it('立案 decides the case standard: registered as 破损 instead of the filer\'s 缺失, the ticket is normal priority with a working-hours limit', async () => {
    const filed = await fileTicket(t, grid, { ...MANHOLE, title: '井盖松动（误报为缺失）' });
    expect(filed.body).toMatchObject({ priority: 'urgent' });
    const id = filed.body.id as string;
    const standards = (await t.request('GET', `/api/v1/categories/${MANHOLE.categoryCode}`, { token: grid })).body.standards as Array<{ id: string; code: string }>;
    expect(filed.body.caseStandardId).toBe(standards.find((x) => x.code === 'missing')!.id);
    // Bad input changes nothing: an unknown standard, or a standard on another action.
    const unknown = await t.request('POST', `/api/v1/tickets/${id}/actions/register`, { token: dispatcher, body: { expectedVersion: 1, standardCode: 'nope' } });
    expect([unknown.status, unknown.body.code]).toEqual([422, 'STANDARD_NOT_FOUND']);
    const registered = await mustAct(t, dispatcher, id, 'register', { standardCode: 'damaged' });
    expect(registered).toMatchObject({ status: 'registered', version: 2, priority: 'normal', caseStandardId: standards.find((x) => x.code === 'damaged')!.id });
    const wrongAction = await t.request('POST', `/api/v1/tickets/${id}/actions/dispatch`, { token: dispatcher, body: { expectedVersion: 2, unitId: ids['FX-SZSS'], standardCode: 'missing' } });
    expect([wrongAction.status, wrongAction.body.code]).toEqual([400, 'INVALID_INPUT']);
    const dispatched = await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] });
    expect(resolveClock(dispatched)).toMatchObject({ clockType: 'working_hours' });
    const events = (await t.request('GET', `/api/v1/tickets/${id}/events`, { token: dispatcher })).body as Array<{ action: string; data: Record<string, unknown> }>;
    expect(events.find((e) => e.action === 'register')!.data).toMatchObject({ standardCode: 'damaged' });
  });

  it('a rework (返工) gets a fresh resolve limit from the reopening, not from the dispatch it was already late to', async () => {
    const { id, dispatched } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { title: '井盖缺失（返工）' });
    // The first run of the handling clock started at the dispatch; pretend the ticket was dispatched 5 hours ago, so
    // that a limit counted from the dispatch would be long breached.
    await t.ds.query(`UPDATE tickets SET dispatched_at = dispatched_at - interval '5 hours' WHERE id = $1`, [id]);
    await mustAct(t, handler, id, 'resolve', { note: '已补装' });
    const failedAt = Date.now();
    const reworked = await mustAct(t, grid, id, 'verify', { passed: false, reason: '井盖仍松动' });
    expect(reworked.status).toBe('in_progress');
    const clock = resolveClock(reworked);
    expect(Date.parse(clock.startedAt)).toBeGreaterThanOrEqual(failedAt - 1000);
    expect(Date.parse(clock.startedAt)).toBeGreaterThan(Date.parse(dispatched.dispatchedAt));
    expect(Date.parse(clock.deadline) - Date.parse(clock.startedAt)).toBe(4 * HOUR * 1000);
    expect(clock).toMatchObject({ thresholdsFired: [] });
    // The replay from the event log agrees (a recompute moves nothing).
    const recomputed = await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds: [id] } });
    expect(recomputed.status).toBe(200);
    const after = resolveClock((await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body);
    expect(after.deadline).toBe(clock.deadline);
  });

  it('a ticket dispatched without a resolve clock (before dispatches started it) gets one at sign, counted from the dispatch', async () => {
    const filed = await fileTicket(t, grid, MANHOLE);
    const id = filed.body.id as string;
    await mustAct(t, dispatcher, id, 'register');
    const dispatched = await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS']! });
    // As a ticket dispatched by the earlier code: no live resolve clock.
    await t.ds.query(`UPDATE sla_timers SET state = 'cancelled' WHERE clock_id IN (SELECT id FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve')`, [id]);
    await t.ds.query(`UPDATE ticket_clocks SET state = 'stopped', stopped_at = started_at WHERE ticket_id = $1 AND stage = 'resolve'`, [id]);
    const signed = await mustAct(t, handler, id, 'sign');
    const clock = resolveClock(signed);
    expect(Date.parse(clock.startedAt)).toBe(Date.parse(dispatched.dispatchedAt));
    expect(Date.parse(clock.deadline) - Date.parse(dispatched.dispatchedAt)).toBe(4 * HOUR * 1000);
  });

  it('a 破损 cover dispatched on Friday afternoon before 清明 (2026-04-03 15:00) is due Wednesday 16:00, skipping the holiday and the lunch breaks', async () => {
    const { id } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { standardCode: 'damaged', title: '井盖破损', priority: 'normal' });
    const report = await startResolveAt(id, '2026-04-03T15:00:00+08:00');
    expect(report.moved).toBe(1);
    // Fri 15:00–17:30 (2.5 h) · Sat–Mon 4–6 April 清明 · Tue 08:30–12:00 + 13:30–17:30 (7.5 h) · Wed 08:30–12:00 (3.5 h) and 13:30–16:00 (2.5 h) = 16 working hours.
    expect(report.changes[0]).toMatchObject({ ticketId: id, stage: 'resolve', toDeadline: '2026-04-08T08:00:00.000Z', toPolicy: 'default@1', toCalendar: 'cn-national@1' });
    const view = (await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body;
    expect(resolveClock(view)).toMatchObject({ clockType: 'working_hours', deadline: '2026-04-08T08:00:00.000Z' });
    // The recomputation is recorded: a ticket event, a stored run and an audit entry.
    expect(view.timeline.filter((e: { action: string }) => e.action === 'sla-recompute')).toHaveLength(1);
    const [run] = await t.ds.query(`SELECT examined, moved, requested_by FROM sla_recomputations WHERE id = $1`, [report.recomputationId]);
    expect(run).toMatchObject({ examined: 1, moved: 1 });
    const audit = await t.ds.query(`SELECT action, target FROM audit_log WHERE action = 'sla.recompute' AND target = $1`, [report.recomputationId]);
    expect(audit).toHaveLength(1);
    // Recomputing again moves nothing.
    const again = await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds: [id], source: 'clocks' } });
    expect(again.body).toMatchObject({ examined: 1, moved: 0, changes: [] });
  });

  it('dispatched Thursday 16:00 before 中秋 (Fri 2026-09-25 – Sun 27): due Tuesday 29 September 17:00', async () => {
    const { id } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { standardCode: 'damaged', title: '井盖松动', priority: 'normal' });
    const report = await startResolveAt(id, '2026-09-24T16:00:00+08:00');
    // Thu 16:00–17:30 (1.5 h) · Fri–Sun holiday · Mon 7.5 h · Tue 08:30–12:00 (3.5 h) and 13:30–17:00 (3.5 h) = 16 h.
    expect(report.changes[0].toDeadline).toBe('2026-09-29T09:00:00.000Z');
  });

  it('policies are versioned: a platform policy is created, a stale edit is refused, a valid edit is version 2', async () => {
    // (How a policy change reaches existing clocks through a recomputation: test/e2e/sla-recompute.e2e-spec.ts.)
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
    expect(created.body).toMatchObject({ code: 'community', platform: 'community_governance', currentVersion: 1 });
    const after = await inProgressTicket(t, tokens(), ids['FX-SZSS']!);
    expect(Date.parse(resolveClock(after.signed).deadline) - Date.parse(after.dispatched.dispatchedAt)).toBe(2 * HOUR * 1000);

    // A stale edit is refused and changes nothing; a valid edit is version 2.
    const stale = await t.request('PUT', '/api/v1/sla/policies/community', { token: admin, body: { expectedVersion: 7, definition: created.body.definition } });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('SLA_STALE_VERSION');
    const v2 = await t.request('PUT', '/api/v1/sla/policies/community', { token: admin, body: { expectedVersion: 1, definition: { ...created.body.definition, unitOverrides: [] } } });
    expect(v2.status).toBe(200);
    expect(v2.body.currentVersion).toBe(2);
  });

  it('refuses invalid policies and calendars with problem+json codes, changing nothing', async () => {
    const policiesBefore = await t.ds.query(`SELECT count(*)::int AS n FROM sla_policy_versions`);
    const bad = await t.request('PUT', '/api/v1/sla/policies/default', { token: admin, body: { expectedVersion: 1, definition: {
      priorityFactors: { urgent: -1 }, unitOverrides: 'x', stageLimits: { nope: {} }, thresholds: [{ code: 'x', fraction: 2 }], ladder: [], extra: 1,
    } } });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.code).toBe('SLA_POLICY_INVALID');
    expect(bad.body.errors.length).toBeGreaterThan(3);
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM sla_policy_versions`)).toEqual(policiesBefore);

    const badCal = await t.request('PUT', '/api/v1/sla/calendars/cn-national', { token: admin, body: { expectedVersion: 1, definition: { weekPeriods: { 1: [{ start: '25:00', end: '12:00' }] }, holidays: [], workdays: [], closures: [] } } });
    expect(badCal.status).toBe(400);
    expect(badCal.body.code).toBe('SLA_CALENDAR_INVALID');
    expect((await t.request('GET', '/api/v1/sla/calendars/cn-national', { token: admin })).body.currentVersion).toBe(1);
    expect((await t.request('GET', '/api/v1/sla/calendars/no-such', { token: admin })).status).toBe(404);
    expect((await t.request('GET', "/api/v1/sla/calendars/x'--", { token: admin })).status).toBe(404);
    expect((await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: {} })).body.code).toBe('SLA_RECOMPUTE_FILTER_REQUIRED');
    expect((await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds: ['not-a-uuid'] } })).status).toBe(400);
  });

  it('only an admin manages SLA settings', async () => {
    for (const token of [dispatcher, handler, grid]) {
      expect((await t.request('GET', '/api/v1/sla/policies', { token })).status).toBe(403);
      expect((await t.request('POST', '/api/v1/sla/recompute', { token, body: { platform: 'community_governance' } })).status).toBe(403);
    }
    expect((await t.request('GET', '/api/v1/sla/calendars')).status).toBe(401);
    const list = await t.request('GET', '/api/v1/sla/calendars', { token: admin });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([expect.objectContaining({ code: 'cn-national', parentCode: null, currentVersion: 1 })]);
  });

  it('a district calendar inherits the national one; its local closure moves new and recomputed deadlines; a year schedule imports as a new version', async () => {
    const created = await t.request('POST', '/api/v1/sla/calendars', { token: admin, body: {
      code: 'haizhou', parentCode: 'cn-national', gridNodeId: ids['210902'], note: '海州区',
      definition: { holidays: [{ date: '2026-04-07', name: { zh: '区内停工', en: 'District closure day' } }], workdays: [], closures: [] },
    } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'haizhou', parentCode: 'cn-national', currentVersion: 1 });
    const { id } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { standardCode: 'damaged', title: '井盖移位', priority: 'normal' });
    const report = await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds: [id] } });
    // New clocks already use the district calendar (nothing to move); backdate to the Friday before 清明.
    expect(report.body.moved).toBe(0);
    await t.ds.query(`UPDATE ticket_clocks SET started_at = '2026-04-03T15:00:00+08:00' WHERE ticket_id = $1 AND stage = 'resolve' AND state = 'running'`, [id]);
    const moved = await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds: [id], source: 'clocks' } });
    // Tuesday 7 April is a district holiday, so the deadline is Thursday 16:00.
    expect(moved.body.changes[0]).toMatchObject({ toDeadline: '2026-04-09T08:00:00.000Z', toCalendar: 'cn-national@1>haizhou@1' });
    const view = (await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body;
    expect(resolveClock(view).calendarVersions).toEqual({ 'cn-national': 1, haizhou: 1 });

    // A bad schedule is refused with its line numbers; a good one is the next national version.
    const bad = await t.request('POST', '/api/v1/sla/calendars/cn-national/schedule', { token: admin, body: { expectedVersion: 1, text: 'date,kind\n2027-13-01,holiday\n2027-01-02,maybe' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('SLA_SCHEDULE_INVALID');
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['line 2', 'line 3']);
    const good = await t.request('POST', '/api/v1/sla/calendars/cn-national/schedule', { token: admin, body: {
      expectedVersion: 1, text: '# 2027\ndate,kind,name_zh,name_en\n2027-01-01,holiday,元旦,New Year\n2027-02-20,workday,春节调休,Make-up day\n',
    } });
    expect(good.status).toBe(200);
    expect(good.body.currentVersion).toBe(2);
    expect(good.body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(good.body.definition.holidays).toEqual(expect.arrayContaining([expect.objectContaining({ date: '2027-01-01' }), expect.objectContaining({ date: '2026-10-01' })]));
    // New clocks record the new national version; existing ones keep theirs until recomputed.
    const fresh = await inProgressTicket(t, tokens(), ids['FX-SZSS']!);
    expect(resolveClock(fresh.signed).calendarVersions).toEqual({ 'cn-national': 2, haizhou: 1 });
    expect(resolveClock((await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body).calendarVersions).toEqual({ 'cn-national': 1, haizhou: 1 });
  });

  it("the escalation ladder's target decides the command centre: 督办 to the district's or the city's, 通报 to the city's", async () => {
    // The policy of the platform (made above; the default one when this test runs alone), with a ladder of three steps soon after the breach.
    const policies: Array<{ code: string; platform: string | null; currentVersion: number; definition: Record<string, unknown> }> = (await t.request('GET', '/api/v1/sla/policies', { token: admin })).body;
    const community = policies.find((p) => p.platform === 'community_governance') ?? policies.find((p) => p.platform === null)!;
    const ladder = [
      { code: 'supervise_district', afterBreachSeconds: 1, kind: 'supervise', target: 'district', nameZh: '区级督办', nameEn: 'District supervision' },
      { code: 'supervise_city', afterBreachSeconds: 2, kind: 'supervise', target: 'city', nameZh: '市级督办', nameEn: 'City supervision' },
      { code: 'notice', afterBreachSeconds: 3, kind: 'notice', target: 'city', nameZh: '通报', nameEn: 'Public notice' },
    ];
    const put = await t.request('PUT', `/api/v1/sla/policies/${community.code}`, { token: admin, body: {
      expectedVersion: community.currentVersion, definition: { ...community.definition, unitOverrides: [], ladder },
    } });
    expect(put.status).toBe(200);
    const { id } = await inProgressTicket(t, tokens(), ids['FX-SZSS']!, { title: '井盖缺失（督办）' });
    await armResolveClock(t, admin, id, 4 * HOUR, -10); // breached 10 s ago: every step is due
    const thresholds = (community.definition.thresholds as Array<{ code: string }>).map((x) => x.code);
    const fired = await waitFor('the ladder', async () => {
      const fs = await firingsOf(t, id);
      return fs.length >= thresholds.length + ladder.length && fs;
    });
    expect(fired.map((f) => f.threshold).sort()).toEqual([...thresholds, ...ladder.map((x) => x.code)].sort());
    const targets: Array<{ threshold: string; target: string | null; target_unit_id: string | null }> = await t.ds.query(
      `SELECT threshold, target, target_unit_id FROM sla_firings WHERE ticket_id = $1 AND threshold IN ('breach', 'notice', 'supervise_city', 'supervise_district') ORDER BY threshold`, [id]);
    expect(targets).toEqual([
      { threshold: 'breach', target: null, target_unit_id: null },
      { threshold: 'notice', target: 'city', target_unit_id: ids['FX-CC'] },
      { threshold: 'supervise_city', target: 'city', target_unit_id: ids['FX-CC'] },
      { threshold: 'supervise_district', target: 'district', target_unit_id: ids['HZ-CC'] },
    ]);
    // Each 督办 is a supervision through the workflow that names its command centre; the 通报 event names the city's.
    const view = await waitFor('two supervisions', async () => {
      const v = (await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body;
      return v.supervisionCount === 2 && v;
    });
    const notes = (action: string) => view.timeline.filter((e: { action: string }) => e.action === action).map((e: { note: string }) => e.note);
    expect(notes('supervise')).toEqual(expect.arrayContaining([
      expect.stringContaining('海州区指挥中心（HZ-CC）'), expect.stringContaining('阜新市城市运行管理指挥中心（FX-CC）'),
    ]));
    expect(notes('sla-notice')).toEqual([expect.stringContaining('阜新市城市运行管理指挥中心 FX-CC')]);
    const [notice] = await t.ds.query(`SELECT data FROM ticket_events WHERE ticket_id = $1 AND action = 'sla-notice'`, [id]);
    expect(notice.data).toMatchObject({ target: 'city', targetUnitId: ids['FX-CC'] });
    // A breach alone supervises nobody: supervision is the ladder's step.
    const [breach] = await t.ds.query(`SELECT data FROM ticket_events WHERE ticket_id = $1 AND action = 'sla-breach'`, [id]);
    expect(breach.data).not.toHaveProperty('target');
  });
});
