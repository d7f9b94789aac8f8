import { armResolveClock, firingsOf, inProgressTicket, waitFor } from '../support/sla';
import { createTestApp, type TestApp } from '../support/test-app';
import { codeIds, mustAct } from '../support/tickets';

const LIMIT = 4 * 3600; // the demo manhole: 4 hours, natural time

jest.setTimeout(90_000);

/**
 * 预警标记 (`slaAlert`): a firing flags its ticket with the highest colour fired on the ticket's live clocks, in
 * the firing's own statement; the 督办 ladder step still counts one supervision; the flag clears when the
 * clocks stop (the handler reports) — as docs/sla.md §5 says.
 */
describe('sla alert flag on the ticket 预警标记', () => {
  let t: TestApp;
  let tokens: { grid: string; dispatcher: string; handler: string };
  let admin: string;
  let unit: string;

  beforeAll(async () => {
    t = await createTestApp();
    const ids = await codeIds(t);
    unit = ids['FX-SZSS']!;
    const [grid, dispatcher, handler, a] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.admin'].map((u) => t.login(u)));
    tokens = { grid: grid!, dispatcher: dispatcher!, handler: handler! };
    admin = a!;
  });
  afterAll(async () => {
    await t.close();
  });

  const view = async (id: string) => (await t.request('GET', `/api/v1/tickets/${id}`, { token: tokens.dispatcher })).body;
  const firedAt = async (id: string, threshold: string) =>
    (await waitFor(threshold, async () => (await firingsOf(t, id)).filter((f) => f.threshold === threshold).pop())).fired_at;
  const listed = async (query: string) => {
    const res = await t.request('GET', `/api/v1/tickets?${query}&limit=200`, { token: tokens.dispatcher });
    expect(res.status).toBe(200);
    return res.body.items as Array<{ id: string; slaAlert: string | null }>;
  };

  it('each colour raises the flag; the 督办 step supervises once; a resolve clears it; the listing filters by it', async () => {
    const { id } = await inProgressTicket(t, tokens, unit);
    const other = await inProgressTicket(t, tokens, unit);
    expect(await view(id)).toMatchObject({ slaAlert: null, slaAlertedAt: null, supervisionCount: 0 });

    // 60 % of the limit used: 催办 (blue) only.
    await armResolveClock(t, admin, id, LIMIT, 0.4 * LIMIT);
    const blueAt = await firedAt(id, 'remind');
    await armResolveClock(t, admin, other.id, LIMIT, 0.4 * LIMIT);
    await firedAt(other.id, 'remind');
    const blue = await view(id);
    expect(blue).toMatchObject({ slaAlert: 'blue', slaAlertedAt: blueAt.toISOString(), supervisionCount: 0 });

    // 90 %: 预警 (yellow) goes above blue.
    await armResolveClock(t, admin, id, LIMIT, 0.1 * LIMIT);
    const yellowAt = await firedAt(id, 'warning');
    expect(await view(id)).toMatchObject({ slaAlert: 'yellow', slaAlertedAt: yellowAt.toISOString() });

    // Breach plus 2 h less 2 s: 超期 (red) at once, the district 督办 two seconds later.
    await armResolveClock(t, admin, id, LIMIT, -(2 * 3600 - 2));
    const redAt = await firedAt(id, 'breach');
    expect(await view(id)).toMatchObject({ slaAlert: 'red', slaAlertedAt: redAt.toISOString(), supervisionCount: 0 });
    await waitFor('督办 done', async () => {
      const [f] = await t.ds.query(`SELECT action_state FROM sla_firings WHERE ticket_id = $1 AND threshold = 'supervise_district'`, [id]);
      return f?.action_state === 'done';
    });
    // A red step after red keeps the colour and its instant; the ladder step counts one supervision, the breach none.
    expect(await view(id)).toMatchObject({ slaAlert: 'red', slaAlertedAt: redAt.toISOString(), supervisionCount: 1 });

    // The listing: rows carry the flag, and `slaAlert` filters by colour.
    const red = await listed('slaAlert=red');
    expect(red.map((r) => r.id)).toContain(id);
    expect(red.map((r) => r.id)).not.toContain(other.id);
    expect(red.every((r) => r.slaAlert === 'red')).toBe(true);
    const lower = await listed('slaAlert=blue,yellow');
    expect(lower.map((r) => r.id)).toContain(other.id);
    expect(lower.map((r) => r.id)).not.toContain(id);
    expect(lower.find((r) => r.id === other.id)!.slaAlert).toBe('blue');
    expect((await t.request('GET', '/api/v1/tickets?slaAlert=green', { token: tokens.dispatcher })).status).toBe(400);

    // The handler reports: the 处置 clock stops and, with no other live clock coloured, the flag clears.
    await mustAct(t, tokens.handler, id, 'resolve', { note: '已处置' });
    const resolved = await view(id);
    expect(resolved).toMatchObject({ slaAlert: null, slaAlertedAt: null, supervisionCount: 1 });
    expect((await listed('slaAlert=red')).map((r) => r.id)).not.toContain(id);
    // The other ticket's clock still runs: its flag stays.
    expect(await view(other.id)).toMatchObject({ slaAlert: 'blue' });
  });

  it('a clock that stops beside another coloured live clock leaves the other clock\'s colour', async () => {
    const { id } = await inProgressTicket(t, tokens, unit);
    await armResolveClock(t, admin, id, LIMIT, 2);
    await firedAt(id, 'breach');
    expect((await view(id)).slaAlert).toBe('red');
    // A second live clock of the ticket (a 核查 clock, coloured yellow by hand) stays when the red one stops.
    const [clock] = await t.ds.query(
      `INSERT INTO ticket_clocks (ticket_id, stage, state, clock_type, limit_seconds, extension_seconds, started_at, level)
       VALUES ($1, 'verify', 'running', 'natural', 3600, 0, now(), 'yellow') RETURNING id`, [id]);
    await t.ds.query(`UPDATE ticket_clocks SET state = 'stopped', stopped_at = now() WHERE ticket_id = $1 AND stage = 'resolve' AND state <> 'stopped'`, [id]);
    expect((await view(id)).slaAlert).toBe('yellow');
    await t.ds.query(`UPDATE ticket_clocks SET state = 'stopped', stopped_at = now() WHERE id = $1`, [clock.id]);
    expect(await view(id)).toMatchObject({ slaAlert: null, slaAlertedAt: null });
  });
});
