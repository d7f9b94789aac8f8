import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, codeIds, createStaff, fileTicket, mustAct } from '../support/tickets';

const LIGHT = { ...MANHOLE, categoryCode: '0115', standardCode: undefined, title: '路灯不亮', description: '站前社区路灯不亮' };

jest.setTimeout(60_000);

/** 协办: `GET /tickets?involvingUnitId=` lists what a unit leads or co-handles, within the caller's scope. */
describe('listing by involved unit 主办或协办', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let dispatcher: string;
  let admin: string;
  const users: Record<string, string> = {};

  async function dispatched(title: string, unitCode: string, coUnitCodes: string[]): Promise<string> {
    const filed = await fileTicket(t, dispatcher, { ...LIGHT, title, gridNodeId: ids['210902001002'] });
    expect(filed.status).toBe(201);
    await mustAct(t, dispatcher, filed.body.id, 'register');
    await mustAct(t, dispatcher, filed.body.id, 'dispatch', { unitId: ids[unitCode], coUnitIds: coUnitCodes.map((c) => ids[c]) });
    return filed.body.id;
  }
  const list = async (token: string, query: string): Promise<{ status: number; ids: string[] }> => {
    const res = await t.request('GET', `/api/v1/tickets?${query}&limit=200`, { token });
    return { status: res.status, ids: res.status === 200 ? res.body.items.map((i: { id: string }) => i.id) : [] };
  };

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    [dispatcher, admin] = await Promise.all(['demo.dispatcher', 'demo.admin'].map((u) => t.login(u)));
  });
  afterAll(async () => { await t.close(); });

  it('matches the lead unit or a co-unit; unitId stays the lead only', async () => {
    const led = await dispatched('自来水公司主办', 'FX-WATER', []);
    const coHandled = await dispatched('市政主办、自来水协办', 'FX-SZSS', ['FX-WATER']);
    const other = await dispatched('市政主办、城管协办', 'FX-SZSS', ['FX-CGJ']);
    const water = await createStaff(t, admin, ids, users, 'water.list', 'handler', '210900', 'FX-WATER');

    // The co-unit's handler lists what it takes part in, and cannot list another unit's co-handled ticket.
    const involving = await list(water, `involvingUnitId=${ids['FX-WATER']}`);
    expect(involving.status).toBe(200);
    expect(involving.ids).toEqual(expect.arrayContaining([led, coHandled]));
    expect(involving.ids).not.toContain(other);
    expect((await list(water, `unitId=${ids['FX-WATER']}`)).ids).not.toContain(coHandled);
    expect((await list(water, `involvingUnitId=${ids['FX-CGJ']}`)).ids).toEqual([]); // the scope still applies

    // A dispatcher over the subtree: every unit's view, combinable with the other filters.
    expect((await list(dispatcher, `involvingUnitId=${ids['FX-SZSS']}`)).ids).toEqual(expect.arrayContaining([coHandled, other]));
    expect((await list(dispatcher, `involvingUnitId=${ids['FX-CGJ']}&status=dispatched`)).ids).toEqual([other]);
    expect((await list(dispatcher, `involvingUnitId=${ids['FX-CGJ']}&status=resolved`)).ids).toEqual([]);
    expect((await list(dispatcher, 'involvingUnitId=not-a-uuid')).status).toBe(400);
  });

  it('is served by the lead-unit index and the partial co-unit index (BitmapOr), not a scan of tickets', async () => {
    const u = ids['FX-WATER'];
    await t.ds.query('SET enable_seqscan = off'); // a tiny table would be scanned anyway; the question is whether the index can serve
    try {
      const plan: Array<{ 'QUERY PLAN': string }> = await t.ds.query(
        `EXPLAIN SELECT t.id FROM tickets t WHERE (t.unit_id = $1::uuid OR (t.co_unit_ids <> '{}' AND t.co_unit_ids @> ARRAY[$1::uuid]))`, [u]);
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('tickets_co_units_gin');
      expect(text).toContain('tickets_unit_idx');
    } finally {
      await t.ds.query('RESET enable_seqscan');
    }
  });
});
