import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../src/modules/auth/principal';
import { Role } from '../src/modules/auth/roles';
import { ReportsRepository } from '../src/modules/reports/reports.repository';
import { ReportsService } from '../src/modules/reports/reports.service';
import { RollupRepository } from '../src/modules/reports/rollup.repository';
import { RollupService } from '../src/modules/reports/rollup.service';
import { machine, percentile } from './bench-support';
import { openBenchDatabase, seedBench, ticketsArg } from './seed';

/**
 * Reports benchmark (`npm run bench:reports`, `--quick` = one million tickets): seeds, folds the rollups
 * through the worker's code path, then times a city-wide month grouped by street from the rollups against
 * exact percentile scans of the raw tables over the same months, and checks the error of the percentiles.
 * `--fold-budget S` stops folding after S seconds (the fold commits per batch and goes in event-time order) and
 * then measures only months whose tickets were all folded: those ending 90 days before the fold's cursor.
 * `--fold-batch N` sets the events per fold batch (default 100 000; the worker's job uses 5 000): larger batches
 * refold a ticket whose life spans several batches fewer times.
 * Last line: one JSON object.
 */
const CITY: Principal = { id: randomUUID(), username: 'bench', role: Role.Official, scopeNodeId: randomUUID(), scopePath: '210900', unitId: null, mfaPending: false };

interface ExactRow { g: string; n: number; p50: number; p90: number; p95: number }

