import { randomUUID } from 'node:crypto';
import { prepared } from '../../src/database/prepared-statements';
import { SlaRepository } from '../../src/modules/sla/sla.repository';
import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, codeIds, fileTicket, mustAct } from '../support/tickets';

/**
 * The two hot paths written in few statements (filing; claim-next → sign): what each statement must still
 * write, and that the per-process caches behind them (current category, grid node path, current SLA policy
 * and calendar) never serve a version that is no longer current — even one changed by another process.
 */
jest.setTimeout(60_000);

/** A street light (0115): no routing rule in this app, so it waits for a dispatcher. */
const LIGHT = { ...MANHOLE, categoryCode: '0115', standardCode: undefined, title: '路灯不亮', description: '站前社区路灯不亮' };

describe('hot paths: filing and claim-next in few statements', () => {
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

  /** A new version of the default policy with these stage limits, made as another process would: in SQL only. */
  async function bumpDefaultPolicy(stageSeconds: Record<string, number>): Promise<number> {
    const [p]: Array<{ current_version: number; definition: Record<string, unknown> }> = await t.ds.query(
      `SELECT p.current_version, v.definition FROM sla_policies p JOIN sla_policy_versions v ON v.code = p.code AND v.version = p.current_version WHERE p.code = 'default'`);
    const next = p!.current_version + 1;
    await t.ds.query(`INSERT INTO sla_policy_versions (code, version, definition, note) VALUES ('default', $1, $2, 'hot-paths test')`,
      [next, JSON.stringify({ ...p!.definition, stageLimits: Object.fromEntries(Object.entries(stageSeconds).map(([stage, seconds]) => [stage, { type: 'natural', seconds }])) })]);
    await t.ds.query(`UPDATE sla_policies SET current_version = $1 WHERE code = 'default'`, [next]);
    return next;
  }

  it('a filing writes ticket, event, key, routing job, clock, timers and their jobs; a policy changed elsewhere is seen at once', async () => {
    // Warm the caches under the current policy (the default: an urgent filing is registered within 30 minutes).
    const before = await fileTicket(t, grid, { ...MANHOLE, title: '缓存预热' }, 'hot-paths-warm-0001');
    expect(before.status).toBe(201);
    expect(before.body.clocks).toEqual([expect.objectContaining({ stage: 'register', state: 'running', clockType: 'natural' })]);
    const [warm] = before.body.clocks;
    expect(Date.parse(warm.deadline) - Date.parse(warm.startedAt)).toBe(30 * 60 * 1000);

    const version = await bumpDefaultPolicy({ register: 540 });
    const filed = await fileTicket(t, grid, MANHOLE, 'hot-paths-file-0001');
    expect(filed.status).toBe(201);
    const ticket = filed.body;
    expect(ticket.number).toMatch(/^FX-\d{8}-\d{6}$/);
    expect(ticket.reporter).toEqual({ name: '张**', phone: '138****2345' });
    expect(filed.body.duplicateSuggestions.map((d: { id: string }) => d.id)).toContain(before.body.id);
    const [clock] = ticket.clocks;
    expect(ticket.clocks).toHaveLength(1);
    expect(clock).toMatchObject({ stage: 'register', state: 'running', clockType: 'natural', clockVersion: 1 });
    expect(Date.parse(clock.deadline) - Date.parse(clock.startedAt)).toBe(540 * 1000);

    const [stored] = await t.ds.query(`SELECT id, policy_code, policy_version, calendar_key, deadline FROM ticket_clocks WHERE ticket_id = $1`, [ticket.id]);
    expect(stored).toMatchObject({ policy_code: 'default', policy_version: version });
    expect(stored.calendar_key).toMatch(/^cn-national@\d+/);
    const events = await t.ds.query(`SELECT seq, action, to_status, actor_role FROM ticket_events WHERE ticket_id = $1`, [ticket.id]);
    expect(events).toEqual([{ seq: 1, action: 'file', to_status: 'reported', actor_role: 'grid_worker' }]);
    expect(await t.ds.query(`SELECT ticket_id FROM idempotency_keys WHERE key = 'hot-paths-file-0001'`)).toEqual([{ ticket_id: ticket.id }]);

    const timers: Array<{ threshold: string; due_at: Date; state: string }> = await t.ds.query(
      `SELECT threshold, due_at, state FROM sla_timers WHERE clock_id = $1 ORDER BY due_at`, [stored.id]);
    expect(timers.map((x) => x.threshold)).toEqual(['remind', 'warning', 'breach', 'supervise_district', 'notice']);
    expect(timers.find((x) => x.threshold === 'breach')!.due_at.getTime()).toBe(stored.deadline.getTime());
    const jobs: Array<{ job_name: string; job_id: string; payload: Record<string, unknown>; run_at: Date | null }> = await t.ds.query(
      `SELECT job_name, job_id, payload, run_at FROM outbox WHERE job_id LIKE $1 OR job_id = $2 ORDER BY job_id`, [`sla-fire-${stored.id}-%`, `route-${ticket.id}`]);
    expect(jobs.find((j) => j.job_name === 'dispatch.route')).toMatchObject({ job_id: `route-${ticket.id}`, payload: { ticketId: ticket.id }, run_at: null });
    // The timers due within the queue-ahead horizon (600 s) get their jobs now; the 督办 and 通报 rungs, hours
    // after the breach, wait unqueued for the reconciler.
    const fire = jobs.filter((j) => j.job_name === 'sla.fire');
    expect(fire.map((j) => j.job_id).sort()).toEqual(['breach', 'remind', 'warning'].map((th) => `sla-fire-${stored.id}-${th}-v1`));
    expect(await t.ds.query(`SELECT threshold, queued FROM sla_timers WHERE clock_id = $1 ORDER BY due_at`, [stored.id])).toEqual([
      { threshold: 'remind', queued: true }, { threshold: 'warning', queued: true }, { threshold: 'breach', queued: true },
      { threshold: 'supervise_district', queued: false }, { threshold: 'notice', queued: false },
    ]);
    for (const timer of timers.slice(0, 3)) {
      const job = fire.find((j) => j.job_id === `sla-fire-${stored.id}-${timer.threshold}-v1`);
      expect(job?.payload).toEqual({ clockId: stored.id, threshold: timer.threshold, clockVersion: 1 });
      expect(job?.run_at?.getTime()).toBe(timer.due_at.getTime());
    }

    // A retry with the same key is the same ticket and writes nothing more.
    const retry = await fileTicket(t, grid, MANHOLE, 'hot-paths-file-0001');
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(ticket.id);
    expect((await t.ds.query(`SELECT count(*)::int AS n FROM ticket_clocks WHERE ticket_id = $1`, [ticket.id]))[0].n).toBe(1);
  });

  it('a calendar chain changed elsewhere (a new district calendar) is seen by the next clock', async () => {
    await fileTicket(t, grid, { ...MANHOLE, title: '日历缓存预热' });
    const [district] = await t.ds.query(`SELECT id FROM grid_nodes WHERE code = '210902'`);
    const [root] = await t.ds.query(`SELECT c.code, c.current_version FROM sla_calendars c JOIN sla_calendar_versions v ON v.code = c.code AND v.version = c.current_version WHERE c.parent_code IS NULL`);
    await t.ds.query(`INSERT INTO sla_calendars (code, parent_code, grid_node_id, current_version) VALUES ('hot-haizhou', $1, $2, 1)`, [root.code, district.id]);
    await t.ds.query(`INSERT INTO sla_calendar_versions (code, version, definition, note) VALUES ('hot-haizhou', 1, $1, 'hot-paths test')`,
      [JSON.stringify({ code: 'hot-haizhou', version: 1, parentCode: root.code, holidays: [], workdays: [], closures: [] })]);
    const filed = await fileTicket(t, grid, MANHOLE);
    expect(filed.status).toBe(201);
    const [clock] = await t.ds.query(`SELECT calendar_key FROM ticket_clocks WHERE ticket_id = $1`, [filed.body.id]);
    expect(clock.calendar_key).toBe(`${root.code}@${root.current_version}>hot-haizhou@1`);
  });

  it('a category superseded after it was cached: the next filing takes the new version', async () => {
    const first = await fileTicket(t, grid, { ...MANHOLE, categoryCode: '0103', standardCode: 'missing' });
    expect(first.status).toBe(201);
    const v1 = (await t.request('GET', '/api/v1/categories/0103', { token: grid })).body;
    expect(first.body.categoryId).toBe(v1.id);
    const edited = await t.request('PUT', '/api/v1/admin/categories/0103', { token: admin, body: { expectedVersion: 1, nameEn: 'Hot-path cover' } });
    expect(edited.status).toBe(200);
    const second = await fileTicket(t, grid, { ...MANHOLE, categoryCode: '0103', standardCode: 'missing' });
    expect(second.status).toBe(201);
    expect(second.body.categoryId).toBe(edited.body.id);
    expect(second.body.caseStandardId).toBe(edited.body.standards.find((s: { code: string }) => s.code === 'missing').id);
    expect((await t.request('GET', `/api/v1/tickets/${first.body.id}`, { token: grid })).body.categoryId).toBe(v1.id);
  });

  it('duplicate suggestions: within the radius in every direction, not beyond it; tickets without a location still count', async () => {
    const base = { ...MANHOLE, categoryCode: '0107', standardCode: undefined, title: '幸福路88号雨水篦子破损', description: '幸福路88号 grate 2 broken 雨水篦子破损下陷' };
    const lat = 42.03;
    const lng = 121.67;
    const east190 = 190 / (6371000 * Math.cos((lat * Math.PI) / 180)) * (180 / Math.PI); // 190 m east in degrees of longitude
    const north190 = (190 / 6371000) * (180 / Math.PI);
    const filed = await Promise.all([
      fileTicket(t, grid, { ...base, lat, lng: lng + east190 }),
      fileTicket(t, grid, { ...base, lat: lat - north190, lng }),
      fileTicket(t, grid, { ...base, lat, lng: lng - east190 * 1.2 }), // 228 m west: outside
      fileTicket(t, grid, { ...base, lat: lat + north190 * 1.2, lng }), // 228 m north: outside
      fileTicket(t, grid, { ...base, lat: undefined, lng: undefined }),
    ]);
    expect(filed.map((f) => f.status)).toEqual([201, 201, 201, 201, 201]);
    // Same place and text, but filed by the district's dispatcher in another community: outside the grid
    // worker's scope, so never suggested to them.
    const elsewhere = await fileTicket(t, dispatcher, { ...base, lat, lng: lng + east190 / 2, gridNodeId: ids['210902001002'] });
    expect(elsewhere.status).toBe(201);
    const probe = await fileTicket(t, grid, { ...base, lat, lng });
    const suggested = probe.body.duplicateSuggestions.map((d: { id: string }) => d.id).sort();
    expect(suggested).toEqual([filed[0]!.body.id, filed[1]!.body.id, filed[4]!.body.id].sort());
    const east = probe.body.duplicateSuggestions.find((d: { id: string }) => d.id === filed[0]!.body.id);
    expect(east.distanceM).toBe(190);
    // The dispatcher sees both communities: their own filing at the same place is suggested to them.
    const dispatcherProbe = await fileTicket(t, dispatcher, { ...base, lat, lng, gridNodeId: ids['210902001002'] });
    expect(dispatcherProbe.body.duplicateSuggestions.map((d: { id: string }) => d.id)).toContain(elsewhere.body.id);
  });

  it('duplicate suggestions by similar Chinese text alone (Han characters count for the similarity), not by unrelated text', async () => {
    const [{ ctype }] = await t.ds.query(`SELECT datctype AS ctype FROM pg_database WHERE datname = current_database()`);
    expect(ctype).toBe('C.UTF-8');
    const lat = 42.041;
    const lng = 121.641;
    const north120 = (120 / 6371000) * (180 / Math.PI); // beyond the 50 m at which distance alone suggests
    const base = { ...MANHOLE, categoryCode: '0102', standardCode: undefined, address: undefined };
    const first = await fileTicket(t, grid, { ...base, title: '光明街道南侧污水井盖丢失', description: '人行道上污水井盖丢失，夜间行人有坠落危险', lat, lng });
    const unrelated = await fileTicket(t, grid, { ...base, title: '楼道堆放杂物', description: '三单元楼道堆放纸箱，影响通行', lat, lng }); // also 120 m from the probe
    expect([first.status, unrelated.status]).toEqual([201, 201]);
    const probe = await fileTicket(t, grid, { ...base, title: '光明街道污水井盖缺失', description: '人行道污水井盖缺失，行人夜间容易坠落', lat: lat + north120, lng });
    const suggested = probe.body.duplicateSuggestions as Array<{ id: string; similarity: number; distanceM: number }>;
    expect(suggested.map((d) => d.id)).toEqual([first.body.id]);
    expect(suggested[0]!.distanceM).toBe(120);
    expect(suggested[0]!.similarity).toBeGreaterThanOrEqual(0.2);
  });

  async function dispatchedLight(title: string): Promise<string> {
    const filed = await fileTicket(t, dispatcher, { ...LIGHT, title, gridNodeId: ids['210902001002'] });
    expect(filed.status).toBe(201);
    await mustAct(t, dispatcher, filed.body.id, 'register');
    await mustAct(t, dispatcher, filed.body.id, 'dispatch', { unitId: ids['FX-SZSS'] });
    return filed.body.id;
  }

  async function drain(): Promise<void> {
    while ((await t.request('POST', `/api/v1/queues/units/${ids['FX-SZSS']}/claim-next`, { token: handler })).status === 200);
  }

  it('claim-next answers the signed ticket with its clocks and no timeline; the sign clock stops, the resolve clock starts', async () => {
    await drain();
    const id = await dispatchedLight('领取应答');
    const res = await t.request('POST', `/api/v1/queues/units/${ids['FX-SZSS']}/claim-next`, { token: handler });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'in_progress', previousStatus: 'dispatched', reporter: { name: '张**', phone: '138****2345' } });
    expect(res.body).not.toHaveProperty('timeline');
    const byStage = Object.fromEntries(res.body.clocks.map((c: { stage: string }) => [c.stage, c]));
    expect(byStage.sign).toMatchObject({ state: 'stopped' });
    expect(byStage.resolve).toMatchObject({ state: 'running' });
    expect(byStage.resolve.deadline).not.toBeNull();
    const detail = (await t.request('GET', `/api/v1/tickets/${id}`, { token: handler })).body;
    expect({ ...detail, timeline: undefined }).toEqual({ ...res.body, timeline: undefined });
    expect(detail.timeline.map((e: { action: string }) => e.action)).toEqual(['file', 'register', 'dispatch', 'sign']);

    const timers: Array<{ stage: string; state: string; n: number }> = await t.ds.query(
      `SELECT c.stage, tm.state, count(*)::int AS n FROM sla_timers tm JOIN ticket_clocks c ON c.id = tm.clock_id
        WHERE tm.ticket_id = $1 GROUP BY c.stage, tm.state ORDER BY c.stage, tm.state`, [id]);
    expect(timers.filter((x) => x.stage === 'sign').every((x) => x.state === 'cancelled')).toBe(true);
    expect(timers.find((x) => x.stage === 'resolve' && x.state === 'pending')?.n).toBeGreaterThanOrEqual(3);
  });

  it('a sign clock with a threshold already due fires it inside the claim (the step-by-step stop), then stops', async () => {
    await drain();
    await bumpDefaultPolicy({ register: 3600, sign: 3600 });
    const id = await dispatchedLight('到期节点');
    const [sign] = await t.ds.query(`SELECT id, clock_version FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'sign' AND state = 'running'`, [id]);
    expect(sign).toBeDefined();
    // Make the remind threshold due a second ago (the job for it is still delayed by an hour).
    const moved = await t.ds.query(
      `WITH u AS (UPDATE sla_timers SET due_at = now() - interval '1 second' WHERE clock_id = $1 AND threshold = 'remind' AND state = 'pending' RETURNING 1) SELECT count(*)::int AS n FROM u`, [sign.id]);
    expect(moved[0].n).toBe(1);
    const res = await t.request('POST', `/api/v1/queues/units/${ids['FX-SZSS']}/claim-next`, { token: handler });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(id);
    const firings = await t.ds.query(`SELECT threshold, via FROM sla_firings WHERE clock_id = $1`, [sign.id]);
    expect(firings).toEqual([{ threshold: 'remind', via: 'action' }]);
    const signClock = res.body.clocks.find((c: { stage: string }) => c.stage === 'sign');
    expect(signClock).toMatchObject({ state: 'stopped', thresholdsFired: ['remind'] });
    expect(await t.ds.query(`SELECT threshold, state FROM sla_timers WHERE clock_id = $1 AND state = 'pending'`, [sign.id])).toEqual([]);
  });

  it('hot statements run as named prepared statements, and their generic plans look timers up by clock, never by due time', async () => {
    const sla = t.app.get(SlaRepository, { strict: false });
    await t.ds.transaction(async (m) => {
      // Generic plans at once (normally after five custom ones), as a statement prepared while the tables were small keeps.
      await m.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
      const ticketId = randomUUID();
      for (let i = 0; i < 2; i++) await sla.stopClocks(m, [ticketId], 'sign', new Date());
      const prepared: Array<{ name: string; generic_plans: number }> = await m.query(
        `SELECT name, generic_plans::int FROM pg_prepared_statements WHERE name LIKE 'sla.stopClocks.%'`);
      expect(prepared).toHaveLength(1);
      expect(prepared[0]!.generic_plans).toBeGreaterThanOrEqual(1);
      const plan: Array<{ 'QUERY PLAN': string }> = await m.query(`EXPLAIN EXECUTE "${prepared[0]!.name}"('{${ticketId}}', 'sign', now())`);
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('sla_timers_pkey');
      expect(text).not.toContain('sla_timers_pending_due_idx');
    });
  });

  it('a connection whose prepared statement went stale (a column added by another process) fails once, then recovers', async () => {
    await t.ds.query(`CREATE TABLE prepared_probe (id int PRIMARY KEY, a text)`);
    await t.ds.query(`INSERT INTO prepared_probe VALUES (1, 'x')`);
    const sql = prepared('test.probe', `SELECT * FROM prepared_probe WHERE id = $1`);
    const runner = t.ds.createQueryRunner();
    await runner.connect();
    try {
      expect(await runner.query(sql, [1])).toEqual([{ id: 1, a: 'x' }]);
      const names: Array<{ name: string }> = await runner.query(`SELECT name FROM pg_prepared_statements WHERE name LIKE 'test.probe.%'`);
      expect(names).toHaveLength(1);
      // Another process migrates: the table gains a column.
      await t.ds.query(`ALTER TABLE prepared_probe ADD COLUMN b text NOT NULL DEFAULT 'y'`);
      await expect(runner.query(sql, [1])).rejects.toThrow('cached plan must not change result type');
      expect(await runner.query(sql, [1])).toEqual([{ id: 1, a: 'x', b: 'y' }]);
      expect(await runner.query(sql, [1])).toEqual([{ id: 1, a: 'x', b: 'y' }]);
    } finally {
      await runner.release();
      await t.ds.query(`DROP TABLE prepared_probe`);
    }
  });
});
