import fc from 'fast-check';
import { CN_NATIONAL_2025_2026, isWorkingDay, resolveCalendar } from '../../libs/sla-calendar';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../src/modules/auth/principal';
import { Role } from '../../src/modules/auth/roles';
import { BUILD_STREET_MONTH_ROWS } from '../../src/database/migrations/1764232300000-reports-street-month';
import { buildGrainRows } from '../../src/database/migrations/1764300360000-reports-more-grains';
import { BUILD_UNIT_PLATFORM_MONTH_ROWS } from '../../src/database/migrations/1764300410000-reports-unit-platform';
import { BUILD_DAY_UNIT_ROWS } from '../../src/database/migrations/1764300420000-reports-day-unit';
import { BUILD_DAY_CATEGORY_ROWS, ReportsDayCategory1764300450000 } from '../../src/database/migrations/1764300450000-reports-day-category';
import { ReportsBusinessTimePauses1764300440000 } from '../../src/database/migrations/1764300440000-reports-business-time-pauses';
import { MAX_RELATIVE_ERROR } from '../../src/modules/reports/histogram';
import type { DurationMetrics } from '../../src/modules/reports/dto/report.response.dto';
import { COUNTERS, DURATION_METRICS, type Counts } from '../../src/modules/reports/report-metrics';
import type { Rates } from '../../src/modules/reports/report-rates';
import { grainFor, type GroupBy } from '../../src/modules/reports/reports.repository';
import { ReportsService, shiftMonths } from '../../src/modules/reports/reports.service';
import { RollupService } from '../../src/modules/reports/rollup.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { foldAll, loadFixture, planTicket, rng, writeEvents, writeTickets, type Fixture, type PlannedTicket } from './reports-history';
import { byStreet, exactQuantile, oracle, type OracleGroup } from './reports-oracle';

/** The filing month (Asia/Shanghai) of an instant, as the reports group by month. */
const shanghaiMonth = (ms: number): string => new Date(ms + 8 * 3600_000).toISOString().slice(0, 7);

