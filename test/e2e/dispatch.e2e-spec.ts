import * as jwt from 'jsonwebtoken';
import { RouterService } from '../../src/modules/dispatch/router.service';
import { TicketActionsService } from '../../src/modules/tickets/ticket-actions.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { act, codeIds, fileTicket, MANHOLE, mustAct, waitFor } from '../support/tickets';

/** A street light (0115): no routing rule matches it, so it waits for a dispatcher. */
const LIGHT = { ...MANHOLE, categoryCode: '0115', standardCode: undefined, title: '路灯不亮', description: '站前社区路灯不亮' };

/** The complete server-sent events of a stream about one ticket, in order, as `kind status vN`. */
function sseEventsOf(text: string, ticketId: string): string[] {
  // The last piece has no blank line after it yet: an event still being received, or nothing.
  return text.split('\n\n').slice(0, -1).flatMap((frame) => {
    const kind = /^event: (\w+)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (!kind || kind === 'ready' || !data) return [];
    const d = JSON.parse(data) as { ticketId: string; status: string; version: number };
    return d.ticketId === ticketId ? [`${kind} ${d.status} v${d.version}`] : [];
  });
}

jest.setTimeout(60_000);

describe('dispatch: routing rules, queues, claim-next, returns 派单', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;
  let handler: string;
  let admin: string;
  let official: string;

  /** A staff account made directly in SQL, with the demo password. */
  async function addUser(username: string, role: string, nodeCode: string, unitCode: string | null, onDuty = false): Promise<{ token: string; id: string; username: string }> {
    const rows: Array<{ id: string }> = await t.ds.query(
      `INSERT INTO users (username, display_name, role, scope_node_id, unit_id, password_hash, on_duty)
       SELECT $1, $1, $2, g.id, u.id, (SELECT password_hash FROM users WHERE username = 'demo.handler'), $5
         FROM grid_nodes g LEFT JOIN units u ON u.code = $4 WHERE g.code = $3 RETURNING id`, [username, role, nodeCode, unitCode, onDuty]);
    return { token: await t.login(username), id: rows[0]!.id, username };
  }

  /** Files a street-light ticket in 站前社区 as the dispatcher, registers it and, given a unit, dispatches it. */
  async function dispatched(unitCode: string | null, extra: Record<string, unknown> = {}, dispatchBody: Record<string, unknown> = {}): Promise<{ id: string; version: number }> {
    const filed = await fileTicket(t, dispatcher, { ...LIGHT, gridNodeId: ids['210902001002'], ...extra });
    if (filed.status !== 201) throw new Error(`file failed ${filed.status} ${filed.text}`);
    await mustAct(t, dispatcher, filed.body.id, 'register');
    if (!unitCode) return filed.body;
    return mustAct(t, dispatcher, filed.body.id, 'dispatch', { unitId: ids[unitCode], ...dispatchBody });
  }

  async function ticket(id: string) {
    return (await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body;
  }

  beforeAll(async () => {
    t = await createTestApp({ seedRouting: true });
    ids = await codeIds(t);
    [grid, dispatcher, handler, admin, official] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.admin', 'demo.official'].map((u) => t.login(u)));
  });
  afterAll(async () => { await t.close(); });

  describe('routing after filing', () => {
    it('routes the demo manhole ticket to 市政设施服务中心 automatically within seconds, once', async () => {
      const started = Date.now();
      const filed = await fileTicket(t, grid, MANHOLE);
      expect(filed.status).toBe(201);
      expect(filed.body.status).toBe('reported');
      const routed = await waitFor(async () => { const b = await ticket(filed.body.id); return b.status === 'dispatched' && b; }, 10_000);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(routed.unitId).toBe(ids['FX-SZSS']);
      expect(routed.timeline.map((e: { action: string; actorRole: string; to: string }) => [e.action, e.actorRole, e.to])).toEqual([
        ['file', 'grid_worker', 'reported'], ['register', 'system', 'registered'], ['dispatch', 'system', 'dispatched'],
      ]);
      expect(routed.timeline[2].note).toContain('派单目录');

      // A second delivery of the job changes nothing.
      const router = t.app.get(RouterService);
      expect(await router.routeTicket(filed.body.id)).toBe('not-reported');
      const again = await ticket(filed.body.id);
      expect(again.version).toBe(routed.version);
      expect(again.timeline).toHaveLength(3);
      // It waits in the unit's inbox, for the unit's handler.
      const inbox = await t.request('GET', `/api/v1/queues/units/${ids['FX-SZSS']}`, { token: handler });
      expect(inbox.status).toBe(200);
      expect(inbox.body.items.map((i: { id: string }) => i.id)).toContain(filed.body.id);
    });

    it('resumes a routing that stopped after registering, and leaves unmatched tickets to triage', async () => {
      const router = t.app.get(RouterService);
      const light = await fileTicket(t, grid, LIGHT);
      await waitFor(async () => (await t.ds.query(`SELECT 1 FROM outbox WHERE job_id = $1 AND relayed_at IS NOT NULL`, [`route-${light.body.id}`])).length > 0);
      expect(await router.routeTicket(light.body.id)).toBe('no-rule');
      expect((await ticket(light.body.id)).status).toBe('reported');
      const triage = await t.request('GET', '/api/v1/queues/triage', { token: dispatcher });
      expect(triage.body.items.map((i: { id: string }) => i.id)).toContain(light.body.id);

      // A manhole ticket registered by the system whose dispatch never happened (worker killed mid-job).
      const [{ id: ruleUnit }] = await t.ds.query(`SELECT unit_id AS id FROM dispatch_rules LIMIT 1`);
      await t.ds.query(`UPDATE dispatch_rules SET active = false`);
      const manhole = await fileTicket(t, grid, { ...MANHOLE, title: '中断的自动派遣' });
      await waitFor(async () => (await t.ds.query(`SELECT 1 FROM outbox WHERE job_id = $1 AND relayed_at IS NOT NULL`, [`route-${manhole.body.id}`])).length > 0);
      await new Promise((r) => setTimeout(r, 300));
      expect((await ticket(manhole.body.id)).status).toBe('reported');
      await t.app.get(TicketActionsService).actAsSystem(manhole.body.id, 'register', { expectedVersion: 1 });
      await t.ds.query(`UPDATE dispatch_rules SET active = true`);
      expect(await router.routeTicket(manhole.body.id)).toBe('routed');
      const done = await ticket(manhole.body.id);
      expect(done).toMatchObject({ status: 'dispatched', unitId: ruleUnit });
      expect(await router.routeTicket(manhole.body.id)).toBe('not-reported');

      // A rule whose unit was deactivated matches nothing (`unit-inactive`): the ticket stays reported, untouched,
      // with the people; the next delivery once the unit is back routes it.
      await t.ds.query(`UPDATE dispatch_rules SET active = false`);
      const stranded = await fileTicket(t, grid, { ...MANHOLE, title: '单位停用后的自动派遣' });
      await waitFor(async () => (await t.ds.query(`SELECT 1 FROM outbox WHERE job_id = $1 AND relayed_at IS NOT NULL`, [`route-${stranded.body.id}`])).length > 0);
      await new Promise((r) => setTimeout(r, 300));
      await t.ds.query(`UPDATE dispatch_rules SET active = true`);
      await t.ds.query(`UPDATE units SET active = false WHERE id = $1`, [ruleUnit]);
      try {
        expect(await router.routeTicket(stranded.body.id)).toBe('no-rule');
      } finally {
        await t.ds.query(`UPDATE units SET active = true WHERE id = $1`, [ruleUnit]);
      }
      expect(await ticket(stranded.body.id)).toMatchObject({ status: 'reported', version: 1 });
      const actions = await t.ds.query(`SELECT action FROM ticket_events WHERE ticket_id = $1 ORDER BY seq`, [stranded.body.id]);
      expect(actions.map((a: { action: string }) => a.action)).toEqual(['file']);
      expect(await router.routeTicket(stranded.body.id)).toBe('routed');
      expect(await ticket(stranded.body.id)).toMatchObject({ status: 'dispatched', unitId: ruleUnit });
    });

    it('a time window is matched at the filing instant, however late the routing job runs (a reconciler re-run hours later)', async () => {
      const router = t.app.get(RouterService);
      // Filed in 站前社区, where no rule applies yet: the routing job leaves it reported.
      const filed = (await fileTicket(t, dispatcher, { ...MANHOLE, gridNodeId: ids['210902001002'], title: '夜间窗口测试井盖' })).body;
      await waitFor(async () => (await t.ds.query(`SELECT 1 FROM outbox WHERE job_id = $1 AND relayed_at IS NOT NULL`, [`route-${filed.id}`])).length > 0);
      await new Promise((r) => setTimeout(r, 300));
      expect((await ticket(filed.id)).status).toBe('reported');
      // As if it had been filed an hour ago (the event log's partition key moves with it; triggers off for the edit).
      const shift = new Date().getUTCHours() >= 1 ? '-1 hour' : '1 hour';
      await t.ds.transaction(async (m) => {
        await m.query(`SET LOCAL session_replication_role = replica`);
        await m.query(`UPDATE ticket_events SET filed_at = filed_at + $2::interval WHERE ticket_id = $1`, [filed.id, shift]);
        await m.query(`UPDATE tickets SET created_at = created_at + $2::interval WHERE id = $1`, [filed.id, shift]);
      });
      const [{ hour }] = await t.ds.query(`SELECT extract(hour FROM created_at AT TIME ZONE 'Asia/Shanghai')::int AS hour FROM tickets WHERE id = $1`, [filed.id]);
      const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
      // A rule for that hour of the day only: it covered the filing, not the present.
      const rule = await t.request('POST', '/api/v1/dispatch/rules', { token: dispatcher, body: {
        name: '整点窗口井盖转自来水公司', platform: 'community_governance', categoryCodes: [MANHOLE.categoryCode], gridNodeId: ids['210902001'],
        windowStart: hh(hour), windowEnd: hh(hour + 1), unitId: ids['FX-WATER'], position: 1, autoRegister: true, autoDispatch: true,
      } });
      expect(rule.status).toBe(201);
      try {
        expect(await router.routeTicket(filed.id)).toBe('routed');
        expect(await ticket(filed.id)).toMatchObject({ status: 'dispatched', unitId: ids['FX-WATER'] });
      } finally {
        await t.request('DELETE', `/api/v1/dispatch/rules/${rule.body.id}`, { token: dispatcher });
      }
    });

    it('dry-run says where a ticket would go and why, with every rule considered', async () => {
      const manhole = (await fileTicket(t, dispatcher, { ...MANHOLE, gridNodeId: ids['210902001002'], title: '站前社区井盖' })).body;
      const night = await t.request('POST', '/api/v1/dispatch/rules', { token: dispatcher, body: {
        name: '夜间井盖转自来水公司', platform: 'community_governance', categoryPrefix: '01', gridNodeId: ids['210902001'],
        windowStart: '22:00', windowEnd: '06:00', unitId: ids['FX-WATER'], position: 5,
      } });
      expect(night.status).toBe(201);
      const noon = await t.request('POST', '/api/v1/dispatch/dry-run', { token: dispatcher, body: { ticketId: manhole.id, at: '2026-11-27T04:00:00Z' } });
      expect(noon.status).toBe(200);
      // 站前社区 is outside the demo rule's 电务社区 and noon is outside the night window: the district command centre.
      expect(noon.body).toMatchObject({ source: 'fallback', unitCode: 'HZ-CC', unitId: ids['HZ-CC'], ruleId: null, localTime: '12:00' });
      const verdicts = Object.fromEntries(noon.body.rulesConsidered.map((v: { name: string; miss: string | null }) => [v.name, v.miss]));
      expect(verdicts['夜间井盖转自来水公司']).toBe('window');
      const late = await t.request('POST', '/api/v1/dispatch/dry-run', { token: dispatcher, body: { ticketId: manhole.id, at: '2026-11-27T15:30:00Z' } });
      expect(late.body).toMatchObject({ source: 'rule', ruleId: night.body.id, unitCode: 'FX-WATER', localTime: '23:30', autoRegister: false });

      const inDianwu = (await fileTicket(t, grid, { ...MANHOLE, title: '电务社区井盖' })).body;
      const demo = await t.request('POST', '/api/v1/dispatch/dry-run', { token: dispatcher, body: { ticketId: inDianwu.id, at: '2026-11-27T04:00:00Z' } });
      expect(demo.body).toMatchObject({ source: 'rule', unitCode: 'FX-SZSS', autoRegister: true, autoDispatch: true });
      expect(demo.body.rulesConsidered.map((v: { name: string; matched: boolean }) => [v.name, v.matched])).toEqual([
        ['夜间井盖转自来水公司', false], ['电务社区井盖直派市政设施服务中心', true],
      ]);
      const light = (await fileTicket(t, grid, { ...LIGHT, title: '电务社区路灯' })).body;
      const lightRun = await t.request('POST', '/api/v1/dispatch/dry-run', { token: dispatcher, body: { ticketId: light.id, at: '2026-11-27T04:00:00Z' } });
      expect(lightRun.body.source).toBe('fallback');
      expect(lightRun.body.rulesConsidered.find((v: { name: string }) => v.name.startsWith('电务社区')).miss).toBe('category');
      await t.request('DELETE', `/api/v1/dispatch/rules/${night.body.id}`, { token: dispatcher });
    });
  });

  describe('routing rules 派单目录', () => {
    const rule = (over: Record<string, unknown> = {}) => ({
      name: '海州区路灯派城管局', platform: 'community_governance', categoryCodes: ['0115'], gridNodeId: ids['210902'],
      unitId: ids['FX-CGJ'], position: 100, autoRegister: true, autoDispatch: false, ...over,
    });

    it('CRUD by dispatchers and admins, versioned, every change audited', async () => {
      const created = await t.request('POST', '/api/v1/dispatch/rules', { token: dispatcher, body: rule() });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: '海州区路灯派城管局', categoryCodes: ['0115'], version: 1, active: true, windowStart: null });
      const id = created.body.id;
      const listed = await t.request('GET', '/api/v1/dispatch/rules', { token: admin });
      expect(listed.body.map((r: { id: string }) => r.id)).toContain(id);
      const updated = await t.request('PUT', `/api/v1/dispatch/rules/${id}`, { token: admin, body: { ...rule({ windowStart: '08:30', windowEnd: '17:30' }), expectedVersion: 1 } });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ version: 2, windowStart: '08:30', windowEnd: '17:30' });
      const stale = await t.request('PUT', `/api/v1/dispatch/rules/${id}`, { token: dispatcher, body: { ...rule({ name: '过期' }), expectedVersion: 1 } });
      expect(stale.status).toBe(409);
      expect(stale.body.code).toBe('RULE_STALE_VERSION');
      expect((await t.request('GET', `/api/v1/dispatch/rules/${id}`, { token: dispatcher })).body.name).toBe('海州区路灯派城管局');
      expect((await t.request('DELETE', `/api/v1/dispatch/rules/${id}`, { token: dispatcher })).status).toBe(204);
      expect((await t.request('GET', `/api/v1/dispatch/rules/${id}`, { token: dispatcher })).status).toBe(404);
      // A city rule decides the district's tickets too: the district dispatcher sees it, read-only.
      const cityRule = await t.request('POST', '/api/v1/dispatch/rules', { token: admin, body: rule({ name: '全市路灯派城管局', gridNodeId: ids['210900'], position: 900 }) });
      expect(cityRule.status).toBe(201);
      const seen = (await t.request('GET', '/api/v1/dispatch/rules', { token: dispatcher })).body as Array<{ id: string; editable: boolean }>;
      expect(seen.find((r) => r.id === cityRule.body.id)).toMatchObject({ editable: false });
      expect(seen.filter((r) => r.editable === false).every((r) => r.id !== id)).toBe(true);
      expect((await t.request('GET', `/api/v1/dispatch/rules/${cityRule.body.id}`, { token: dispatcher })).body).toMatchObject({ id: cityRule.body.id, editable: false });
      expect((await t.request('GET', `/api/v1/dispatch/rules/${cityRule.body.id}`, { token: admin })).body).toMatchObject({ editable: true });
      expect((await t.request('PUT', `/api/v1/dispatch/rules/${cityRule.body.id}`, { token: dispatcher, body: { ...rule({ gridNodeId: ids['210900'] }), expectedVersion: 1 } })).status).toBe(422);
      expect((await t.request('DELETE', `/api/v1/dispatch/rules/${cityRule.body.id}`, { token: dispatcher })).status).toBe(404);
      expect((await t.request('DELETE', `/api/v1/dispatch/rules/${cityRule.body.id}`, { token: admin })).status).toBe(204);
      const audit: Array<{ action: string; actor_username: string; details: { before?: { name: string }; after?: { windowStart: string } } }> = await t.ds.query(
        `SELECT action, actor_username, details FROM audit_log WHERE target = $1 AND action LIKE 'dispatch.rule.%' ORDER BY id`, [id]);
      expect(audit.map((a) => [a.action, a.actor_username])).toEqual([
        ['dispatch.rule.create', 'demo.dispatcher'], ['dispatch.rule.update', 'demo.admin'], ['dispatch.rule.delete', 'demo.dispatcher'],
      ]);
      expect(audit[1]!.details.after!.windowStart).toBe('08:30');
      expect(audit[2]!.details.before!.name).toBe('海州区路灯派城管局');
    });

    it('refuses bad rules with 4xx and changes nothing', async () => {
      const before = (await t.ds.query(`SELECT count(*)::int AS n FROM dispatch_rules`))[0].n;
      const cases: Array<[Record<string, unknown>, number, string]> = [
        [rule({ gridNodeId: ids['210911001001'] }), 422, 'RULE_GRID_NODE_NOT_FOUND'],
        [rule({ unitId: ids['XH-CC'] }), 422, 'RULE_UNIT_NOT_FOUND'],
        [rule({ windowStart: '08:00' }), 422, 'RULE_INVALID'],
        [rule({ windowStart: '08:00', windowEnd: '08:00' }), 422, 'RULE_INVALID'],
        [rule({ autoRegister: false, autoDispatch: true }), 422, 'RULE_INVALID'],
        // The unit must cover the rule's grid node: a community's party branch cannot take the whole district's tickets.
        [rule({ unitId: ids['HZ-DW-DZB'] }), 422, 'RULE_INVALID'],
        // Categories must be current categories of the rule's platform.
        [rule({ categoryCodes: ['0115', '9999'] }), 422, 'RULE_INVALID'],
        [rule({ platform: 'dispute_resolution', categoryCodes: ['0115'] }), 422, 'RULE_INVALID'],
        [rule({ categoryCodes: [], categoryPrefix: 'ZZ' }), 422, 'RULE_INVALID'],
        [rule({ platform: 'teleport' }), 400, 'VALIDATION_FAILED'],
        [rule({ windowStart: '24:00', windowEnd: '01:00' }), 400, 'VALIDATION_FAILED'],
        [rule({ position: -1 }), 400, 'VALIDATION_FAILED'],
        [rule({ categoryCodes: ["0101'; DROP TABLE tickets; --"] }), 400, 'VALIDATION_FAILED'],
        [rule({ name: 'a\u0000b' }), 400, 'NUL_BYTE'],
        [rule({ extra: true }), 400, 'VALIDATION_FAILED'],
        [rule({ gridNodeId: 'not-a-uuid' }), 400, 'VALIDATION_FAILED'],
      ];
      for (const [body, status, code] of cases) {
        const res = await t.request('POST', '/api/v1/dispatch/rules', { token: dispatcher, body });
        expect([body, res.status, res.body.code]).toEqual([body, status, code]);
      }
      const uncovered = await t.request('POST', '/api/v1/dispatch/rules', { token: dispatcher, body: rule({ unitId: ids['HZ-DW-DZB'] }) });
      expect(uncovered.body.errors).toEqual([expect.objectContaining({ field: 'unitId' })]);
      const unknown = await t.request('POST', '/api/v1/dispatch/rules', { token: dispatcher, body: rule({ categoryCodes: ['0115', '9999', '9998'] }) });
      expect(unknown.body.errors.map((e: { field: string; message: string }) => [e.field, e.message.slice(0, 4)])).toEqual([['categoryCodes', '9999'], ['categoryCodes', '9998']]);
      const proto = await t.request('POST', '/api/v1/dispatch/rules', { token: dispatcher, raw: '{"__proto__":{"x":1},"name":"x"}', headers: { 'content-type': 'application/json' } });
      expect(proto.status).toBe(400);
      expect((await t.request('GET', '/api/v1/dispatch/rules/nope', { token: dispatcher })).status).toBe(400);
      expect((await t.request('POST', '/api/v1/dispatch/dry-run', { token: dispatcher, body: { ticketId: 'x' } })).status).toBe(400);
      expect((await t.request('POST', '/api/v1/dispatch/dry-run', { token: dispatcher, body: { ticketId: ids['HZ-CC'] } })).status).toBe(404);
      expect((await t.ds.query(`SELECT count(*)::int AS n FROM dispatch_rules`))[0].n).toBe(before);
      for (const token of [handler, grid, official]) {
        expect((await t.request('GET', '/api/v1/dispatch/rules', { token })).status).toBe(403);
        expect((await t.request('POST', '/api/v1/dispatch/rules', { token, body: rule() })).status).toBe(403);
      }
    });
  });

  describe('returns, review, reassignment 退单与改派', () => {
    it('return → review approved → re-dispatched elsewhere, counted as a bounce', async () => {
      const tk = await dispatched('FX-SZSS');
      const returned = await act(t, handler, tk.id, 'return', { reason: 'wrong_function', note: '路灯归城管局管' });
      expect(returned.status).toBe(200);
      // Out of the unit's inbox, into the district's triage queue.
      const szss = await t.request('GET', `/api/v1/queues/units/${ids['FX-SZSS']}`, { token: handler });
      expect(szss.body.items.map((i: { id: string }) => i.id)).not.toContain(tk.id);
      const now = await ticket(tk.id);
      expect(now).toMatchObject({ status: 'returned', bounceCount: 1, ownerless: false });
      const triage = await t.request('GET', '/api/v1/queues/triage', { token: dispatcher });
      expect(triage.body.items.find((i: { id: string }) => i.id === tk.id)).toMatchObject({ status: 'returned', bounceCount: 1 });
      const redispatched = await mustAct(t, dispatcher, tk.id, 'review-return', { approved: true, unitId: ids['FX-CGJ'] });
      expect(redispatched).toMatchObject({ status: 'dispatched', unitId: ids['FX-CGJ'], bounceCount: 1 });
      const cgjInbox = await t.request('GET', `/api/v1/queues/units/${ids['FX-CGJ']}`, { token: dispatcher });
      expect(cgjInbox.body.items.map((i: { id: string }) => i.id)).toContain(tk.id);
      const events = (await ticket(tk.id)).timeline.map((e: { action: string }) => e.action);
      expect(events.slice(-2)).toEqual(['return', 'review-return']);
    });

    it('a rejected return goes back to the same unit; reassignment moves a ticket between inboxes', async () => {
      const tk = await dispatched('FX-SZSS');
      await mustAct(t, handler, tk.id, 'sign');
      // Every reason code needs an explanation (说明) too; a refused return changes nothing.
      const { version } = await ticket(tk.id);
      for (const body of [{ reason: 'other' }, { reason: 'wrong_function' }, { reason: 'wrong_territory', note: ' ' }, { reason: 'unclear_ownership', note: '无' }]) {
        const refused = await act(t, handler, tk.id, 'return', body);
        expect([refused.status, refused.body.code]).toEqual([422, 'REASON_REQUIRED']);
        expect(refused.headers['content-type']).toContain('application/problem+json');
      }
      expect(await ticket(tk.id)).toMatchObject({ status: 'in_progress', version, bounceCount: 0 });
      await act(t, handler, tk.id, 'return', { reason: 'other', note: '不是我们的' });
      const rejected = await mustAct(t, dispatcher, tk.id, 'review-return', { approved: false, note: '属于贵单位职责' });
      expect(rejected).toMatchObject({ status: 'in_progress', unitId: ids['FX-SZSS'], bounceCount: 1 });

      const moved = await dispatched('FX-SZSS');
      const reassigned = await mustAct(t, dispatcher, moved.id, 'reassign', { unitId: ids['FX-WATER'], note: '改派自来水公司' });
      expect(reassigned).toMatchObject({ status: 'dispatched', unitId: ids['FX-WATER'] });
      const szss = await t.request('GET', `/api/v1/queues/units/${ids['FX-SZSS']}`, { token: dispatcher });
      const water = await t.request('GET', `/api/v1/queues/units/${ids['FX-WATER']}`, { token: dispatcher });
      expect(szss.body.items.map((i: { id: string }) => i.id)).not.toContain(moved.id);
      expect(water.body.items.map((i: { id: string }) => i.id)).toContain(moved.id);
      expect((await act(t, dispatcher, moved.id, 'reassign', { unitId: ids['FX-WATER'] })).status).toBe(422);
    });

    it('reassigns at any time before resolution: a suspended ticket goes to the new unit, its paused clock stopped, a fresh one running', async () => {
      const tk = await dispatched('FX-SZSS');
      await mustAct(t, handler, tk.id, 'sign');
      await mustAct(t, dispatcher, tk.id, 'suspend', { reason: '等待道路解封' });
      const moved = await mustAct(t, dispatcher, tk.id, 'reassign', { unitId: ids['FX-CGJ'], note: '改派城管局' });
      expect(moved).toMatchObject({ status: 'dispatched', previousStatus: 'suspended', unitId: ids['FX-CGJ'], handlerId: null });
      const clocks = (await ticket(tk.id)).clocks as Array<{ stage: string; state: string }>;
      // The new unit's resolve clock counts from the reassignment (改派 is a dispatch), with no pause of the old one.
      expect(clocks.filter((c) => c.stage === 'resolve').map((c) => c.state).sort()).toEqual(['running', 'stopped']);
      expect(clocks.filter((c) => c.stage === 'sign').map((c) => c.state).sort()).toEqual(['running', 'stopped']);
      const resolve = await t.ds.query(
        `SELECT state, paused_at, jsonb_array_length(pauses) AS pauses, started_at = (SELECT dispatched_at FROM tickets WHERE id = $1) AS from_reassign
           FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve' ORDER BY state DESC`, [tk.id]);
      expect(resolve).toEqual([{ state: 'stopped', paused_at: null, pauses: 1, from_reassign: false }, { state: 'running', paused_at: null, pauses: 0, from_reassign: true }]);
      const cgj = await t.request('GET', `/api/v1/queues/units/${ids['FX-CGJ']}`, { token: dispatcher });
      expect(cgj.body.items.map((i: { id: string }) => i.id)).toContain(tk.id);
      // After resolution it is too late (verification sends it back instead).
      const done = await dispatched('FX-SZSS');
      await mustAct(t, handler, done.id, 'sign');
      await mustAct(t, handler, done.id, 'resolve', { note: '已修复' });
      const late = await act(t, dispatcher, done.id, 'reassign', { unitId: ids['FX-CGJ'] });
      expect([late.status, late.body.code]).toEqual([409, 'ILLEGAL_TRANSITION']);
    });

    it('gives tickets only to units whose jurisdiction lies on the same line of the grid tree as the ticket', async () => {
      const tk = await dispatched(null); // registered, in 站前社区
      const { version } = await ticket(tk.id);
      const refused = async (body: Record<string, unknown>, action = 'dispatch') => {
        const res = await act(t, dispatcher, tk.id, action, body);
        expect(res.status).toBe(422);
        expect(res.headers['content-type']).toContain('application/problem+json');
        return res.body.code;
      };
      expect(await refused({ unitId: ids['XH-CC'] })).toBe('UNIT_OUT_OF_JURISDICTION'); // another district
      expect(await refused({ unitId: ids['HZ-DW-DZB'] })).toBe('UNIT_OUT_OF_JURISDICTION'); // another community of the street
      expect(await refused({ unitId: ids['FX-SZSS'], coUnitIds: [ids['XH-CC']] })).toBe('UNIT_OUT_OF_JURISDICTION');
      expect(await refused({ unitId: '00000000-0000-4000-8000-000000000000' })).toBe('UNIT_NOT_FOUND');
      // A deactivated unit takes no new work, as co-unit either.
      await t.ds.query(`UPDATE units SET active = false WHERE code = 'FX-WATER'`);
      try {
        expect(await refused({ unitId: ids['FX-SZSS'], coUnitIds: [ids['FX-WATER']] })).toBe('UNIT_NOT_FOUND');
      } finally {
        await t.ds.query(`UPDATE units SET active = true WHERE code = 'FX-WATER'`);
      }
      expect(await ticket(tk.id)).toMatchObject({ status: 'registered', version, unitId: null });
      // The street's committee covers its communities; a city bureau covers every ticket.
      const street = await mustAct(t, dispatcher, tk.id, 'dispatch', { unitId: ids['HZ-ZQ-TJW'], coUnitIds: [ids['FX-CGJ']] });
      expect(street).toMatchObject({ status: 'dispatched', unitId: ids['HZ-ZQ-TJW'], coUnitIds: [ids['FX-CGJ']] });
      const res = await act(t, dispatcher, tk.id, 'reassign', { unitId: ids['XH-CC'] });
      expect([res.status, res.body.code]).toEqual([422, 'UNIT_OUT_OF_JURISDICTION']);
    });

    it('the third return flags the ticket ownerless to the district triage queue', async () => {
      const tk = await dispatched('FX-SZSS');
      for (let i = 1; i <= 3; i++) {
        await act(t, handler, tk.id, 'return', { reason: 'unclear_ownership', note: `第${i}次退单` });
        const after = await ticket(tk.id);
        expect(after).toMatchObject({ status: 'returned', bounceCount: i, ownerless: i >= 3 });
        if (i < 3) await mustAct(t, dispatcher, tk.id, 'review-return', { approved: false });
      }
      const flagged = await t.request('GET', '/api/v1/queues/triage?ownerless=true', { token: dispatcher });
      expect(flagged.body.items.map((i: { id: string; ownerless: boolean }) => [i.id, i.ownerless])).toEqual([[tk.id, true]]);
      expect(flagged.body.ownerlessCount).toBe(1);
      const all = await t.request('GET', '/api/v1/queues/triage', { token: dispatcher });
      expect(all.body.ownerlessCount).toBe(1);
      expect(all.body.items.find((i: { id: string }) => i.id === tk.id).ownerless).toBe(true);
      const officialView = await t.request('GET', '/api/v1/queues/triage?ownerless=true', { token: official });
      expect(officialView.body.items.map((i: { id: string }) => i.id)).toEqual([tk.id]);
    });
  });

  it('co-handling 主办/协办: co-unit handlers see the ticket and add notes; only the lead resolves', async () => {
    const water = await addUser('water.handler', 'handler', '210900', 'FX-WATER');
    const tk = await dispatched('FX-SZSS', {}, { coUnitIds: [ids['FX-WATER']] });
    expect(tk).toMatchObject({ unitId: ids['FX-SZSS'], coUnitIds: [ids['FX-WATER']] });
    expect((await t.request('GET', `/api/v1/tickets/${tk.id}`, { token: water.token })).status).toBe(200);
    expect((await act(t, water.token, tk.id, 'sign')).status).toBe(403);
    await mustAct(t, handler, tk.id, 'sign');
    const note = await act(t, water.token, tk.id, 'add-note', { note: '协办：已关闭上游阀门' });
    expect(note.status).toBe(200);
    const refused = await act(t, water.token, tk.id, 'resolve', { note: '协办单位办结' });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('NOT_HANDLING_UNIT');
    const resolved = await mustAct(t, handler, tk.id, 'resolve', { note: '主办单位办结' });
    expect(resolved.status).toBe('resolved');
    // The co-unit's inbox holds only what it leads.
    expect((await t.request('GET', `/api/v1/queues/units/${ids['FX-WATER']}`, { token: water.token })).body.items.map((i: { id: string }) => i.id)).not.toContain(tk.id);
  });

  it('auto-assignment gives a dispatched ticket to the least-loaded on-duty handler', async () => {
    const a = await addUser('cgj.a', 'handler', '210900', 'FX-CGJ', true);
    const b = await addUser('cgj.b', 'handler', '210900', 'FX-CGJ', true);
    const c = await addUser('cgj.c', 'handler', '210900', 'FX-CGJ', false);
    // Empty the unit's inbox, then give cgj.a two open tickets before auto-assignment is switched on.
    while ((await t.request('POST', `/api/v1/queues/units/${ids['FX-CGJ']}/claim-next`, { token: a.token })).status === 200);
    await dispatched('FX-CGJ');
    await dispatched('FX-CGJ');
    for (let i = 0; i < 2; i++) expect((await t.request('POST', `/api/v1/queues/units/${ids['FX-CGJ']}/claim-next`, { token: a.token })).status).toBe(200);
    const openOf = async (id: string) => (await t.ds.query(`SELECT count(*)::int AS n FROM tickets WHERE handler_id = $1 AND status IN ('dispatched','in_progress','suspended')`, [id]))[0].n;
    const loadA = await openOf(a.id);
    expect(loadA).toBeGreaterThanOrEqual(2);

    // A city-wide unit serves every district: a district dispatcher reads its settings but may not change them.
    const fromDistrict = await t.request('PUT', `/api/v1/dispatch/units/${ids['FX-CGJ']}/settings`, { token: dispatcher, body: { autoAssign: true } });
    expect([fromDistrict.status, fromDistrict.body.code]).toEqual([403, 'UNIT_ABOVE_SCOPE']);
    expect((await t.request('GET', `/api/v1/dispatch/units/${ids['FX-CGJ']}/settings`, { token: dispatcher })).body).toEqual({ unitId: ids['FX-CGJ'], autoAssign: false });
    const on = await t.request('PUT', `/api/v1/dispatch/units/${ids['FX-CGJ']}/settings`, { token: admin, body: { autoAssign: true } });
    expect(on.status).toBe(200);
    const [audited] = await t.ds.query(`SELECT actor_username, details FROM audit_log WHERE action = 'dispatch.unit_settings' AND target = $1 ORDER BY id DESC LIMIT 1`, [ids['FX-CGJ']]);
    expect(audited).toEqual({ actor_username: 'demo.admin', details: { before: { autoAssign: false }, after: { autoAssign: true } } });
    expect((await t.request('GET', `/api/v1/dispatch/units/${ids['FX-CGJ']}/settings`, { token: admin })).body).toEqual({ unitId: ids['FX-CGJ'], autoAssign: true });
    const picks: string[] = [];
    for (let i = 0; i < loadA; i++) picks.push((await dispatched('FX-CGJ')).id);
    for (const id of picks) expect((await ticket(id)).handlerId).toBe(b.id); // b catches up with a; c is off duty
    const tie = await dispatched('FX-CGJ');
    expect((await ticket(tie.id)).handlerId).toBe(a.id); // equal load: by username
    expect((await t.request('PUT', '/api/v1/me/on-duty', { token: c.token, body: { onDuty: true } })).status).toBe(204);
    // On duty is a handler's state: a dispatcher's call changes nothing.
    const notHandler = await t.request('PUT', '/api/v1/me/on-duty', { token: dispatcher, body: { onDuty: true } });
    expect([notHandler.status, notHandler.body.code]).toEqual([403, 'ON_DUTY_HANDLERS_ONLY']);
    expect((await t.ds.query(`SELECT on_duty FROM users WHERE username = 'demo.dispatcher'`))[0].on_duty).toBe(false);
    const third = await dispatched('FX-CGJ');
    expect((await ticket(third.id)).handlerId).toBe(c.id);
    const log = await t.ds.query(`SELECT handler_id FROM dispatch_assignments WHERE ticket_id = $1`, [third.id]);
    expect(log).toEqual([{ handler_id: c.id }]);

    // claim-next leaves tickets assigned to someone else alone.
    const claimedByC = await t.request('POST', `/api/v1/queues/units/${ids['FX-CGJ']}/claim-next`, { token: c.token });
    expect(claimedByC.body.id).toBe(third.id);
    expect((await t.request('POST', `/api/v1/queues/units/${ids['FX-CGJ']}/claim-next`, { token: c.token })).status).toBe(204);
    // Going off duty stops new assignments only: what is assigned waits for its handler.
    const fourth = await dispatched('FX-CGJ');
    const assignee = (await ticket(fourth.id)).handlerId;
    const holder = [a, b, c].find((u) => u.id === assignee)!;
    const other = [a, b, c].find((u) => u.id !== assignee)!;
    const claimAllAs = async (u: { token: string }) => {
      const got: string[] = [];
      for (;;) {
        const r = await t.request('POST', `/api/v1/queues/units/${ids['FX-CGJ']}/claim-next`, { token: u.token });
        if (r.status !== 200) return got;
        got.push(r.body.id);
      }
    };
    expect((await t.request('PUT', '/api/v1/me/on-duty', { token: holder.token, body: { onDuty: false } })).status).toBe(204);
    expect(await claimAllAs(other)).not.toContain(fourth.id);
    // A deactivated assignee does not keep it from everyone: claim-next gives it to whoever asks.
    expect((await t.request('PATCH', `/api/v1/admin/users/${holder.id}`, { token: admin, body: { active: false } })).status).toBe(200);
    expect(await claimAllAs(other)).toEqual([fourth.id]);
    expect((await ticket(fourth.id)).handlerId).toBe(other.id);
    expect((await t.request('PATCH', `/api/v1/admin/users/${holder.id}`, { token: admin, body: { active: true } })).status).toBe(200);
    holder.token = await t.login(holder.username);
    expect((await t.request('PUT', '/api/v1/me/on-duty', { token: holder.token, body: { onDuty: true } })).status).toBe(204);
    // Switched off, a manual dispatch leaves the ticket open to any handler. (Reassignment, re-dispatch after a return,
    // routing and a unit with nobody on duty: dispatch-auto-assign.e2e-spec.ts.)
    expect((await t.request('PUT', `/api/v1/dispatch/units/${ids['FX-CGJ']}/settings`, { token: admin, body: { autoAssign: false } })).status).toBe(200);
    expect((await ticket((await dispatched('FX-CGJ')).id)).handlerId).toBeNull();
    expect((await t.request('PUT', `/api/v1/dispatch/units/${ids['XH-CC']}/settings`, { token: dispatcher, body: { autoAssign: true } })).status).toBe(404);
    expect((await t.request('PUT', `/api/v1/dispatch/units/${ids['FX-CGJ']}/settings`, { token: dispatcher, body: { autoAssign: 'yes' } })).status).toBe(400);
  });

  describe('queues: ordering, counts, scoping', () => {
    it('orders an inbox by the sign deadlines the default policy sets by urgency, with counts and age (no deadline edited)', async () => {
      const unit = 'HZ-BMFW';
      // Filed first, urgent, dispatched elsewhere and reassigned here last: the oldest of the urgent ones, but its sign
      // clock restarted at the reassignment, so its deadline comes after the other urgent one's.
      const reassignedUrgent = await dispatched('FX-CGJ', { priority: 'urgent', title: '改派来的紧急件' });
      const normal = await dispatched(unit, { priority: 'normal', title: '一般件' });
      const urgent = await dispatched(unit, { priority: 'urgent', title: '紧急件' });
      const extra = await dispatched(unit, { priority: 'extra_urgent', title: '特急件' });
      await mustAct(t, dispatcher, reassignedUrgent.id, 'reassign', { unitId: ids[unit] });
      const mineIds = [reassignedUrgent.id, normal.id, urgent.id, extra.id];

      // Each has a running sign clock with a deadline from the default policy: 特急 15 min and 紧急 30 min of natural
      // time from the dispatch (or reassignment), 一般 two working hours.
      const signOf = async (id: string) => ((await ticket(id)).clocks as Array<{ stage: string; state: string; startedAt: string; deadline: string | null; clockType: string }>)
        .find((c) => c.stage === 'sign' && c.state === 'running')!;
      const sign = Object.fromEntries(await Promise.all(mineIds.map(async (id) => [id, await signOf(id)] as const)));
      const span = (id: string) => (Date.parse(sign[id]!.deadline!) - Date.parse(sign[id]!.startedAt)) / 1000;
      expect([span(extra.id), span(urgent.id), span(reassignedUrgent.id)]).toEqual([15 * 60, 30 * 60, 30 * 60]);
      expect(sign[normal.id]).toMatchObject({ clockType: 'working_hours' });
      expect(span(normal.id)).toBeGreaterThanOrEqual(2 * 3600);

      const res = await t.request('GET', `/api/v1/queues/units/${ids[unit]}`, { token: dispatcher });
      expect(res.status).toBe(200);
      const mine = res.body.items.filter((i: { id: string }) => mineIds.includes(i.id));
      expect(mine.map((i: { id: string }) => i.id)).toEqual([extra.id, urgent.id, reassignedUrgent.id, normal.id]);
      for (const i of mine) expect(i.deadline).toBe(new Date(sign[i.id]!.deadline!).toISOString());
      // The whole inbox is in deadline order (priority and age only break ties).
      const deadlines = res.body.items.map((i: { deadline: string | null }) => (i.deadline === null ? Infinity : Date.parse(i.deadline)));
      expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));
      expect(res.body.count).toBe(res.body.items.length);
      expect(res.body.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
      expect(res.body.items.every((i: { ageSeconds: number; status: string }) => i.ageSeconds >= 0 && i.status === 'dispatched')).toBe(true);
      expect(res.text).not.toContain('13841812345');
      expect(res.text).not.toContain('张建国');
      // Overdue counts come from the same clocks (time moved on for one of them).
      await t.ds.query(`UPDATE ticket_clocks SET deadline = now() - interval '1 minute' WHERE ticket_id = $1 AND state = 'running'`, [normal.id]);
      const overdue = await t.request('GET', `/api/v1/queues/units/${ids[unit]}?limit=1`, { token: dispatcher });
      expect(overdue.body).toMatchObject({ overdueCount: 1 });
      expect(overdue.body.items).toHaveLength(1);
      expect(overdue.body.items[0]).toMatchObject({ id: normal.id, overdue: true });
      expect(overdue.body.count).toBeGreaterThanOrEqual(4);
    });

    it('triage lists reported, registered and returned tickets of the subtree, most urgent first', async () => {
      const normal = (await fileTicket(t, dispatcher, { ...LIGHT, gridNodeId: ids['210902001002'], priority: 'normal', title: '分诊一般' })).body;
      const urgent = (await fileTicket(t, dispatcher, { ...LIGHT, gridNodeId: ids['210902001002'], priority: 'extra_urgent', title: '分诊特急' })).body;
      const res = await t.request('GET', '/api/v1/queues/triage?limit=200', { token: dispatcher });
      const order = res.body.items.map((i: { id: string }) => i.id);
      expect(order.indexOf(urgent.id)).toBeLessThan(order.indexOf(normal.id));
      // The 立案 clock of the default policy: 15 natural minutes for 特急, one working hour for 一般.
      const item = (id: string) => res.body.items.find((i: { id: string }) => i.id === id);
      expect(Date.parse(item(urgent.id).deadline) - Date.parse(urgent.createdAt)).toBe(15 * 60 * 1000);
      expect(item(normal.id).deadline).not.toBeNull();
      expect(res.body.items.every((i: { status: string }) => ['reported', 'registered', 'returned'].includes(i.status))).toBe(true);
      expect(res.body.count).toBeGreaterThanOrEqual(res.body.items.length);
    });

    it('registered tickets (立案, not dispatched) wait in triage: manual register, automatic register alone, an approved return without a unit', async () => {
      const inTriage = async (id: string) => {
        const res = await t.request('GET', '/api/v1/queues/triage?limit=200', { token: dispatcher });
        return res.body.items.find((i: { id: string }) => i.id === id) as { status: string } | undefined;
      };
      // Manual registration: it stays in triage as registered until it is dispatched.
      const manual = await dispatched(null, { title: '已立案待派遣' });
      expect(await inTriage(manual.id)).toMatchObject({ status: 'registered' });
      await mustAct(t, dispatcher, manual.id, 'dispatch', { unitId: ids['FX-SZSS'] });
      expect(await inTriage(manual.id)).toBeUndefined();
      // A rule that registers without dispatching.
      const rule = await t.request('POST', '/api/v1/dispatch/rules', { token: dispatcher, body: {
        name: '路灯自动立案', platform: 'community_governance', categoryCodes: ['0116'], gridNodeId: ids['210902'], unitId: ids['FX-SZSS'],
        position: 50, autoRegister: true, autoDispatch: false,
      } });
      expect(rule.status).toBe(201);
      const auto = (await fileTicket(t, grid, { ...LIGHT, categoryCode: '0116', title: '自动立案' })).body;
      await waitFor(async () => (await ticket(auto.id)).status === 'registered');
      expect(await inTriage(auto.id)).toMatchObject({ status: 'registered' });
      expect((await t.request('DELETE', `/api/v1/dispatch/rules/${rule.body.id}`, { token: dispatcher })).status).toBe(204);
      // A return approved without a new unit goes back to 待派遣.
      const back = await dispatched('FX-SZSS', { title: '退回待派遣' });
      await mustAct(t, handler, back.id, 'return', { reason: 'wrong_territory', note: '不在本单位范围' });
      await mustAct(t, dispatcher, back.id, 'review-return', { approved: true });
      expect(await inTriage(back.id)).toMatchObject({ status: 'registered', bounceCount: 1 });
      // Officials of the district see them too.
      const officialView = await t.request('GET', '/api/v1/queues/triage?limit=200', { token: official });
      expect(officialView.body.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([auto.id, back.id]));
    });

    it('scopes queues: another district sees nothing of ours; other units are 403 or 404', async () => {
      const xh = await addUser('xh.dispatcher', 'dispatcher', '210911', 'XH-CC');
      const hzTriage = await t.request('GET', '/api/v1/queues/triage', { token: dispatcher });
      expect(hzTriage.body.count).toBeGreaterThan(0);
      const xhTriage = await t.request('GET', '/api/v1/queues/triage', { token: xh.token });
      expect(xhTriage.status).toBe(200);
      expect(xhTriage.body).toMatchObject({ count: 0, items: [] });
      expect((await t.request('GET', `/api/v1/queues/units/${ids['XH-CC']}`, { token: dispatcher })).status).toBe(404);
      expect((await t.request('GET', `/api/v1/queues/units/${ids['HZ-BMFW']}`, { token: xh.token })).status).toBe(404);
      // A city unit serves the district, but a district dispatcher sees only the district's tickets in its inbox.
      const cityInbox = await t.request('GET', `/api/v1/queues/units/${ids['FX-SZSS']}`, { token: xh.token });
      expect(cityInbox.status).toBe(200);
      expect(cityInbox.body.count).toBe(0);
      const other = await t.request('GET', `/api/v1/queues/units/${ids['FX-WATER']}`, { token: handler });
      expect([other.status, other.body.code]).toEqual([403, 'NOT_UNIT_HANDLER']);
      expect((await t.request('GET', '/api/v1/queues/triage', { token: handler })).status).toBe(403);
      expect((await t.request('GET', '/api/v1/queues/triage', { token: grid })).status).toBe(403);
      expect((await t.request('GET', '/api/v1/queues/triage', { token: admin })).status).toBe(403);
      expect((await t.request('GET', '/api/v1/queues/triage?limit=0', { token: dispatcher })).status).toBe(400);
      expect((await t.request('GET', '/api/v1/queues/triage?limit=abc', { token: dispatcher })).status).toBe(400);
      expect((await t.request('GET', '/api/v1/queues/triage?ownerless=maybe', { token: dispatcher })).status).toBe(400);
      expect((await t.request('GET', '/api/v1/queues/units/not-a-uuid', { token: dispatcher })).status).toBe(400);
      expect((await t.request('GET', '/api/v1/queues/triage')).status).toBe(401);
    });
  });

  describe('claim-next 领取', () => {
    it('gives each ticket to exactly one of many parallel callers, most urgent first, then answers 204', async () => {
      const unit = 'FX-WATER';
      // Drain what earlier tests left in the inbox.
      const drainer = await addUser('water.drain', 'handler', '210900', unit);
      while ((await t.request('POST', `/api/v1/queues/units/${ids[unit]}/claim-next`, { token: drainer.token })).status === 200);
      const tickets = [];
      for (let i = 0; i < 24; i++) tickets.push(await dispatched(unit, { priority: i === 7 ? 'extra_urgent' : 'normal', title: `并发领取 ${i}` }));
      const first = await t.request('POST', `/api/v1/queues/units/${ids[unit]}/claim-next`, { token: drainer.token });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ id: tickets[7]!.id, status: 'in_progress', handlerId: drainer.id });

      const handlers = await Promise.all(Array.from({ length: 8 }, (_, i) => addUser(`water.h${i}`, 'handler', '210900', unit)));
      const calls = handlers.flatMap((h) => Array.from({ length: 5 }, () => h));
      const results = await Promise.all(calls.map(async (h) => ({ h, res: await t.request('POST', `/api/v1/queues/units/${ids[unit]}/claim-next`, { token: h.token }) })));
      const ok = results.filter((r) => r.res.status === 200);
      expect(ok).toHaveLength(23);
      expect(results.filter((r) => r.res.status === 204)).toHaveLength(calls.length - 23);
      expect(results.every((r) => r.res.status === 200 || r.res.status === 204)).toBe(true);
      const claimed = ok.map((r) => r.res.body.id as string);
      expect(new Set(claimed).size).toBe(23);
      for (const r of ok) expect(r.res.body).toMatchObject({ status: 'in_progress', handlerId: r.h.id });
      const signs: Array<{ ticket_id: string; n: number }> = await t.ds.query(
        `SELECT ticket_id, count(*)::int AS n FROM ticket_events WHERE action = 'sign' AND ticket_id = ANY($1::uuid[]) GROUP BY ticket_id`, [tickets.map((x) => x.id)]);
      expect(signs).toHaveLength(24);
      expect(signs.every((s) => s.n === 1)).toBe(true);
      // Each sign event names the handler who got the ticket; parallel callers were served in batches (signs
      // sharing one transaction, hence one transaction time), yet each got their own ticket and event.
      const events: Array<{ ticket_id: string; actor_id: string; at: Date }> = await t.ds.query(
        `SELECT ticket_id, actor_id, at FROM ticket_events WHERE action = 'sign' AND ticket_id = ANY($1::uuid[])`, [claimed]);
      for (const r of ok) expect(events.find((e) => e.ticket_id === r.res.body.id)?.actor_id).toBe(r.h.id);
      expect(new Set(events.map((e) => e.at.getTime())).size).toBeLessThan(23);
      const inbox = await t.request('GET', `/api/v1/queues/units/${ids[unit]}`, { token: drainer.token });
      expect(inbox.body).toMatchObject({ count: 0, items: [] });
      expect((await t.ds.query(`SELECT count(*)::int AS n FROM dispatch_inbox WHERE unit_id = $1`, [ids[unit]]))[0].n).toBe(0);
    });

    it('only handlers of the unit may claim; scoped; bad ids are 400', async () => {
      const res = async (token: string, unit: string) => t.request('POST', `/api/v1/queues/units/${unit}/claim-next`, { token });
      expect((await res(dispatcher, ids['FX-SZSS']!)).status).toBe(403);
      expect((await res(handler, ids['FX-WATER']!)).body.code).toBe('NOT_UNIT_HANDLER');
      expect((await res(handler, ids['XH-CC']!)).status).toBe(403);
      const xh = await t.login('xh.dispatcher');
      expect((await res(xh, ids['HZ-CC']!)).status).toBe(404);
      expect((await res(grid, ids['FX-SZSS']!)).status).toBe(403);
      expect((await res(handler, 'nope')).status).toBe(400);
    });
  });

  describe('live queue events (SSE)', () => {
    it('streams new and claimed ticket ids of a unit inbox, without personal data', async () => {
      const fastify = t.app.getHttpAdapter().getInstance();
      const ac = new AbortController();
      const res = await fastify.inject({
        method: 'GET', url: `/api/v1/queues/units/${ids['FX-SZSS']}/events`, headers: { authorization: `Bearer ${handler}` },
        payloadAsStream: true, signal: ac.signal,
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/event-stream');
      let text = '';
      const stream = res.stream();
      stream.on('data', (c: Buffer) => { text += c.toString('utf8'); });
      stream.on('error', () => undefined);
      await waitFor(async () => text.includes('event: ready'));
      const streams = async () => Number(/^queue_stream_subscribers (\d+)$/m.exec((await t.request('GET', '/metrics')).text)?.[1]);
      expect(await streams()).toBe(1);
      const tk = await dispatched('FX-SZSS', { reporter: { name: '王秀兰', phone: '13700001111' } });
      await waitFor(async () => text.includes(`event: new\ndata: {"ticketId":"${tk.id}"`));
      const signed = await mustAct(t, handler, tk.id, 'sign');
      await waitFor(async () => sseEventsOf(text, tk.id).includes(`claimed in_progress v${signed.version}`));
      // Arriving is one event, signing another: nothing in between (notices arrive in commit order).
      expect(sseEventsOf(text, tk.id)).toEqual([`new dispatched v${tk.version}`, `claimed in_progress v${signed.version}`]);
      // Another unit's traffic is not ours.
      const elsewhere = await dispatched('FX-CGJ');
      const triageOnly = await dispatched(null);
      await new Promise((r) => setTimeout(r, 300));
      expect(text).not.toContain(elsewhere.id);
      expect(text).not.toContain(triageOnly.id);
      expect(text).not.toContain('13700001111');
      expect(text).not.toContain('王秀兰');
      ac.abort();
      // The gauge follows the client leaving.
      await waitFor(async () => (await streams()) === 0);
    });

    it('ends a stream when the access token it was opened with expires (a deactivated user cannot come back)', async () => {
      // The handler's own token, re-signed to expire in 2 s (the shortest real TTL is a minute).
      const claims = jwt.decode(handler) as Record<string, unknown>;
      const shortLived = jwt.sign({ ...claims, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 2 }, t.config.jwt.secret, { algorithm: 'HS256' });
      const fastify = t.app.getHttpAdapter().getInstance();
      const ac = new AbortController();
      const res = await fastify.inject({
        method: 'GET', url: `/api/v1/queues/units/${ids['FX-SZSS']}/events`, headers: { authorization: `Bearer ${shortLived}` }, payloadAsStream: true, signal: ac.signal,
      });
      expect(res.statusCode).toBe(200);
      let text = '';
      let ended = false;
      const stream = res.stream();
      stream.on('data', (c: Buffer) => { text += c.toString('utf8'); });
      stream.on('end', () => { ended = true; });
      stream.on('error', () => undefined);
      await waitFor(async () => text.includes('event: ready'));
      const opened = Date.now();
      await waitFor(async () => ended, 6_000);
      expect(text).toContain('event: expired');
      expect(Date.now() - opened).toBeLessThan(4_000);
      const again = await fastify.inject({ method: 'GET', url: `/api/v1/queues/units/${ids['FX-SZSS']}/events`, headers: { authorization: `Bearer ${shortLived}` } });
      expect(again.statusCode).toBe(401);
      ac.abort();
    });

    it('streams triage arrivals to dispatchers; refuses out-of-scope streams before starting', async () => {
      const fastify = t.app.getHttpAdapter().getInstance();
      const ac = new AbortController();
      const res = await fastify.inject({ method: 'GET', url: '/api/v1/queues/triage/events', headers: { authorization: `Bearer ${dispatcher}` }, payloadAsStream: true, signal: ac.signal });
      let text = '';
      const stream = res.stream();
      stream.on('data', (c: Buffer) => { text += c.toString('utf8'); });
      stream.on('error', () => undefined);
      await waitFor(async () => text.includes('event: ready'));
      const filed = (await fileTicket(t, grid, { ...LIGHT, title: '直播测试' })).body;
      await waitFor(async () => text.includes(`event: new\ndata: {"ticketId":"${filed.id}"`));
      // 立案 keeps it in triage (待派遣): a change, not a claim; dispatching takes it out.
      const registered = await mustAct(t, dispatcher, filed.id, 'register');
      await waitFor(async () => text.includes(`event: changed\ndata: {"ticketId":"${filed.id}","status":"registered"`));
      expect(text).not.toContain(`event: claimed\ndata: {"ticketId":"${filed.id}"`);
      // A change while registered (supervision) is announced too.
      const supervised = await mustAct(t, dispatcher, filed.id, 'supervise', { reason: '尽快派遣' });
      await waitFor(async () => text.includes(`event: changed\ndata: {"ticketId":"${filed.id}","status":"registered","version":${supervised.version}`));
      const sent = await mustAct(t, dispatcher, filed.id, 'dispatch', { unitId: ids['FX-SZSS'] });
      await waitFor(async () => sseEventsOf(text, filed.id).includes(`claimed dispatched v${sent.version}`));
      // One event per change: the filing's number, written in the filing's transaction, is no second one.
      expect(sseEventsOf(text, filed.id)).toEqual([
        `new reported v${filed.version}`, `changed registered v${registered.version}`, `changed registered v${supervised.version}`, `claimed dispatched v${sent.version}`,
      ]);
      ac.abort();
      expect((await t.request('GET', `/api/v1/queues/units/${ids['XH-CC']}/events`, { token: dispatcher })).status).toBe(404);
      expect((await t.request('GET', '/api/v1/queues/triage/events', { token: handler })).status).toBe(403);
    });
  });
});

