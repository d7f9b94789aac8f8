import { createTestApp, type TestApp } from '../support/test-app';
import { codeIds, fileTicket, MANHOLE, mustAct, waitFor } from '../support/tickets';

/**
 * Auto-assignment 自动分派 on every path a ticket takes into a unit (docs/dispatch.md): reassignment, re-dispatch
 * after an approved return, and routing. Manual dispatch is covered in dispatch.e2e-spec.ts. Each case sets the
 * loads it relies on: the pick is the unit's active on-duty handler with the fewest open tickets, ties by username.
 */

/** A street light (0115) in 站前社区: no routing rule matches it. */
const LIGHT = { ...MANHOLE, categoryCode: '0115', standardCode: undefined, title: '路灯不亮', description: '站前社区路灯不亮' };

jest.setTimeout(60_000);

describe('auto-assignment on reassign, review-return and routing 自动分派', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;
  let handler: string;
  let admin: string;
  const users: Record<string, { token: string; id: string }> = {};

  /** A handler of a unit, made directly in SQL with the demo password. */
  async function addHandler(username: string, unitCode: string, onDuty: boolean): Promise<void> {
    const rows: Array<{ id: string }> = await t.ds.query(
      `INSERT INTO users (username, display_name, role, scope_node_id, unit_id, password_hash, on_duty)
       SELECT $1, $1, 'handler', g.id, u.id, (SELECT password_hash FROM users WHERE username = 'demo.handler'), $3
         FROM grid_nodes g, units u WHERE g.code = '210900' AND u.code = $2 RETURNING id`, [username, unitCode, onDuty]);
    users[username] = { token: await t.login(username), id: rows[0]!.id };
  }

  /** Files a street light as the dispatcher, registers it and dispatches it (`body`: unitId and optional handlerId). */
  async function dispatched(body: Record<string, unknown>): Promise<{ id: string; handlerId: string | null }> {
    const filed = await fileTicket(t, dispatcher, { ...LIGHT, gridNodeId: ids['210902001002'] });
    if (filed.status !== 201) throw new Error(`file failed ${filed.status} ${filed.text}`);
    await mustAct(t, dispatcher, filed.body.id, 'register');
    return mustAct(t, dispatcher, filed.body.id, 'dispatch', body);
  }

  /** The city units' settings are the city's to change (a district dispatcher gets 403 UNIT_ABOVE_SCOPE). */
  const autoAssign = async (unitCode: string, on: boolean) => {
    const res = await t.request('PUT', `/api/v1/dispatch/units/${ids[unitCode]}/settings`, { token: admin, body: { autoAssign: on } });
    expect(res.status).toBe(200);
  };
  const handlerOf = async (ticketId: string): Promise<string | null> => (await t.request('GET', `/api/v1/tickets/${ticketId}`, { token: dispatcher })).body.handlerId;
  const assignments = (ticketId: string): Promise<Array<{ unit_id: string; handler_id: string; open_count: number }>> =>
    t.ds.query(`SELECT unit_id, handler_id, open_count FROM dispatch_assignments WHERE ticket_id = $1 ORDER BY id`, [ticketId]);
  const openLoad = async (userId: string): Promise<number> =>
    (await t.ds.query(`SELECT count(*)::int AS n FROM tickets WHERE handler_id = $1 AND status IN ('dispatched','in_progress','suspended')`, [userId]))[0].n;

  beforeAll(async () => {
    t = await createTestApp({ seedRouting: true });
    ids = await codeIds(t);
    [grid, dispatcher, handler, admin] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.admin'].map((u) => t.login(u)));
    await addHandler('cgj.busy', 'FX-CGJ', true);
    await addHandler('cgj.free', 'FX-CGJ', true);
    await addHandler('cgj.off', 'FX-CGJ', false);
    await addHandler('szss.busy', 'FX-SZSS', true);
    await addHandler('szss.free', 'FX-SZSS', true);
    // One open ticket each for the busy handlers, handed to them by name while auto-assignment is off everywhere.
    await dispatched({ unitId: ids['FX-CGJ'], handlerId: users['cgj.busy']!.id });
    await dispatched({ unitId: ids['FX-SZSS'], handlerId: users['szss.busy']!.id });
    expect(await openLoad(users['cgj.busy']!.id)).toBe(1);
    expect(await openLoad(users['szss.busy']!.id)).toBe(1);
  });
  afterAll(async () => { await t?.close(); });

  it('reassign (改派) to an auto-assigning unit assigns its least-loaded on-duty handler, from dispatched and from in progress', async () => {
    await autoAssign('FX-CGJ', true);
    // Loads at FX-CGJ: busy 1, free 0, off (off duty) 0.
    const waiting = await dispatched({ unitId: ids['FX-SZSS'] });
    expect(waiting.handlerId).toBeNull();
    const moved = await mustAct(t, dispatcher, waiting.id, 'reassign', { unitId: ids['FX-CGJ'], note: '改派城管局' });
    expect(moved).toMatchObject({ status: 'dispatched', unitId: ids['FX-CGJ'], handlerId: users['cgj.free']!.id });
    expect(await assignments(waiting.id)).toEqual([{ unit_id: ids['FX-CGJ'], handler_id: users['cgj.free']!.id, open_count: 0 }]);

    // Signed by the old unit's handler: reassignment takes it from them, and the new unit's pick gets it.
    // Loads now busy 1, free 1: a tie, settled by username (cgj.busy < cgj.free).
    const started = await dispatched({ unitId: ids['FX-SZSS'] });
    expect((await mustAct(t, handler, started.id, 'sign')).status).toBe('in_progress');
    const taken = await mustAct(t, dispatcher, started.id, 'reassign', { unitId: ids['FX-CGJ'], note: '改派城管局' });
    expect(taken).toMatchObject({ status: 'dispatched', previousStatus: 'in_progress', unitId: ids['FX-CGJ'], handlerId: users['cgj.busy']!.id });
    expect(await assignments(started.id)).toEqual([{ unit_id: ids['FX-CGJ'], handler_id: users['cgj.busy']!.id, open_count: 1 }]);

    // A handler named by the dispatcher wins over the automatic pick, even one off duty; nothing is logged.
    const named = await dispatched({ unitId: ids['FX-SZSS'] });
    const byName = await mustAct(t, dispatcher, named.id, 'reassign', { unitId: ids['FX-CGJ'], handlerId: users['cgj.off']!.id });
    expect(byName.handlerId).toBe(users['cgj.off']!.id);
    expect(await assignments(named.id)).toEqual([]);
  });

  it('review-return approved with a new unit re-dispatches to that unit\'s least-loaded on-duty handler', async () => {
    // Loads at FX-CGJ now: busy 2, free 1, off 1 (off duty, not counted as a candidate).
    expect([await openLoad(users['cgj.busy']!.id), await openLoad(users['cgj.free']!.id)]).toEqual([2, 1]);
    const tk = await dispatched({ unitId: ids['FX-SZSS'] });
    await mustAct(t, handler, tk.id, 'sign');
    const returned = await mustAct(t, handler, tk.id, 'return', { reason: 'wrong_function', note: '路灯归城管局管' });
    expect(returned).toMatchObject({ status: 'returned', bounceCount: 1 });
    const redispatched = await mustAct(t, dispatcher, tk.id, 'review-return', { approved: true, unitId: ids['FX-CGJ'] });
    expect(redispatched).toMatchObject({ status: 'dispatched', unitId: ids['FX-CGJ'], handlerId: users['cgj.free']!.id });
    expect(await assignments(tk.id)).toEqual([{ unit_id: ids['FX-CGJ'], handler_id: users['cgj.free']!.id, open_count: 1 }]);

    // Approved without a unit, it waits in triage (registered): no unit, nobody assigned.
    const back = await dispatched({ unitId: ids['FX-SZSS'] });
    await mustAct(t, handler, back.id, 'return', { reason: 'other', note: '需要重新研判' });
    const registered = await mustAct(t, dispatcher, back.id, 'review-return', { approved: true });
    expect(registered).toMatchObject({ status: 'registered', unitId: null, handlerId: null });
    expect(await assignments(back.id)).toEqual([]);
  });

  it('a ticket routed by a rule (register + dispatch by the system) goes to the least-loaded on-duty handler', async () => {
    await autoAssign('FX-SZSS', true);
    // Loads at FX-SZSS: szss.busy 1, szss.free 0; demo.handler is off duty.
    expect([await openLoad(users['szss.busy']!.id), await openLoad(users['szss.free']!.id)]).toEqual([1, 0]);
    const filed = await fileTicket(t, grid, { ...MANHOLE, title: '自动分派测试 井盖缺失' });
    expect(filed.status).toBe(201);
    const routed = await waitFor(async () => {
      const b = (await t.request('GET', `/api/v1/tickets/${filed.body.id}`, { token: dispatcher })).body;
      return b.status === 'dispatched' && b;
    });
    expect(routed).toMatchObject({ unitId: ids['FX-SZSS'], handlerId: users['szss.free']!.id });
    // (Whatever follows the dispatch in the timeline is not this test's business.)
    expect(routed.timeline.slice(0, 3).map((e: { action: string; actorRole: string }) => [e.action, e.actorRole])).toEqual([
      ['file', 'grid_worker'], ['register', 'system'], ['dispatch', 'system'],
    ]);
    expect(await assignments(filed.body.id)).toEqual([{ unit_id: ids['FX-SZSS'], handler_id: users['szss.free']!.id, open_count: 0 }]);
    // It is the assignee's: claim-next gives it to them, and the other on-duty handler is not handed it.
    const other = await t.request('POST', `/api/v1/queues/units/${ids['FX-SZSS']}/claim-next`, { token: users['szss.busy']!.token });
    expect(other.status === 204 || other.body.id !== filed.body.id).toBe(true);
    const mine = await t.request('POST', `/api/v1/queues/units/${ids['FX-SZSS']}/claim-next`, { token: users['szss.free']!.token });
    expect([mine.status, mine.body.id]).toEqual([200, filed.body.id]);
  });

  it('with auto-assignment on but nobody on duty, the ticket stays unassigned and no choice is logged', async () => {
    await autoAssign('FX-WATER', true);
    const tk = await dispatched({ unitId: ids['FX-WATER'] });
    expect(tk.handlerId).toBeNull();
    expect(await handlerOf(tk.id)).toBeNull();
    expect(await assignments(tk.id)).toEqual([]);
  });
});
