import { RollupService } from '../../src/modules/reports/rollup.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, codeIds, createStaff, fileTicket, mustAct } from '../support/tickets';
import { foldAll } from './reports-history';

/** A street light (0115) in 站前社区: no routing rule is seeded here, so it waits for a dispatcher. */
const LIGHT = { ...MANHOLE, categoryCode: '0115', standardCode: undefined, title: '路灯不亮', description: '站前社区路灯不亮' };

interface TimelineEvent { seq: number; action: string; actorRole: string; actorId: string | null; from: string | null; to: string; data: Record<string, unknown> }

jest.setTimeout(60_000);

/**
 * The event log tells the whole story (SPEC §5, "every action appends an immutable event"): who holds the ticket,
 * the parties' consent to an extension, a mediation's outcome and referral, and an automatic assignment appear in
 * the timeline's event data — and the readers of the log (SLA clock replay, the reports fold) take them in stride.
 */
describe('event log facts 事件日志要素', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;
  let admin: string;
  const users: Record<string, string> = {};
  const touched: string[] = [];

  async function timeline(id: string, token = dispatcher): Promise<TimelineEvent[]> {
    const res = await t.request('GET', `/api/v1/tickets/${id}/events`, { token });
    expect(res.status).toBe(200);
    return res.body;
  }
  const find = (events: TimelineEvent[], action: string) => events.filter((e) => e.action === action);

  async function registeredLight(title: string): Promise<string> {
    const filed = await fileTicket(t, dispatcher, { ...LIGHT, title, gridNodeId: ids['210902001002'] });
    expect(filed.status).toBe(201);
    touched.push(filed.body.id);
    await mustAct(t, dispatcher, filed.body.id, 'register');
    return filed.body.id;
  }

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    [grid, dispatcher, admin] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.admin'].map((u) => t.login(u)));
  });
  afterAll(async () => { await t.close(); });

  it('records the handler named on dispatch, taken on sign and released when a return is approved', async () => {
    const handler = await createStaff(t, admin, ids, users, 'cgj.facts', 'handler', '210900', 'FX-CGJ');
    const id = await registeredLight('路灯不亮：指定处置人');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-CGJ'], handlerId: users['cgj.facts'] });
    await mustAct(t, handler, id, 'sign');
    await mustAct(t, handler, id, 'return', { reason: 'wrong_function', note: '不属本单位职能' });
    await mustAct(t, dispatcher, id, 'review-return', { approved: true });
    const events = await timeline(id);
    expect(find(events, 'dispatch')[0]!.data).toMatchObject({ unitId: ids['FX-CGJ'], handlerId: users['cgj.facts'] });
    expect(find(events, 'sign')[0]!.data).toMatchObject({ handlerId: users['cgj.facts'] });
    expect(find(events, 'return')[0]!.data).toMatchObject({ reason: 'wrong_function' });
    // An approved return without a new unit takes the ticket back to triage: the log says the handler was cleared.
    expect(find(events, 'review-return')[0]!.data).toMatchObject({ approved: true, handlerId: null });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it('records the parties\' consent and the mediation outcome with its referral (调解不成 → 法院)', async () => {
    const mediator = await createStaff(t, admin, ids, users, 'zq.facts', 'handler', '210902001', 'HZ-ZQ-TJW');
    const filed = await fileTicket(t, grid, {
      categoryCode: 'DR0101', title: '楼道堆物纠纷', description: '邻里因楼道堆物发生争执', channel: 'patrol',
      attributes: { disputeType: 'neighbour', parties: [{ role: 'applicant', name: '赵立新', phone: '13904181111' }, { role: 'respondent', name: '孙玉梅' }] },
    });
    expect(filed.status).toBe(201);
    const id: string = filed.body.id;
    touched.push(id);
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['HZ-ZQ-TJW'], handlerId: users['zq.facts'] });
    await mustAct(t, mediator, id, 'sign');
    await mustAct(t, mediator, id, 'record-mediation', { note: '第一次调解' });
    await mustAct(t, mediator, id, 'request-extension', { extraSeconds: 7 * 86400, reason: '需再次调解', partiesConsent: true });
    await mustAct(t, dispatcher, id, 'decide-extension', { approved: true });
    const resolved = await mustAct(t, mediator, id, 'resolve', { mediationOutcome: 'failed', mediationReferral: 'court', note: '调解不成，引导起诉' });
    expect(resolved.mediation).toEqual({ sessions: 1, outcome: 'failed', referral: 'court' });

    const events = await timeline(id);
    expect(find(events, 'dispatch')[0]!.data).toMatchObject({ unitId: ids['HZ-ZQ-TJW'], handlerId: users['zq.facts'] });
    expect(find(events, 'request-extension')[0]!.data).toMatchObject({ extraSeconds: 7 * 86400, partiesConsent: true });
    expect(find(events, 'resolve')[0]!.data).toMatchObject({ mediationOutcome: 'failed', mediationReferral: 'court' });
    // The filing grid worker still sees what happened, not the content (the outcome is content).
    const restricted = await timeline(id, grid);
    expect(find(restricted, 'resolve')[0]).toMatchObject({ data: {}, contentRestricted: true });
  });

  it('an automatic assignment (自动分派) is its own system event right after the dispatch, naming the handler', async () => {
    const onDuty = await createStaff(t, admin, ids, users, 'cgj.duty', 'handler', '210900', 'FX-CGJ');
    expect((await t.request('PUT', '/api/v1/me/on-duty', { token: onDuty, body: { onDuty: true } })).status).toBe(204);
    expect((await t.request('PUT', `/api/v1/dispatch/units/${ids['FX-CGJ']}/settings`, { token: admin, body: { autoAssign: true } })).status).toBe(200);
    try {
      const id = await registeredLight('路灯不亮：自动分派');
      const dispatched = await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-CGJ'] });
      expect(dispatched.handlerId).toBe(users['cgj.duty']);
      const events = await timeline(id);
      expect(events.map((e) => [e.action, e.actorRole, e.from, e.to])).toEqual([
        ['file', 'dispatcher', null, 'reported'], ['register', 'dispatcher', 'reported', 'registered'],
        ['dispatch', 'dispatcher', 'registered', 'dispatched'], ['auto-assign', 'system', 'dispatched', 'dispatched'],
      ]);
      // The dispatcher named no one: the dispatch event says so; the pick is the system's.
      expect(events[2]!.data).toMatchObject({ unitId: ids['FX-CGJ'], handlerId: null });
      expect(events[3]).toMatchObject({ actorId: null, data: { unitId: ids['FX-CGJ'], handlerId: users['cgj.duty'] } });
      const log = await t.ds.query(`SELECT handler_id FROM dispatch_assignments WHERE ticket_id = $1`, [id]);
      expect(log).toEqual([{ handler_id: users['cgj.duty'] }]);
      // GET /tickets/:id carries the same timeline.
      expect((await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body.timeline.map((e: TimelineEvent) => e.action))
        .toEqual(['file', 'register', 'dispatch', 'auto-assign']);

      // The assignee claims it and works it to the end; a named handler on dispatch is no automatic assignment.
      const claimed = await t.request('POST', `/api/v1/queues/units/${ids['FX-CGJ']}/claim-next`, { token: onDuty });
      expect(claimed.status).toBe(200);
      expect(claimed.body.id).toBe(id);
      expect((await mustAct(t, onDuty, id, 'resolve', { note: '已更换灯泡' })).status).toBe('resolved');
      const named = await registeredLight('路灯不亮：指定而非自动');
      await mustAct(t, dispatcher, named, 'dispatch', { unitId: ids['FX-CGJ'], handlerId: users['cgj.duty'] });
      expect(find(await timeline(named), 'auto-assign')).toEqual([]);
    } finally {
      await t.request('PUT', `/api/v1/dispatch/units/${ids['FX-CGJ']}/settings`, { token: admin, body: { autoAssign: false } });
    }
  });

  it('the readers of the log pass over the new facts: the SLA replay matches the clocks, the reports fold quarantines nothing', async () => {
    const replay = await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds: touched, includeStopped: true, dryRun: true } });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ source: 'events', ticketsExamined: touched.length, repaired: 0, moved: 0 });

    await foldAll(t.ds, t.app.get(RollupService));
    expect(await t.ds.query(`SELECT ticket_id FROM report_fold_quarantine`)).toEqual([]);
    const facts: Array<{ ticket_id: string }> = await t.ds.query(`SELECT DISTINCT ticket_id FROM report_ticket_facts WHERE ticket_id = ANY($1::uuid[])`, [touched]);
    expect(facts.map((f) => f.ticket_id).sort()).toEqual([...touched].sort());
  });
});
