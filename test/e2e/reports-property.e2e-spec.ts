import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../src/modules/auth/principal';
import { Role } from '../../src/modules/auth/roles';
import { BUILD_STREET_MONTH_ROWS } from '../../src/database/migrations/1764232300000-reports-street-month';
import { BUILD_UNIT_MONTH_ROWS } from '../../src/database/migrations/1764300340000-reports-unit-month';
import { MAX_RELATIVE_ERROR } from '../../src/modules/reports/histogram';
import { DURATION_METRICS } from '../../src/modules/reports/report-metrics';
import { grainFor } from '../../src/modules/reports/reports.repository';
import { ReportsService } from '../../src/modules/reports/reports.service';
import { RollupService } from '../../src/modules/reports/rollup.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { loadFixture, planTicket, rng, writeEvents, writeTickets, type Fixture } from './reports-history';
import { exactQuantile, oracle } from './reports-oracle';

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

  it('random histories, folded in random rounds → exact counts and rates, percentiles within 1 %', async () => {
    const reports = t.app.get(ReportsService);
    const rollups = t.app.get(RollupService);
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 5, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 7 }),
      async (seed, n, rounds, batch) => {
        run += 1;
        // Each run lives in its own (past, increasing) year, so earlier runs never leak into its period and the events are older than the fold horizon.
        const year = 1980 + run;
        const base = Date.parse(`${year}-03-01T00:00:00+08:00`);
        const r = rng(seed);
        const plans = Array.from({ length: n }, () => planTicket(r, fx, base, randomUUID()));
        await writeTickets(t.ds, plans, seed * 1000 + run);
        const last = Math.max(...plans.flatMap((p) => p.events.map((e) => e.atMs))) + 1;
        const cuts = [base, ...Array.from({ length: rounds - 1 }, () => base + Math.floor(r() * (last - base))).sort((a, b) => a - b), last];
        for (let i = 0; i + 1 < cuts.length; i++) {
          await writeEvents(t.ds, plans, cuts[i]!, cuts[i + 1]!);
          // Small batches make one ticket's events straddle several folds.
          await rollups.catchUp(10_000, batch);
        }
        const now = Date.now();
        // Whole months read a month grain (by street; by street and platform when the platform is filtered; by street
        // and unit when the unit is grouped or filtered); any other period reads the day grain. All must agree with the oracle.
        const platform = plans[0]!.platform;
        const unit = plans.find((x) => x.unitId !== null)?.unitId ?? fx.units[0]!;
        const byUnit = (x: { unitId: string | null }): string => x.unitId ?? '';
        const cases: Array<{ q: { from: string; to: string; groupBy: 'street' | 'unit'; platform?: string; unitId?: string }; grain: string; expected: ReturnType<typeof oracle> }> = [
          { q: { from: `${year}-01-01`, to: `${year}-12-31`, groupBy: 'street' }, grain: 'month_street', expected: oracle(plans, now) },
          { q: { from: `${year}-01-01`, to: `${year}-12-31`, groupBy: 'street', platform }, grain: 'month', expected: oracle(plans.filter((x) => x.platform === platform), now) },
          { q: { from: `${year}-01-02`, to: `${year}-12-31`, groupBy: 'street' }, grain: 'day', expected: oracle(plans, now) },
          { q: { from: `${year}-01-01`, to: `${year}-12-31`, groupBy: 'unit' }, grain: 'month_unit', expected: oracle(plans, now, byUnit) },
          { q: { from: `${year}-01-01`, to: `${year}-12-31`, groupBy: 'street', unitId: unit }, grain: 'month_unit', expected: oracle(plans.filter((x) => x.unitId === unit), now) },
          { q: { from: `${year}-01-02`, to: `${year}-12-31`, groupBy: 'unit' }, grain: 'day', expected: oracle(plans, now, byUnit) },
          { q: { from: `${year}-01-01`, to: `${year}-12-31`, groupBy: 'unit', platform }, grain: 'day', expected: oracle(plans.filter((x) => x.platform === platform), now, byUnit) },
        ];
        for (const { q, grain, expected } of cases) {
        expect(grainFor({ ...q, scopePath: CITY.scopePath })).toBe(grain);
        const rates = await reports.rates(CITY, q);
        const durations = await reports.durations(CITY, q);
        expect(rates.rollupLagMs).toBe(0);
        expect(new Set(rates.rows.map((x) => x.group))).toEqual(new Set(expected.keys()));
        for (const row of rates.rows) {
          const e = expected.get(row.group)!;
          expect(row.counts).toEqual({
            filed: e.filed, valid: e.valid, dispatched: e.dispatched, returned: e.returned, returns: e.returns, resolved: e.resolved,
            resolved_on_time: e.resolvedOnTime, closed: e.closed, closed_on_time: e.closedOnTime, reworked: e.reworked, extended: e.extended,
            callbacks: e.callbacks, contacted: e.contacted, cb_resolved: e.cbResolved, satisfied: e.satisfied, basically: e.basically,
            dissatisfied: e.dissatisfied, overdueOpen: e.overdueOpen,
          });
          expect(row.rates.closeRate).toBe(e.valid ? e.closed / e.valid : null);
          expect(row.rates.onTimeCloseRate).toBe(e.closed + e.overdueOpen ? e.closedOnTime / (e.closed + e.overdueOpen) : null);
          expect(row.rates.accurateDispatchRate).toBe(e.dispatched ? (e.dispatched - e.returned) / e.dispatched : null);
          const rated = e.satisfied + e.basically + e.dissatisfied;
          expect(row.rates.satisfactionRate).toBe(rated ? (e.satisfied + 0.9 * e.basically) / rated : null);
        }
        for (const row of durations.rows) {
          const e = expected.get(row.group)!;
          DURATION_METRICS.forEach((name, i) => {
            const values = e.durations[i]!;
            const got = row.metrics[name];
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
        }
      }), { numRuns: 12, endOnFailure: true });
  }, 300_000);

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

  it('the migration that added the month-by-unit grain rebuilds exactly the rows the fold keeps', async () => {
    const snapshot = async (): Promise<Array<Record<string, unknown>>> => t.ds.query(
      `SELECT k.day::text, k.path::text, k.unit_id, ${['filed', 'valid', 'dispatched', 'returned', 'closed', 'closed_on_time', 'returns', 'satisfied', 'basically'].map((c) => `r.${c}`).join(', ')},
              r.dur_n, r.dur_sum_ms::text[] AS dur_sum_ms, r.hist
         FROM report_keys k JOIN report_rollup r ON r.key_id = k.id WHERE k.grain = 'month_unit' ORDER BY k.day, k.path, k.unit_id`);
    const folded = await snapshot();
    // Histories with and without a unit (voided before dispatch) in more than one unit.
    expect(new Set(folded.map((r) => r.unit_id)).size).toBeGreaterThan(2);
    await t.ds.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain = 'month_unit')`);
    await t.ds.query(BUILD_UNIT_MONTH_ROWS);
    expect(await snapshot()).toEqual(folded);
  });
});