async function main(): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const quick = process.argv.includes('--quick');
  const tickets = ticketsArg(process.argv, quick ? 1_000_000 : 10_000_000);
  const db = await openBenchDatabase(log);
  try {
    // --skip-seed (with DATABASE_URL): time the queries over a database seeded and folded by an earlier run.
    const skip = process.argv.includes('--skip-seed') && process.env.DATABASE_URL;
    const seeded = skip
      ? { tickets, events: Number((await db.ds.query(`SELECT count(*) AS n FROM ticket_events`))[0].n), seconds: 0 }
      : await seedBench(db.ds, tickets, log);
    log(`seeded ${seeded.tickets} tickets, ${seeded.events} events in ${seeded.seconds.toFixed(0)} s`);
    const rollups = new RollupService(new RollupRepository(db.ds));
    const t0 = Date.now();
    let logged = 0;
    const progress = (n: number) => {
      if (n - logged < 1_000_000) return;
      logged = n;
      log(`folded ${n} events (${Math.round((Date.now() - t0) / 1000)} s, ${Math.round(n / ((Date.now() - t0) / 1000))} events/s)`);
    };
    const batchArg = process.argv.indexOf('--fold-batch');
    const foldBatch = batchArg > 0 ? Number(process.argv[batchArg + 1]) : 100_000;
    if (!Number.isInteger(foldBatch) || foldBatch < 1) throw new Error('--fold-batch needs a whole number of events');
    const budgetArg = process.argv.indexOf('--fold-budget');
    const budgetS = budgetArg > 0 ? Number(process.argv[budgetArg + 1]) : null;
    if (budgetS !== null && !(budgetS >= 0)) throw new Error('--fold-budget needs a number of seconds');
    const fold = { events: 0, batches: 0, complete: true };
    if (budgetS === null) {
      Object.assign(fold, await rollups.catchUp(1_000_000, foldBatch, progress));
    } else {
      while (Date.now() - t0 < budgetS * 1000) {
        const r = await rollups.catchUp(1, 100_000);
        fold.events += r.events;
        fold.batches += r.batches;
        progress(fold.events);
        if (r.events < 100_000) break;
      }
      const left: Array<{ n: string }> = await db.ds.query(
        `SELECT count(*) AS n FROM (SELECT 1 FROM ticket_events e, report_cursor c WHERE c.id = 1 AND (e.at, e.id) > (c.last_at, c.last_id) LIMIT 1) x`);
      fold.complete = Number(left[0]!.n) === 0;
    }
    const foldSeconds = (Date.now() - t0) / 1000;
    log(`folded ${fold.events} events in ${foldSeconds.toFixed(0)} s (${Math.round(fold.events / foldSeconds)} events/s)`);
    await db.ds.query(`ANALYZE report_keys; ANALYZE report_rollup; ANALYZE report_ticket_facts`);

    const reports = new ReportsService(new ReportsRepository(db.ds), new RollupRepository(db.ds));
    const months: Array<{ from: string; to: string }> = fold.complete ? (await db.ds.query(
      `SELECT to_char(m, 'YYYY-MM-DD') AS from, to_char(m + interval '1 month' - interval '1 day', 'YYYY-MM-DD') AS to
         FROM generate_series(date_trunc('month', (now() AT TIME ZONE 'Asia/Shanghai') - interval '25 months'),
                              date_trunc('month', (now() AT TIME ZONE 'Asia/Shanghai') - interval '2 months'), interval '1 month') AS m`)) : (await db.ds.query(
      // A partial fold: whole months from the first full month of the data to 90 days before the cursor.
      `SELECT to_char(m, 'YYYY-MM-DD') AS from, to_char(m + interval '1 month' - interval '1 day', 'YYYY-MM-DD') AS to
         FROM generate_series(date_trunc('month', (SELECT min(created_at) FROM tickets) AT TIME ZONE 'Asia/Shanghai') + interval '1 month',
                              date_trunc('month', ((SELECT last_at FROM report_cursor WHERE id = 1) AT TIME ZONE 'Asia/Shanghai') - interval '90 days') - interval '1 month',
                              interval '1 month') AS m`));
    if (months.length === 0) throw new Error('no whole month was folded within the budget');
    log(`measuring ${months.length} months (${months[0]!.from} … ${months[months.length - 1]!.to})${fold.complete ? '' : ', fold stopped by --fold-budget'}`);
    // Warm-up, then each month once per round.
    await reports.durations(CITY, { ...months[0]!, groupBy: 'street' });
    const rollupMs: number[] = [];
    const ratesMs: number[] = [];
    const exactMs: number[] = [];
    let maxRelError = 0;
    let lag = 0;
    // The reports first, over every month; the exact scans afterwards. Interleaved, each scan (gigabytes of the raw
    // tables at ten million tickets) evicted the rollups from the cache just before the next month's reports.
    const results: Array<Awaited<ReturnType<ReportsService['durations']>>> = [];
    for (const m of months) {
      const a = process.hrtime.bigint();
      const d = await reports.durations(CITY, { ...m, groupBy: 'street' });
      rollupMs.push(Number(process.hrtime.bigint() - a) / 1e6);
      const a2 = process.hrtime.bigint();
      const r = await reports.rates(CITY, { ...m, groupBy: 'street' });
      ratesMs.push(Number(process.hrtime.bigint() - a2) / 1e6);
      lag = Math.max(lag, d.rollupLagMs, r.rollupLagMs);
      results.push(d);
    }
    for (const [i, m] of months.entries()) {
      if (i >= 8) break; // the exact scans are slow: eight months are enough for their p95 and the error
      const d = results[i]!;
      const b = process.hrtime.bigint();
      const exact: ExactRow[] = await db.ds.query(
        `WITH s AS (
           SELECT subpath(t.grid_path, 0, 3)::text AS g, extract(epoch FROM (max(e.at) FILTER (WHERE e.to_status IN ('closed', 'archived')) - min(e.at))) AS secs
             FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id
            WHERE t.created_at >= ($1::date)::timestamp AT TIME ZONE 'Asia/Shanghai' AND t.created_at < ($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
              AND t.grid_path <@ '210900' AND t.status <> 'merged'
            GROUP BY t.id, t.grid_path)
         SELECT g, count(secs)::int AS n,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY secs) AS p90,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY secs) AS p95
           FROM s WHERE secs IS NOT NULL GROUP BY g`, [m.from, m.to]);
      exactMs.push(Number(process.hrtime.bigint() - b) / 1e6);
      for (const e of exact) {
        const row = d.rows.find((x) => x.group === e.g);
        if (!row) throw new Error(`rollup has no row for ${e.g} in ${m.from}`);
        const got = row.metrics.fileToClose;
        if (got.count !== e.n) throw new Error(`count mismatch for ${e.g} in ${m.from}: ${got.count} vs ${e.n}`);
        for (const [approx, exactValue] of [[got.p50Seconds, e.p50], [got.p90Seconds, e.p90], [got.p95Seconds, e.p95]] as const) {
          if (approx === null) throw new Error('missing percentile');
          if (Number(exactValue) >= 1) maxRelError = Math.max(maxRelError, Math.abs(approx - Number(exactValue)) / Number(exactValue));
        }
      }
    }
    const sorted = [...rollupMs].sort((x, y) => x - y);
    const exactSorted = [...exactMs].sort((x, y) => x - y);
    const p95Ms = percentile(sorted, 95);
    const exactP95Ms = percentile(exactSorted, 95);
    const sizes: Array<{ keys: string; hist: string }> = await db.ds.query(`SELECT (SELECT count(*) FROM report_keys) AS keys, (SELECT count(*) FROM report_rollup) AS hist`);
    log(`machine: ${machine()}; rollup keys ${sizes[0]!.keys}, rollup rows ${sizes[0]!.hist}`);
    const ratesSorted = [...ratesMs].sort((x, y) => x - y);
    log(`durations report (city-wide month by street, with 环比 and 同比) p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${p95Ms.toFixed(1)} ms over ${sorted.length} months`);
    log(`rates report (same) p50 ${percentile(ratesSorted, 50).toFixed(1)} ms, p95 ${percentile(ratesSorted, 95).toFixed(1)} ms`);
    log(`exact scan (file→close percentiles only) p50 ${percentile(exactSorted, 50).toFixed(0)} ms, p95 ${exactP95Ms.toFixed(0)} ms over ${exactSorted.length} months`);
    log(`max relative error of p50/p90/p95 vs percentile_cont ${maxRelError.toFixed(5)}`);
    process.stdout.write(`${JSON.stringify({
      tickets, events: seeded.events, seedSeconds: Math.round(seeded.seconds), foldSeconds: Math.round(foldSeconds), foldBatch,
      foldComplete: fold.complete, foldedEvents: fold.events, months: months.length,
      p95Ms: Number(p95Ms.toFixed(1)), ratesP95Ms: Number(percentile(ratesSorted, 95).toFixed(1)), exactP95Ms: Number(exactP95Ms.toFixed(1)), speedup: Number((exactP95Ms / p95Ms).toFixed(1)),
      maxRelError: Number(maxRelError.toFixed(5)), rollupLagMs: lag,
    })}\n`);
  } finally {
    await db.stop();
  }
}

main().catch((err: unknown) => { process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1); });
