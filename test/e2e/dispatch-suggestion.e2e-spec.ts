import { RouterService } from '../../src/modules/dispatch/router.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { codeIds, fileTicket, MANHOLE, mustAct, waitFor } from '../support/tickets';

/** A street light (0115): the seeded dispatch catalogue has no rule for it; each test adds its own. */
const LIGHT = { ...MANHOLE, categoryCode: '0115', standardCode: undefined, title: '路灯不亮', description: '路灯夜间不亮' };

jest.setTimeout(60_000);

/**
 * 建议派往单位: a matching routing rule that does not dispatch by itself leaves its unit on the ticket, shown on
 * GET /tickets/:id and in the triage queue, so the dispatcher sees where the dispatch catalogue would send it.
 */
describe('dispatch suggestion 建议派往单位', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;

  const ticket = async (id: string) => (await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body;
  const triageRow = async (id: string) => (await t.request('GET', '/api/v1/queues/triage?limit=200', { token: dispatcher })).body.items.find((i: { id: string }) => i.id === id);
  async function addRule(body: Record<string, unknown>): Promise<string> {
    const res = await t.request('POST', '/api/v1/dispatch/rules', { token: dispatcher, body: { platform: 'community_governance', categoryCodes: ['0115'], position: 5, ...body } });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  beforeAll(async () => {
    t = await createTestApp({ seedRouting: true });
    ids = await codeIds(t);
    [grid, dispatcher] = await Promise.all(['demo.grid', 'demo.dispatcher'].map((u) => t.login(u)));
  });
  afterAll(async () => { await t.close(); });

  it('a rule without autoRegister: the ticket stays reported, with the rule\'s unit proposed (once)', async () => {
    const rule = await addRule({ name: '电务社区路灯建议城管局', gridNodeId: ids['210902001001'], unitId: ids['FX-CGJ'] });
    const filed = await fileTicket(t, grid, { ...LIGHT, title: '电务社区路灯不亮' });
    expect(filed.status).toBe(201);
    const id: string = filed.body.id;
    const suggested = await waitFor(async () => { const b = await ticket(id); return b.suggestedUnitId !== null && b; });
    expect(suggested).toMatchObject({ status: 'reported', unitId: null, suggestedUnitId: ids['FX-CGJ'], suggestedByRuleId: rule, version: 2 });
    expect(suggested.timeline.map((e: { action: string; actorRole: string; from: string; to: string }) => [e.action, e.actorRole, e.from, e.to])).toEqual([
      ['file', 'grid_worker', null, 'reported'], ['suggest-unit', 'system', 'reported', 'reported'],
    ]);
    expect(suggested.timeline[1]).toMatchObject({ actorId: null, data: { suggestedUnitId: ids['FX-CGJ'], ruleId: rule } });
    expect(suggested.timeline[1].note).toContain('派单目录');
    expect(await triageRow(id)).toMatchObject({ status: 'reported', suggestedUnitId: ids['FX-CGJ'], suggestedByRuleId: rule });

    // A second delivery of the routing job writes nothing more.
    expect(await t.app.get(RouterService).routeTicket(id)).toBe('suggested');
    const again = await ticket(id);
    expect(again.version).toBe(2);
    expect(again.timeline).toHaveLength(2);

    // The dispatcher decides: register and dispatch where the catalogue proposed; the proposal stays on record.
    await mustAct(t, dispatcher, id, 'register');
    const dispatched = await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-CGJ'] });
    expect(dispatched).toMatchObject({ status: 'dispatched', unitId: ids['FX-CGJ'], suggestedUnitId: ids['FX-CGJ'] });
  });

  it('a rule with autoRegister but no autoDispatch: registered by the system, waiting in triage with the rule\'s unit proposed', async () => {
    const rule = await addRule({ name: '站前社区路灯自动立案', gridNodeId: ids['210902001002'], unitId: ids['FX-SZSS'], autoRegister: true });
    const filed = await fileTicket(t, dispatcher, { ...LIGHT, title: '站前社区路灯不亮', gridNodeId: ids['210902001002'] });
    expect(filed.status).toBe(201);
    const id: string = filed.body.id;
    const registered = await waitFor(async () => { const b = await ticket(id); return b.status === 'registered' && b; });
    expect(registered).toMatchObject({ unitId: null, suggestedUnitId: ids['FX-SZSS'], suggestedByRuleId: rule, version: 3 });
    // The proposal comes before the registration, so a resumed routing still sees the system's `register` last.
    expect(registered.timeline.map((e: { action: string; actorRole: string }) => [e.action, e.actorRole])).toEqual([
      ['file', 'dispatcher'], ['suggest-unit', 'system'], ['register', 'system'],
    ]);
    expect(await triageRow(id)).toMatchObject({ status: 'registered', suggestedUnitId: ids['FX-SZSS'], suggestedByRuleId: rule });
    expect(await t.app.get(RouterService).routeTicket(id)).toBe('registered');
    expect((await ticket(id)).version).toBe(3);
  });

  it('a rule that dispatches by itself proposes nothing: the unit is the dispatch', async () => {
    const filed = await fileTicket(t, grid, { ...MANHOLE, title: '自动派遣无建议' });
    const routed = await waitFor(async () => { const b = await ticket(filed.body.id); return b.status === 'dispatched' && b; });
    expect(routed).toMatchObject({ unitId: ids['FX-SZSS'], suggestedUnitId: null, suggestedByRuleId: null });
    expect(routed.timeline.map((e: { action: string }) => e.action)).toEqual(['file', 'register', 'dispatch']);
  });

  it('a rule whose unit was deactivated matches nothing: no proposal, no dispatch; the dry-run says why and falls back', async () => {
    const admin = await t.login('demo.admin');
    const rule = await addRule({ name: '站前社区路灯自来水公司', gridNodeId: ids['210902001002'], unitId: ids['FX-WATER'], position: 1, autoRegister: true, autoDispatch: true });
    const off = await t.request('PATCH', `/api/v1/admin/units/${ids['FX-WATER']}`, { token: admin, body: { active: false } });
    expect([off.status, off.body.active]).toEqual([200, false]);
    const filed = await fileTicket(t, dispatcher, { ...LIGHT, title: '站前社区路灯又不亮', gridNodeId: ids['210902001002'] });
    const id: string = filed.body.id;
    const dry = await t.request('POST', '/api/v1/dispatch/dry-run', { token: dispatcher, body: { ticketId: id } });
    expect(dry.status).toBe(200);
    expect(dry.body.rulesConsidered.find((v: { ruleId: string }) => v.ruleId === rule)).toMatchObject({ matched: false, miss: 'unit-inactive' });
    // The earlier test's 站前社区 rule (registers, proposes FX-SZSS) is next in order and decides instead.
    expect(dry.body).toMatchObject({ source: 'rule', unitCode: 'FX-SZSS', autoDispatch: false });
    const routed = await waitFor(async () => { const b = await ticket(id); return b.status === 'registered' && b; });
    expect(routed).toMatchObject({ unitId: null, suggestedUnitId: ids['FX-SZSS'] });
    expect(routed.timeline.map((e: { action: string }) => e.action)).not.toContain('dispatch');
  });
});
