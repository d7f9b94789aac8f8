import { randomUUID } from 'node:crypto';
import { DEMO_PASSWORD } from '../../src/database/seeds/demo-city';
import { hashPassword } from '../../src/modules/auth/password.service';
import { ReportsFactsEndedAt1764400200000 } from '../../src/database/migrations/1764400200000-reports-facts-ended-at';
import { RollupService } from '../../src/modules/reports/rollup.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { foldAll, loadFixture, planTicket, rng, writeEvents, writeTickets, type Fixture, type PlannedTicket } from './reports-history';

const SIHE = '210900.210911.210911001'; // 四合街道 (细河区)
const HAIZHOU = '210900.210902'; // 海州区 itself (tickets filed at district level)
const ZHANQIAN = '210900.210902.210902001'; // 站前街道
const DAY = 86_400_000;

/**
 * 环比 / 同比 with known histories: the backlog as it stood a month and a year ago (a stock, from the facts' filing and
 * end instants), and the rankings' scores of the period before and the year before.
 */
describe('reports: month-on-month and year-on-year with known data', () => {
  let t: TestApp;
  let fx: Fixture;
  let official: string;
  let seq = 0;
  const now = Date.now();
  const get = (path: string) => t.request('GET', `/api/v1/reports/${path}`, { token: official });

  /** A ticket at `path` (a node under it) whose log is `steps`: [action, to, instant, data?]. */
  const ticket = (path: string, steps: Array<[string, string, number, Record<string, unknown>?]>, deadlineMs: number | null = null): PlannedTicket => {
    const node = fx.nodes.find((n) => n.path === path || n.path.startsWith(`${path}.`))!;
    const unitId = steps.some(([a]) => a === 'dispatch') ? fx.units[0]! : null;
    const dispatch = steps.find(([a]) => a === 'dispatch');
    const base = planTicket(rng(1), { ...fx, nodes: [node] }, steps[0]![2], randomUUID());
    return {
      ...base, platform: fx.categories[0]!.platform, categoryId: fx.categories[0]!.id, categoryCode: fx.categories[0]!.code, unitId,
      dispatchMs: dispatch ? dispatch[2] : null, deadlineMs, callback: null,
      events: steps.map(([action, to, atMs, data]) => ({ action, to, atMs, data: data ?? (action === 'dispatch' ? { unitId } : {}) })),
    };
  };
  const write = async (plans: PlannedTicket[]): Promise<void> => {
    seq += 1;
    await writeTickets(t.ds, plans, 900 + seq);
    await writeEvents(t.ds, plans, 0, Date.now());
    await foldAll(t.ds, t.app.get(RollupService));
  };

  /** The tickets of the backlog test, around `now`. */
  const backlogHistory = (): PlannedTicket[] => {
    const closed = (path: string, filed: number, ended: number, to = 'closed') =>
      ticket(path, [['file', 'reported', filed], ['register', 'registered', filed + 3600_000], [to === 'voided' ? 'void' : 'verify', to, ended]]);
    const open = (path: string, filed: number) => ticket(path, [['file', 'reported', filed], ['register', 'registered', filed + 3600_000]]);
    return [
      closed(SIHE, now - 40 * DAY, now - 35 * DAY), // closed before a month ago: open neither then nor now
      open(SIHE, now - 40 * DAY), // open then (about 9–12 days old) and now
      open(SIHE, now - 10 * DAY), // filed since: open now only
      closed(SIHE, now - 400 * DAY, now - 300 * DAY), // open a year ago (34–35 days old then)
      closed(SIHE, now - 380 * DAY, now - 370 * DAY, 'voided'), // voided before a year ago
      ticket(SIHE, [['file', 'reported', now - 40 * DAY], ['merge', 'merged', now - 5 * DAY]]), // merged: counts nowhere, then neither
      closed(HAIZHOU, now - 40 * DAY, now - 10 * DAY), // open a month ago, closed since: 海州区 has no backlog now
    ];
  };

  /** The tickets of the rankings test: May 2024, April 2024 and May 2023. */
  const rankingHistory = (): PlannedTicket[] => {
    const at = (day: string, hm: string) => Date.parse(`${day}T${hm}:00+08:00`);
    /** Filed, dispatched, signed, resolved and closed on `day`; late when the deadline is before the resolve. */
    const handled = (path: string, day: string, late: boolean) => ticket(path, [
      ['file', 'reported', at(day, '09:00')], ['register', 'registered', at(day, '09:10')], ['dispatch', 'dispatched', at(day, '09:20')],
      ['sign', 'in_progress', at(day, '09:30')], ['resolve', 'resolved', at(day, '11:00')], ['verify', 'closed', at(day, '15:00'), { passed: true }],
    ], late ? at(day, '10:00') : at(day, '12:00'));
    return [
      handled(SIHE, '2024-05-06', false), handled(SIHE, '2024-05-20', false), // May 2024: all on time
      handled(ZHANQIAN, '2024-05-07', false), handled(ZHANQIAN, '2024-05-21', true), // May 2024: one of two late
      handled(SIHE, '2024-04-15', true), // April 2024 (环比): late
      handled(ZHANQIAN, '2023-05-10', false), // May 2023 (同比): on time
    ];
  };

  beforeAll(async () => {
    t = await createTestApp();
    fx = await loadFixture(t.ds);
    // A city-level official (demo.official is 海州区's), so both districts show.
    await t.ds.query(
      `INSERT INTO users (username, display_name, role, scope_node_id, password_hash)
       SELECT 'city.official', '市领导', 'official', id, $1 FROM grid_nodes WHERE path = '210900'`, [await hashPassword(DEMO_PASSWORD)]);
    official = await t.login('city.official');
    // Written at once, before any fold: the fold's cursor moves forward in time and never goes back for events
    // written later with an older instant (the histories here are backdated).
    await write([...backlogHistory(), ...rankingHistory()]);
  });
  afterAll(async () => { await t.close(); });

  it('backlog: the open tickets as they stood one month and one year before now, by their age then; a cleared group still shows', async () => {
    const res = await get('backlog?groupBy=street');
    expect(res.status).toBe(200);
    const momAt = Date.parse(res.body.momAt);
    const yoyAt = Date.parse(res.body.yoyAt);
    expect(momAt).toBeGreaterThanOrEqual(now - 31 * DAY - 3600_000);
    expect(momAt).toBeLessThanOrEqual(now - 28 * DAY + 3600_000);
    expect(yoyAt).toBeGreaterThanOrEqual(now - 366 * DAY - 3600_000);
    expect(yoyAt).toBeLessThanOrEqual(now - 365 * DAY + 3600_000);
    const zero = { lt1d: 0, '1to3d': 0, '3to7d': 0, '7to30d': 0, ge30d: 0 };
    const sihe = res.body.rows.find((r: any) => r.group === SIHE);
    expect(sihe).toMatchObject({
      open: 2, mom: { open: 1, byAge: { ...zero, '7to30d': 1 } }, yoy: { open: 1, byAge: { ...zero, ge30d: 1 } },
    });
    expect(res.body.rows.find((r: any) => r.group === HAIZHOU)).toMatchObject({
      label: '海州区', open: 0, byAge: zero, mom: { open: 1, byAge: { ...zero, '7to30d': 1 } }, yoy: { open: 0, byAge: zero },
    });
    // The filing period shifts with the instant: filed by 20 days ago, compared with filed by a month before that (the
    // ticket open a month ago was filed later) and by a year before that (the one open a year ago was filed earlier).
    const filedBy = new Date(now - 20 * DAY + 8 * 3600_000).toISOString().slice(0, 10);
    const older = (await get(`backlog?groupBy=street&to=${filedBy}`)).body;
    expect(older.rows.find((r: any) => r.group === SIHE)).toMatchObject({ open: 1, mom: { open: 0 }, yoy: { open: 1 } });
    // Exports carry the comparison columns.
    const csv = await get('backlog?groupBy=street&format=csv');
    const header = csv.text.replace(/^\uFEFF/, '').split('\r\n')[0]!.split(',');
    expect(header).toEqual(expect.arrayContaining(['open', 'byColour.red', 'mom.open', 'mom.byAge.7to30d', 'yoy.open']));
  });

  it('the migration that added the facts\' end instant fills exactly what the fold writes', async () => {
    const snapshot = async (): Promise<Array<{ ticket_id: string; ended_at: Date | null }>> =>
      t.ds.query(`SELECT ticket_id, ended_at FROM report_ticket_facts ORDER BY ticket_id`);
    const folded = await snapshot();
    expect(folded.filter((r) => r.ended_at !== null).length).toBeGreaterThan(3);
    expect(folded.some((r) => r.ended_at === null)).toBe(true);
    const runner = t.ds.createQueryRunner();
    try {
      await new ReportsFactsEndedAt1764400200000().down(runner);
      await new ReportsFactsEndedAt1764400200000().up(runner);
    } finally {
      await runner.release();
    }
    expect(await snapshot()).toEqual(folded);
  });

  it('rankings: each street\'s score a month before (scoreMom) and a year before (scoreYoy)', async () => {
    const res = await get('rankings?from=2024-05-01&to=2024-05-31&groupBy=street');
    expect(res.status).toBe(200);
    // Default weights (onTimeCloseRate 0.3, accurateDispatchRate 0.1, reworkRate 0.1, extensionRate 0.05; the 12345
    // trio has no callbacks here): on time, dispatched right, no rework, no extension → 100; half late → 100·0.4/0.55.
    const sihe = res.body.rows.find((r: any) => r.group === SIHE);
    const zhanqian = res.body.rows.find((r: any) => r.group === ZHANQIAN);
    expect(sihe).toMatchObject({ rank: 1, list: 'commended' });
    expect(sihe.score).toBeCloseTo(100, 9);
    expect(sihe.scoreMom).toBeCloseTo((100 * 0.25) / 0.55, 9);
    expect(sihe.scoreYoy).toBeNull();
    expect(zhanqian.rank).toBe(2);
    expect(zhanqian.score).toBeCloseTo((100 * 0.4) / 0.55, 9);
    expect(zhanqian.scoreMom).toBeNull();
    expect(zhanqian.scoreYoy).toBeCloseTo(100, 9);
    // The same figures as the rankings of those periods themselves.
    const april = (await get('rankings?from=2024-04-01&to=2024-04-30&groupBy=street')).body.rows;
    const lastYear = (await get('rankings?from=2023-05-01&to=2023-05-31&groupBy=street')).body.rows;
    expect(sihe.scoreMom).toBe(april.find((r: any) => r.group === SIHE).score);
    expect(zhanqian.scoreYoy).toBe(lastYear.find((r: any) => r.group === ZHANQIAN).score);
  });
});
