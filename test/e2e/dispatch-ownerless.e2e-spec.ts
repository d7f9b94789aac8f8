import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, act, codeIds, fileTicket, mustAct } from '../support/tickets';

jest.setTimeout(60_000);

describe('dispatch: OWNERLESS_AFTER_BOUNCES reaches the workflow 无主案件', () => {
  let t: TestApp;
  afterAll(async () => { await t.close(); });

  it('with the threshold at 1, the first return flags the ticket ownerless to the district triage queue', async () => {
    t = await createTestApp({ env: { OWNERLESS_AFTER_BOUNCES: '1' } });
    const ids = await codeIds(t);
    const [dispatcher, handler] = await Promise.all(['demo.dispatcher', 'demo.handler'].map((u) => t.login(u)));
    const filed = await fileTicket(t, dispatcher, { ...MANHOLE, categoryCode: '0115', standardCode: undefined, gridNodeId: ids['210902001002'], title: '路灯' });
    await mustAct(t, dispatcher, filed.body.id, 'register');
    await mustAct(t, dispatcher, filed.body.id, 'dispatch', { unitId: ids['FX-SZSS'] });
    const returned = await act(t, handler, filed.body.id, 'return', { reason: 'wrong_territory', note: '不在辖区' });
    expect(returned.body).toMatchObject({ status: 'returned', bounceCount: 1, ownerless: true });
    const triage = await t.request('GET', '/api/v1/queues/triage?ownerless=true', { token: dispatcher });
    expect(triage.body.items.map((i: { id: string }) => i.id)).toEqual([filed.body.id]);
    const events = (await t.request('GET', `/api/v1/tickets/${filed.body.id}/events`, { token: dispatcher })).body;
    expect(events[events.length - 1].data).toMatchObject({ reason: 'wrong_territory', ownerless: true });
  });
});