/** The filing day (Asia/Shanghai) of an instant, and the Monday of its ISO week, as the reports group by day and week. */
const shanghaiDay = (ms: number): string => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
const isoWeek = (ms: number): string => {
  const d = new Date(`${shanghaiDay(ms)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
};
const DAY = 86_400_000;

function expectCounts(counts: Counts & { overdueOpen: number }, e: OracleGroup): void {
  expect(counts).toEqual({
    filed: e.filed, valid: e.valid, dispatched: e.dispatched, returned: e.returned, returns: e.returns, resolved: e.resolved,
    resolved_on_time: e.resolvedOnTime, closed: e.closed, closed_on_time: e.closedOnTime, reworked: e.reworked, extended: e.extended,
    callbacks: e.callbacks, contacted: e.contacted, cb_resolved: e.cbResolved, satisfied: e.satisfied, basically: e.basically,
    dissatisfied: e.dissatisfied, unit_dispatched: e.unitDispatched, unit_returned: e.unitReturned, overdueOpen: e.overdueOpen,
  });
}

function expectRates(rates: Rates, e: OracleGroup, perUnit: boolean): void {
  expect(rates.closeRate).toBe(e.valid ? e.closed / e.valid : null);
  expect(rates.onTimeCloseRate).toBe(e.closed + e.overdueOpen ? e.closedOnTime / (e.closed + e.overdueOpen) : null);
  // Grouped or filtered by unit, 退单率 and 准确派遣率 count each unit's own dispatches.
  const [dispatched, returned] = perUnit ? [e.unitDispatched, e.unitReturned] : [e.dispatched, e.returned];
  expect(rates.accurateDispatchRate).toBe(dispatched ? (dispatched - returned) / dispatched : null);
  expect(rates.returnRate).toBe(dispatched ? returned / dispatched : null);
  expect(rates.reworkRate).toBe(e.resolved ? e.reworked / e.resolved : null);
  const rated = e.satisfied + e.basically + e.dissatisfied;
  expect(rates.satisfactionRate).toBe(rated ? (e.satisfied + 0.9 * e.basically) / rated : null);
}

function expectDurations(metrics: DurationMetrics, e: OracleGroup): void {
  DURATION_METRICS.forEach((name, i) => {
    const values = e.durations[i]!;
    const got = metrics[name];
    expect(got.count).toBe(values.length);
    if (values.length === 0) { expect(got.p50Seconds).toBeNull(); return; }
    expect(got.meanSeconds).toBe(Math.round(values.reduce((a, b) => a + b, 0) / values.length) / 1000);
    for (const [qq, key] of [[0.5, 'p50Seconds'], [0.9, 'p90Seconds'], [0.95, 'p95Seconds'], [1, 'maxSeconds']] as const) {
      const exact = exactQuantile(values, qq)! / 1000;
      const approx = got[key]!;
      // On top of the bucket error: the 1 ms rounding of the reported seconds, and under 1 ms where spans
      // below a millisecond (read as 0) take part in an interpolation.
      expect(Math.abs(approx - exact)).toBeLessThanOrEqual(exact * MAX_RELATIVE_ERROR + 0.002);
    }
  });
}

const CITY: Principal = { id: randomUUID(), username: 'city', role: Role.Official, scopeNodeId: randomUUID(), scopePath: '210900', unitId: null, mfaPending: false };

describe('reports: rollups folded incrementally equal a brute-force computation over the event log (property)', () => {
  let t: TestApp;
  let fx: Fixture;
  let run = 0;

  beforeAll(async () => {
    t = await createTestApp();
    fx = await loadFixture(t.ds);
  });
  afterAll(async () => { await t.close(); });

  /** Every history written so far: the 同比 of a run's month is the month a year before, another run's. */
  const allPlans: PlannedTicket[] = [];
  const compared = { mom: 0, yoy: 0 };

  /**
   * Writes `n` random histories — half filed from `base`, half from `base2` — in `rounds` rounds, folds them in batches
   * of `batch` events, and checks every view of the `year` against the oracle, and the 环比 / 同比 of the month of
   * `base2` (by street) against the oracle over the month before and the same month a year before.
   */
  async function checkHistory(r: () => number, id: number, n: number, rounds: number, batch: number, year: number, base: number, base2: number): Promise<PlannedTicket[]> {
    const reports = t.app.get(ReportsService);
    const rollups = t.app.get(RollupService);
    const plans = Array.from({ length: n }, (_, i) => planTicket(r, fx, i < n / 2 ? base : base2, randomUUID()));
    await writeTickets(t.ds, plans, id);
    allPlans.push(...plans);
    const last = Math.max(...plans.flatMap((p) => p.events.map((e) => e.atMs))) + 1;
    const cuts = [base, ...Array.from({ length: rounds - 1 }, () => base + Math.floor(r() * (last - base))).sort((a, b) => a - b), last];
    for (let i = 0; i + 1 < cuts.length; i++) {
      await writeEvents(t.ds, plans, cuts[i]!, cuts[i + 1]!);
      // Small batches make one ticket's events straddle several folds.
      await foldAll(t.ds, rollups, batch);
    }
    const now = Date.now();
    // Each report reads the smallest grain that keeps what it groups and filters by (grains.ts): whole months a month
    // grain, other periods by street day_street and by unit day_unit, the rest the day grain. All must agree with the oracle.
    const platform = plans[0]!.platform;
    const unit = plans.find((x) => x.unitId !== null)?.unitId ?? fx.units[0]!;
    const channel = plans[0]!.channel;
    const community = fx.nodes.find((x) => x.path.split('.').length === 4)!;
    const byUnit = (x: { unitId: string | null }): string => x.unitId ?? '';
    const byCategory = (x: { categoryCode: string }): string => x.categoryCode;
    const byChannel = (x: { channel: string }): string => x.channel;
    const byDepth = (d: number) => (x: { gridPath: string }): string => x.gridPath.split('.').slice(0, d).join('.');
    const filed = (x: PlannedTicket): number => x.events[0]!.atMs;
    const whole = { from: `${year}-01-01`, to: `${year}-12-31` };
    const partial = { from: `${year}-01-02`, to: `${year}-12-31` };
    type Q = { from: string; to: string; groupBy: GroupBy; platform?: string; unitId?: string; channel?: string; categoryCode?: string; gridNodeId?: string };
    const cases: Array<{ q: Q; gridPath?: string; grain: string; expected: ReturnType<typeof oracle> }> = [
      { q: { ...whole, groupBy: 'street' }, grain: 'month_street', expected: oracle(plans, now) },
      { q: { ...whole, groupBy: 'district' }, grain: 'month_street', expected: oracle(plans, now, byDepth(2)) },
      { q: { ...whole, groupBy: 'street', platform }, grain: 'month', expected: oracle(plans.filter((x) => x.platform === platform), now) },
      { q: { ...partial, groupBy: 'street' }, grain: 'day_street', expected: oracle(plans, now) },
      { q: { ...partial, groupBy: 'district' }, grain: 'day_street', expected: oracle(plans, now, byDepth(2)) },
      { q: { ...whole, groupBy: 'unit' }, grain: 'month_unit', expected: oracle(plans, now, byUnit, { byUnit: true }) },
      { q: { ...whole, groupBy: 'street', unitId: unit }, grain: 'month_unit', expected: oracle(plans, now, byStreet, { unit }) },
      { q: { ...partial, groupBy: 'unit' }, grain: 'day_unit', expected: oracle(plans, now, byUnit, { byUnit: true }) },
      { q: { ...partial, groupBy: 'unit', platform }, grain: 'day_unit', expected: oracle(plans.filter((x) => x.platform === platform), now, byUnit, { byUnit: true }) },
      { q: { ...partial, groupBy: 'street', unitId: unit }, grain: 'day', expected: oracle(plans, now, byStreet, { unit }) },
      { q: { ...whole, groupBy: 'unit', platform }, grain: 'month_unit', expected: oracle(plans.filter((x) => x.platform === platform), now, byUnit, { byUnit: true }) },
      { q: { ...whole, groupBy: 'unit', channel }, grain: 'day', expected: oracle(plans.filter((x) => x.channel === channel), now, byUnit, { byUnit: true }) },
      { q: { ...whole, groupBy: 'category' }, grain: 'month_category', expected: oracle(plans, now, byCategory) },
      { q: { ...whole, groupBy: 'category', platform }, grain: 'month_category', expected: oracle(plans.filter((x) => x.platform === platform), now, byCategory) },
      { q: { ...partial, groupBy: 'category' }, grain: 'day_category', expected: oracle(plans, now, byCategory) },
      { q: { ...partial, groupBy: 'category', platform }, grain: 'day_category', expected: oracle(plans.filter((x) => x.platform === platform), now, byCategory) },
      { q: { ...partial, groupBy: 'platform' }, grain: 'day_unit', expected: oracle(plans, now, (x) => x.platform) },
      { q: { ...partial, groupBy: 'category', channel }, grain: 'day', expected: oracle(plans.filter((x) => x.channel === channel), now, byCategory) },
      { q: { ...whole, groupBy: 'channel' }, grain: 'month_channel', expected: oracle(plans, now, byChannel) },
      { q: { ...whole, groupBy: 'street', channel }, grain: 'month_channel', expected: oracle(plans.filter((x) => x.channel === channel), now) },
      { q: { ...whole, groupBy: 'community' }, grain: 'month_grid', expected: oracle(plans, now, byDepth(4)) },
      { q: { ...whole, groupBy: 'grid' }, grain: 'month_grid', expected: oracle(plans, now, byDepth(5)) },
      {
        q: { ...whole, groupBy: 'grid', gridNodeId: community.id }, gridPath: community.path, grain: 'month_grid',
        expected: oracle(plans.filter((x) => x.gridPath.startsWith(`${community.path}.`) || x.gridPath === community.path), now, byDepth(5)),
      },
      { q: { ...partial, groupBy: 'month' }, grain: 'day_street', expected: oracle(plans, now, (x) => shanghaiMonth(filed(x))) },
      { q: { ...whole, groupBy: 'day' }, grain: 'day_street', expected: oracle(plans, now, (x) => shanghaiDay(filed(x))) },
      { q: { ...partial, groupBy: 'week' }, grain: 'day_street', expected: oracle(plans, now, (x) => isoWeek(filed(x))) },
      { q: { ...whole, groupBy: 'week', platform }, grain: 'day_unit', expected: oracle(plans.filter((x) => x.platform === platform), now, (x) => isoWeek(filed(x))) },
    ];
    for (const { q, gridPath, grain, expected } of cases) {
      expect([q, grainFor({ ...q, scopePath: CITY.scopePath, gridPath })]).toEqual([q, grain]);
      const rates = await reports.rates(CITY, q);
      const durations = await reports.durations(CITY, q);
      expect(rates.rollupLagMs).toBe(0);
      expect(new Set(rates.rows.map((x) => x.group))).toEqual(new Set(expected.keys()));
      const perUnit = q.groupBy === 'unit' || q.unitId !== undefined;
      for (const row of rates.rows) expectCounts(row.counts, expected.get(row.group)!);
      for (const row of rates.rows) expectRates(row.rates, expected.get(row.group)!, perUnit);
      for (const row of durations.rows) expectDurations(row.metrics, expected.get(row.group)!);
    }

    // 环比 and 同比 of the month of `base2` by street: the oracle over the month before (this history) and over the same
    // month a year before (an earlier history, or none).
    const month = shanghaiMonth(base2);
    const monthEnd = new Date(Date.parse(`${shiftMonths(`${month}-01`, 1)}T00:00:00Z`) - DAY).toISOString().slice(0, 10);
    const q = { from: `${month}-01`, to: monthEnd, groupBy: 'street' as GroupBy };
    const filedIn = (m: string) => allPlans.filter((x) => shanghaiMonth(filed(x)) === m);
    const current = oracle(filedIn(month), now);
    const mom = oracle(filedIn(shiftMonths(`${month}-01`, -1).slice(0, 7)), now);
    const yoy = oracle(filedIn(shiftMonths(`${month}-01`, -12).slice(0, 7)), now);
    const rates = await reports.rates(CITY, q);
    const durations = await reports.durations(CITY, q);
    expect(new Set(rates.rows.map((x) => x.group))).toEqual(new Set(current.keys()));
    for (const [then, key] of [[mom, 'mom'], [yoy, 'yoy']] as const) {
      for (const row of rates.rows) {
        const e = then.get(row.group);
        if (!e) { expect(row[key]).toBeNull(); continue; }
        expectRates(row[key]!, e, false);
        compared[key] += 1;
      }
      for (const row of durations.rows) {
        const e = then.get(row.group);
        if (!e) expect(row[key]).toBeNull();
        else expectDurations(row[key]!, e);
      }
    }
    return plans;
  }

  it('random histories, folded in random rounds → exact counts and rates, percentiles within 1 %, and their 环比 / 同比', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 5, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 7 }),
      async (seed, n, rounds, batch) => {
        run += 1;
        // Each run lives in its own (past, increasing) year, so earlier runs never leak into its period and the events are
        // older than the fold horizon; its 同比 month is the previous run's.
        const year = 1980 + run;
        await checkHistory(rng(seed), seed * 1000 + run, n, rounds, batch, year,
          Date.parse(`${year}-03-01T00:00:00+08:00`), Date.parse(`${year}-04-01T00:00:00+08:00`));
      }), { numRuns: 12, endOnFailure: true });
    // Some streets had tickets in both months, and (from the second run on) in the same month a year before.
    expect(compared.mom).toBeGreaterThan(0);
    expect(compared.yoy).toBeGreaterThan(0);
  }, 300_000);

  it('a history across the 2025 National Day holiday and its 调休 days: business time as the national calendar has it', async () => {
    // After the runs above (the fold moves forward in time), in a year none of them uses. Filed from 22 September
    // 2025 on, so spans cross 28 September (a Sunday worked, 调休), 1–8 October (holiday) and 11 October (a Saturday worked).
    const cal = resolveCalendar([CN_NATIONAL_2025_2026]);
    expect([isWorkingDay(cal, '2025-09-28'), isWorkingDay(cal, '2025-10-02'), isWorkingDay(cal, '2025-10-11')]).toEqual([true, false, true]);
    const plans = await checkHistory(rng(20251001), 2025_1001, 40, 3, 5, 2025,
      Date.parse('2025-09-22T00:00:00+08:00'), Date.parse('2025-10-20T00:00:00+08:00'));
    const holiday = Date.parse('2025-10-02T12:00:00+08:00');
    expect(plans.some((p) => p.events[0]!.atMs < holiday && (p.truth.closedAt ?? 0) > holiday)).toBe(true);
  }, 120_000);

  it('the migration that added the month-by-street grain rebuilds exactly the rows the fold keeps', async () => {
    // Runs after the property above has folded its histories (and the merged and reopened tickets in them).
    const snapshot = async (): Promise<Array<Record<string, unknown>>> => t.ds.query(
      `SELECT k.day::text, k.path::text, r.filed, r.valid, r.closed, r.returns, r.satisfied, r.dur_n, r.dur_sum_ms::text[] AS dur_sum_ms, r.hist
         FROM report_keys k JOIN report_rollup r ON r.key_id = k.id WHERE k.grain = 'month_street' ORDER BY k.day, k.path`);
    const folded = await snapshot();
    expect(folded.length).toBeGreaterThan(0);
    await t.ds.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain = 'month_street')`);
    await t.ds.query(BUILD_STREET_MONTH_ROWS);
    expect(await snapshot()).toEqual(folded);
  });

  it.each([['month_unit', BUILD_UNIT_PLATFORM_MONTH_ROWS], ['day_unit', BUILD_DAY_UNIT_ROWS]])(
    'the migration that shaped the %s grain (unit and platform) builds exactly the rows the fold keeps', async (grain, build) => {
      const snapshot = async (): Promise<Array<Record<string, unknown>>> => t.ds.query(
        `SELECT k.day::text, k.path::text, k.unit_id, k.platform, k.category_code, k.channel, ${COUNTERS.map((c) => `r.${c}`).join(', ')},
                r.dur_n, r.dur_sum_ms::text[] AS dur_sum_ms, r.hist
           FROM report_keys k JOIN report_rollup r ON r.key_id = k.id WHERE k.grain = $1 ORDER BY k.day, k.path, k.unit_id, k.platform`, [grain]);
      const folded = await snapshot();
      // Histories with and without a unit (voided before dispatch) in more than one unit and platform, and units that
      // sent tickets back.
      expect(new Set(folded.map((r) => r.unit_id)).size).toBeGreaterThan(2);
      expect(new Set(folded.map((r) => r.platform)).size).toBeGreaterThan(1);
      expect(folded.some((r) => (r.unit_returned as number) > 0)).toBe(true);
      await t.ds.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain = $1)`, [grain]);
      await t.ds.query(build);
      expect(await snapshot()).toEqual(folded);
    });

  it('the migration that added the day-by-category grain builds exactly the rows the fold keeps', async () => {
    const snapshot = async (): Promise<Array<Record<string, unknown>>> => t.ds.query(
      `SELECT k.day::text, k.path::text, k.unit_id, k.platform, k.category_code, k.channel, ${COUNTERS.map((c) => `r.${c}`).join(', ')},
              r.dur_n, r.dur_sum_ms::text[] AS dur_sum_ms, r.hist
         FROM report_keys k JOIN report_rollup r ON r.key_id = k.id WHERE k.grain = 'day_category' ORDER BY k.day, k.path, k.platform, k.category_code`);
    const folded = await snapshot();
    expect(new Set(folded.map((r) => r.category_code)).size).toBeGreaterThan(1);
    expect(folded.some((r) => (r.unit_dispatched as number) > 0)).toBe(true);
    await t.ds.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain = 'day_category')`);
    await t.ds.query(BUILD_DAY_CATEGORY_ROWS);
    expect(await snapshot()).toEqual(folded);
    // The migration itself, down and up again (keys, key checks, rows), on the folded data.
    const runner = t.ds.createQueryRunner();
    try {
      await new ReportsDayCategory1764300450000().down(runner);
      expect(await t.ds.query(`SELECT count(*)::int AS n FROM report_keys WHERE grain = 'day_category'`)).toEqual([{ n: 0 }]);
      await expect(t.ds.query(`INSERT INTO report_keys (grain, day, path, unit_id, platform, category_code, channel)
        VALUES ('day_category', '2026-01-01', '210900', '00000000-0000-0000-0000-000000000000', 'x', 'y', '')`)).rejects.toThrow(/violates check constraint "report_keys_(grain_)?check"/);
      await new ReportsDayCategory1764300450000().up(runner);
      expect(await snapshot()).toEqual(folded);
    } finally {
      await runner.release();
    }
  });

  it.each(['month_channel', 'month_grid', 'month_category', 'day_street'])('the migration that added the %s grain rebuilds exactly the rows the fold keeps', async (grain) => {
    const snapshot = async (): Promise<Array<Record<string, unknown>>> => t.ds.query(
      `SELECT k.day::text, k.path::text, k.unit_id, k.platform, k.category_code, k.channel,
              ${['filed', 'valid', 'dispatched', 'returned', 'closed', 'closed_on_time', 'returns', 'satisfied', 'basically'].map((c) => `r.${c}`).join(', ')},
              r.dur_n, r.dur_sum_ms::text[] AS dur_sum_ms, r.hist
         FROM report_keys k JOIN report_rollup r ON r.key_id = k.id WHERE k.grain = $1
        ORDER BY k.day, k.path, k.unit_id, k.platform, k.category_code, k.channel`, [grain]);
    const folded = await snapshot();
    expect(folded.length).toBeGreaterThan(1);
    await t.ds.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain = $1)`, [grain]);
    await t.ds.query(buildGrainRows(grain));
    expect(await snapshot()).toEqual(folded);
  });

  it('the business-time migration rewinds the fold to just before the first suspension, and only when the fold is past it', async () => {
    const [first] = await t.ds.query(`SELECT min(at) AS at FROM ticket_events WHERE to_status = 'suspended'`);
    expect(first.at).toBeInstanceOf(Date); // the histories above suspend some tickets
    const cursor = async () => (await t.ds.query(`SELECT last_at, last_id::int AS last_id FROM report_cursor WHERE id = 1`))[0];
    const runner = t.ds.createQueryRunner();
    try {
      const folded = await cursor();
      expect(folded.last_at.getTime()).toBeGreaterThan(first.at.getTime());
      await new ReportsBusinessTimePauses1764300440000().up(runner);
      const rewound = await cursor();
      // One microsecond before (JavaScript dates keep milliseconds: compare in the database).
      const [check] = await t.ds.query(`SELECT c.last_at = $1::timestamptz - interval '1 microsecond' AS ok FROM report_cursor c WHERE c.id = 1`, [first.at]);
      expect([check.ok, rewound.last_id]).toEqual([true, 0]);
      // Refolding from there changes no report figure that was already right, and brings the cursor back.
      await foldAll(t.ds, t.app.get(RollupService), 10_000);
      expect((await cursor()).last_at.getTime()).toBe(folded.last_at.getTime());
      // A fold that has not reached the first suspension is left where it is.
      await t.ds.query(`UPDATE report_cursor SET last_at = $1::timestamptz - interval '1 day', last_id = 7 WHERE id = 1`, [first.at]);
      await new ReportsBusinessTimePauses1764300440000().up(runner);
      expect((await cursor()).last_id).toBe(7);
      await foldAll(t.ds, t.app.get(RollupService), 10_000);
    } finally {
      await runner.release();
    }
  });
});
