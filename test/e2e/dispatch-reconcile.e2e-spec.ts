import { RouteReconcileJob, routeJobId } from '../../src/modules/dispatch/route-reconcile.job';
import { QueueService } from '../../src/queue/queue.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/sla';
import { MANHOLE, codeIds, fileTicket } from '../support/tickets';

/** A street light (0115): no routing rule of the demo matches it. */
const LIGHT = { ...MANHOLE, categoryCode: '0115', standardCode: undefined, title: '路灯不亮', description: '电务社区路灯不亮' };

jest.setTimeout(60_000);

describe('dispatch: a routing job lost from the queue is re-created by the reconciler', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;

  beforeAll(async () => {
    t = await createTestApp({ seedRouting: true });
    ids = await codeIds(t);
    [grid, dispatcher] = await Promise.all(['demo.grid', 'demo.dispatcher'].map((u) => t.login(u)));
  });
  afterAll(async () => { await t.close(); });

  const status = async (id: string): Promise<string> => (await t.ds.query(`SELECT status FROM tickets WHERE id = $1`, [id]))[0].status;

  it('leaves a ticket whose routing ran alone, re-routes it once its job is gone, and never routes it twice', async () => {
    const queue = t.app.get(QueueService).queue('tickets');
    const reconcile = t.app.get(RouteReconcileJob);
    const light = (await fileTicket(t, grid, LIGHT)).body;
    // Its routing ran and found no rule: it waits for a dispatcher.
    await waitFor('the routing job', async () => (await (await queue.getJob(routeJobId(light.id)))?.isCompleted()) ?? false);
    expect(await status(light.id)).toBe('reported');

    // A rule appears that would route it. The routing already ran (its completed job is still known): nothing happens.
    const rule = await t.request('POST', '/api/v1/dispatch/rules', { token: dispatcher, body: {
      name: '电务社区路灯直派市政设施服务中心', platform: 'community_governance', categoryCodes: ['0115'], gridNodeId: ids['210902001'],
      unitId: ids['FX-SZSS'], position: 1, autoRegister: true, autoDispatch: true,
    } });
    expect(rule.status).toBe(201);
    await reconcile.restore(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(await status(light.id)).toBe('reported');

    // Too young: a filing is given a minute before its routing counts as lost.
    await queue.remove(routeJobId(light.id));
    expect(await queue.getJob(routeJobId(light.id))).toBeUndefined();
    await reconcile.restore(RouteReconcileJob.MIN_AGE_MS);
    expect(await queue.getJob(routeJobId(light.id))).toBeUndefined();

    // The job is gone (Redis flushed, queue obliterated): the reconciler re-creates it and the ticket is routed.
    expect(await reconcile.restore(0)).toBeGreaterThanOrEqual(1);
    await waitFor('the re-routed dispatch', async () => (await status(light.id)) === 'dispatched');
    const events: Array<{ action: string }> = await t.ds.query(`SELECT action FROM ticket_events WHERE ticket_id = $1 ORDER BY seq`, [light.id]);
    expect(events.map((e) => e.action)).toEqual(['file', 'register', 'dispatch']);
    expect((await t.ds.query(`SELECT unit_id FROM tickets WHERE id = $1`, [light.id]))[0].unit_id).toBe(ids['FX-SZSS']);

    // Routed tickets are not looked at again, even with their job gone.
    await queue.remove(routeJobId(light.id));
    await reconcile.restore(0);
    expect(await queue.getJob(routeJobId(light.id))).toBeUndefined();
    const after: Array<{ n: number }> = await t.ds.query(`SELECT count(*)::int AS n FROM ticket_events WHERE ticket_id = $1 AND action = 'dispatch'`, [light.id]);
    expect(after[0]!.n).toBe(1);
  });
});
