import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Principal } from '../src/modules/auth/principal';
import { Role } from '../src/modules/auth/roles';
import { ReportsRepository } from '../src/modules/reports/reports.repository';
import { ReportsService } from '../src/modules/reports/reports.service';
import { RollupRepository } from '../src/modules/reports/rollup.repository';
import { RollupService } from '../src/modules/reports/rollup.service';
import { SlaCalendars } from '../src/modules/sla/sla-calendars.service';
import { SlaRepository } from '../src/modules/sla/sla.repository';
import { machine, percentile } from './bench-support';
import { openBenchDatabase, seedBench, ticketsArg } from './seed';

/**
 * Reports benchmark (`npm run bench:reports`, `--quick` = one million tickets): seeds, folds the rollups
 * through the worker's code path, then times a city-wide month grouped by street from the rollups against
 * exact percentile scans of the raw tables over the same months, and checks the error of the percentiles. The same
 * months grouped by handling unit are timed too (`unitP95Ms`, `unitRatesP95Ms`), their totals checked against the
 * street rows.
 * `--fold-budget S` stops folding after S seconds (the fold commits per batch and goes in event-time order) and
 * then measures only months whose tickets were all folded: those ending 90 days before the fold's cursor.
 * `--fold-batch N` sets the events per fold batch (default 100 000; the worker's job uses 5 000): larger batches
 * refold a ticket whose life spans several batches fewer times.
 * `--live-seconds S` (default 30 quick, 60 full) and `--live-rate R` (events per second, default 100): then measure
 * the staleness reports show while events keep arriving and the fold runs as the worker's job does.
 * Last line: one JSON object.
 */
const CITY: Principal = { id: randomUUID(), username: 'bench', role: Role.Official, scopeNodeId: randomUUID(), scopePath: '210900', unitId: null, mfaPending: false };

/** Per street: exact counts and `percentile_cont` of the four natural-time spans (docs/reports.md definitions). */
type ExactRow = { g: string; filed: number; closed: number } & {
  [K in `${'f2d' | 'd2s' | 'd2r' | 'f2c'}_${'n' | 'p50' | 'p90' | 'p95'}`]: number | string | null;
};
const SPANS = [['f2d', 'fileToDispatch'], ['d2s', 'dispatchToSign'], ['d2r', 'dispatchToResolve'], ['f2c', 'fileToClose']] as const;

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
    const rollups = new RollupService(new RollupRepository(db.ds), new SlaCalendars(new SlaRepository(db.ds)));
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

    const reports = new ReportsService(new ReportsRepository(db.ds, db.ds));
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
    const unitMs: number[] = [];
    const unitRatesMs: number[] = [];
    const exactMs: number[] = [];
    let maxRelError = 0;
    let lag = 0;
    // The reports first, over every month; the exact scans afterwards. Interleaved, each scan (gigabytes of the raw
    // tables at ten million tickets) evicted the rollups from the cache just before the next month's reports.
    const results: Array<Awaited<ReturnType<ReportsService['durations']>>> = [];
    const rateResults: Array<Awaited<ReturnType<ReportsService['rates']>>> = [];
    const total = (rows: Array<{ counts: { filed: number; closed: number } }>, c: 'filed' | 'closed'): number => rows.reduce((x, row) => x + row.counts[c], 0);
    for (const m of months) {
      const d = await timed(rollupMs, () => reports.durations(CITY, { ...m, groupBy: 'street' }));
      const r = await timed(ratesMs, () => reports.rates(CITY, { ...m, groupBy: 'street' }));
      // The same month by handling unit (the month_unit grain); its rows must add up to the street rows.
      const du = await timed(unitMs, () => reports.durations(CITY, { ...m, groupBy: 'unit' }));
      const ru = await timed(unitRatesMs, () => reports.rates(CITY, { ...m, groupBy: 'unit' }));
      for (const c of ['filed', 'closed'] as const) {
        if (total(ru.rows, c) !== total(r.rows, c)) throw new Error(`${c} by unit ${total(ru.rows, c)} ≠ by street ${total(r.rows, c)} in ${m.from}`);
      }
      const resolvedN = (rows: typeof d.rows): number => rows.reduce((x, row) => x + row.metrics.dispatchToResolve.count, 0);
      if (resolvedN(du.rows) !== resolvedN(d.rows)) throw new Error(`dispatch → resolve count by unit ${resolvedN(du.rows)} ≠ by street ${resolvedN(d.rows)} in ${m.from}`);
      lag = Math.max(lag, d.rollupLagMs, r.rollupLagMs, du.rollupLagMs, ru.rollupLagMs);
      results.push(d);
      rateResults.push(r);
    }
    // The other views officials use, each read from its own grain (grains.ts), over the same months: durations and
    // rates p95 per view. Whole-month views must add up to the street rows' counts. `unitPlatform` (by unit within one
    // platform, the 12345 units ranked) reads month_unit; `unitPartialMonth` (by unit from the 2nd: like this month so
    // far) reads day_unit; `categoryPartialMonth` (by category from the 2nd) the grain that keeps category for days;
    // `unitChannel` (by unit within one channel) is a view no coarse grain keeps: it reads the day
    // grain, for comparison.
    const platformOf: Array<{ p: string }> = await db.ds.query(`SELECT platform AS p FROM tickets GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
    const views: Array<{ name: string; q: (m: { from: string; to: string }) => Record<string, string>; whole: boolean }> = [
      { name: 'category', q: (m) => ({ ...m, groupBy: 'category' }), whole: true },
      { name: 'channel', q: (m) => ({ ...m, groupBy: 'channel' }), whole: true },
      { name: 'community', q: (m) => ({ ...m, groupBy: 'community' }), whole: true },
      { name: 'categoryFilter', q: (m) => ({ ...m, groupBy: 'street', categoryCode: '01' }), whole: false },
      { name: 'partialMonth', q: (m) => ({ ...m, from: `${m.from.slice(0, 8)}02`, groupBy: 'street' }), whole: false },
      { name: 'byDay', q: (m) => ({ ...m, groupBy: 'day' }), whole: true },
      { name: 'unitPlatform', q: (m) => ({ ...m, groupBy: 'unit', platform: platformOf[0]!.p }), whole: false },
      { name: 'unitChannel', q: (m) => ({ ...m, groupBy: 'unit', channel: 'hotline' }), whole: false },
      { name: 'unitPartialMonth', q: (m) => ({ ...m, from: `${m.from.slice(0, 8)}02`, groupBy: 'unit' }), whole: false },
      { name: 'categoryPartialMonth', q: (m) => ({ ...m, from: `${m.from.slice(0, 8)}02`, groupBy: 'category' }), whole: false },
    ];
    const viewMs = new Map(views.map((v) => [v.name, { durations: [] as number[], rates: [] as number[], backlog: [] as number[] }]));
    for (const [i, m] of months.entries()) {
      for (const v of views) {
        const t = viewMs.get(v.name)!;
        await timed(t.durations, () => reports.durations(CITY, v.q(m)));
        const r = await timed(t.rates, () => reports.rates(CITY, v.q(m)));
        if (v.whole && total(r.rows, 'filed') !== total(rateResults[i]!.rows, 'filed')) {
          throw new Error(`filed by ${v.name} ${total(r.rows, 'filed')} ≠ by street ${total(rateResults[i]!.rows, 'filed')} in ${m.from}`);
        }
      }
    }
    const backlogMs: number[] = [];
    for (let i = 0; i < 5; i++) await timed(backlogMs, () => reports.backlog(CITY, { groupBy: 'street' }));
    const viewsP95Ms = Object.fromEntries([...viewMs].map(([name, t]) => [name, {
      durations: Number(percentile([...t.durations].sort((x, y) => x - y), 95).toFixed(1)), rates: Number(percentile([...t.rates].sort((x, y) => x - y), 95).toFixed(1)),
    }]));
    const backlogP95Ms = Number(percentile([...backlogMs].sort((x, y) => x - y), 95).toFixed(1));
    log(`other views, p95 ms (durations / rates): ${Object.entries(viewsP95Ms).map(([k, v]) => `${k} ${v.durations} / ${v.rates}`).join('; ')}; backlog (open tickets of all time by street) ${backlogP95Ms}`);
    // The exact answer from the raw tables: per ticket its spans, as ticket-facts.ts defines them (the first dispatch
    // or claim; the first sign or claim from it; the first resolve after it; the last close), then per street.
    const pc = (col: string) => ['p50', 'p90', 'p95'].map((q) => `percentile_cont(0.${q.slice(1)}) WITHIN GROUP (ORDER BY ${col}) AS ${col}_${q}`).join(', ');
    let checked = 0;
    for (const [i, m] of months.entries()) {
      if (i >= 8) break; // the exact scans are slow: eight months are enough for their p95 and the error
      const d = results[i]!;
      const exact: ExactRow[] = await timed(exactMs, () => db.ds.query(
        `WITH tk AS (
           SELECT t.id, t.created_at, subpath(t.grid_path, 0, 3)::text AS g, t.status FROM tickets t
            WHERE t.created_at >= ($1::date)::timestamp AT TIME ZONE 'Asia/Shanghai' AND t.created_at < ($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
              AND t.grid_path <@ '210900' AND t.status <> 'merged'),
         a AS (
           SELECT tk.id, tk.created_at AS fa, tk.g, tk.status, min(e.at) AS filed_at,
                  min(e.seq) FILTER (WHERE e.to_status = 'dispatched' OR e.action = 'claim') AS dseq,
                  max(e.at) FILTER (WHERE e.to_status IN ('closed', 'archived')) AS closed_at
             FROM tk JOIN ticket_events e ON e.ticket_id = tk.id AND e.filed_at = tk.created_at
            -- The month's tickets are filed in the month: their events are in its partition (the log is partitioned by
            -- the filing month), which this range lets the planner keep alone.
            WHERE e.filed_at >= ($1::date)::timestamp AT TIME ZONE 'Asia/Shanghai' AND e.filed_at < ($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
            GROUP BY tk.id, tk.g, tk.status, tk.created_at),
         s AS (
           SELECT a.g, a.status, extract(epoch FROM d.at - a.filed_at) AS f2d, extract(epoch FROM sg.at - d.at) AS d2s,
                  extract(epoch FROM r.at - d.at) AS d2r, extract(epoch FROM a.closed_at - a.filed_at) AS f2c
             FROM a
             LEFT JOIN ticket_events d ON d.ticket_id = a.id AND d.filed_at = a.fa AND d.seq = a.dseq
                  AND d.filed_at >= ($1::date)::timestamp AT TIME ZONE 'Asia/Shanghai' AND d.filed_at < ($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
             LEFT JOIN LATERAL (SELECT x.at FROM ticket_events x WHERE x.ticket_id = a.id AND x.filed_at = a.fa AND x.seq >= a.dseq AND x.action IN ('sign', 'claim')
                                   AND x.filed_at >= ($1::date)::timestamp AT TIME ZONE 'Asia/Shanghai' AND x.filed_at < ($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
                                 ORDER BY x.seq LIMIT 1) sg ON true
             LEFT JOIN LATERAL (SELECT x.at FROM ticket_events x WHERE x.ticket_id = a.id AND x.filed_at = a.fa AND x.seq > a.dseq AND x.to_status = 'resolved'
                                   AND x.filed_at >= ($1::date)::timestamp AT TIME ZONE 'Asia/Shanghai' AND x.filed_at < ($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
                                   AND x.action <> 'parent-closed' ORDER BY x.seq LIMIT 1) r ON true)
         SELECT g, count(*)::int AS filed, count(*) FILTER (WHERE status IN ('closed', 'archived'))::int AS closed,
                ${SPANS.map(([c]) => `count(${c})::int AS ${c}_n, ${pc(c)}`).join(', ')}
           FROM s GROUP BY g`, [m.from, m.to]));
      for (const e of exact) {
        const row = d.rows.find((x) => x.group === e.g);
        const rates = rateResults[i]!.rows.find((x) => x.group === e.g);
        if (!row || !rates) throw new Error(`rollup has no row for ${e.g} in ${m.from}`);
        if (rates.counts.filed !== e.filed || rates.counts.closed !== e.closed) {
          throw new Error(`count mismatch for ${e.g} in ${m.from}: filed ${rates.counts.filed} vs ${e.filed}, closed ${rates.counts.closed} vs ${e.closed}`);
        }
        for (const [col, metric] of SPANS) {
          const got = row.metrics[metric];
          if (got.count !== Number(e[`${col}_n`])) throw new Error(`${metric} count mismatch for ${e.g} in ${m.from}: ${got.count} vs ${e[`${col}_n`]}`);
          for (const q of ['p50', 'p90', 'p95'] as const) {
            const approx = got[`${q}Seconds`];
            const exactValue = e[`${col}_${q}`];
            if (exactValue === null) continue;
            if (approx === null) throw new Error(`missing ${metric} ${q} for ${e.g} in ${m.from}`);
            if (Number(exactValue) >= 1) maxRelError = Math.max(maxRelError, Math.abs(approx - Number(exactValue)) / Number(exactValue));
            checked++;
          }
        }
      }
    }
    // Staleness under live writes: events keep arriving (`--live-rate` per second, 督办 notes on open tickets, each
    // refolding its ticket's whole log) while the fold runs as the worker's job does (every 10 s, batches of 5,000,
    // at most 200), and every second the lag a report would show is read.
    const liveSeconds = numberArg('--live-seconds', quick ? 30 : 60);
    const liveRate = numberArg('--live-rate', 100);
    const live = await liveLag(db.ds, rollups, new RollupRepository(db.ds), liveSeconds, liveRate, log);
    const sorted = [...rollupMs].sort((x, y) => x - y);
    const exactSorted = [...exactMs].sort((x, y) => x - y);
    const p95Ms = percentile(sorted, 95);
    const exactP95Ms = percentile(exactSorted, 95);
    const sizes: Array<{ keys: string; hist: string }> = await db.ds.query(`SELECT (SELECT count(*) FROM report_keys) AS keys, (SELECT count(*) FROM report_rollup) AS hist`);
    log(`machine: ${machine()}; rollup keys ${sizes[0]!.keys}, rollup rows ${sizes[0]!.hist}`);
    const ratesSorted = [...ratesMs].sort((x, y) => x - y);
    log(`durations report (city-wide month by street, with 环比 and 同比) p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${p95Ms.toFixed(1)} ms over ${sorted.length} months`);
    log(`rates report (same) p50 ${percentile(ratesSorted, 50).toFixed(1)} ms, p95 ${percentile(ratesSorted, 95).toFixed(1)} ms`);
    const unitSorted = [...unitMs].sort((x, y) => x - y);
    const unitRatesSorted = [...unitRatesMs].sort((x, y) => x - y);
    log(`by unit (same months): durations p50 ${percentile(unitSorted, 50).toFixed(1)} ms, p95 ${percentile(unitSorted, 95).toFixed(1)} ms; rates p50 ${percentile(unitRatesSorted, 50).toFixed(1)} ms, p95 ${percentile(unitRatesSorted, 95).toFixed(1)} ms`);
    log(`exact scan (counts and the four natural-time spans' percentiles) p50 ${percentile(exactSorted, 50).toFixed(0)} ms, p95 ${exactP95Ms.toFixed(0)} ms over ${exactSorted.length} months`);
    log(`max relative error of ${checked} percentiles (p50/p90/p95 of four spans per street and month) vs percentile_cont ${maxRelError.toFixed(5)}; filed and closed counts equal`);
    process.stdout.write(`${JSON.stringify({
      tickets, events: seeded.events, seedSeconds: Math.round(seeded.seconds), foldSeconds: Math.round(foldSeconds), foldBatch,
      foldComplete: fold.complete, foldedEvents: fold.events, months: months.length,
      p95Ms: Number(p95Ms.toFixed(1)), ratesP95Ms: Number(percentile(ratesSorted, 95).toFixed(1)),
      unitP95Ms: Number(percentile(unitSorted, 95).toFixed(1)), unitRatesP95Ms: Number(percentile(unitRatesSorted, 95).toFixed(1)), exactP95Ms: Number(exactP95Ms.toFixed(1)), speedup: Number((exactP95Ms / p95Ms).toFixed(1)),
      maxRelError: Number(maxRelError.toFixed(5)), percentilesChecked: checked, rollupLagMs: live.maxLagMs, liveLagP95Ms: live.p95LagMs,
      liveEvents: live.events, liveSeconds, queryLagMs: lag, viewsP95Ms, backlogP95Ms,
    })}\n`);
  } finally {
    await db.stop();
  }
}

/** Runs `fn`, adding its wall time in milliseconds to `into`. */
async function timed<T>(into: number[], fn: () => Promise<T>): Promise<T> {
  const start = process.hrtime.bigint();
  const out = await fn();
  into.push(Number(process.hrtime.bigint() - start) / 1e6);
  return out;
}

function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!(v >= 0)) throw new Error(`${name} needs a number`);
  return v;
}

/** Appends events at `rate` per second for `seconds`, folding every 10 s; samples the rollup lag every second. */
async function liveLag(ds: DataSource, rollups: RollupService, repo: RollupRepository, seconds: number, rate: number, log: (s: string) => void):
Promise<{ maxLagMs: number; p95LagMs: number; events: number }> {
  const open: Array<{ id: string; status: string }> = await ds.query(
    `SELECT id, status FROM tickets TABLESAMPLE SYSTEM (5) WHERE status NOT IN ('closed', 'archived', 'voided', 'cancelled', 'merged') LIMIT 5000`);
  if (open.length === 0 || seconds === 0) return { maxLagMs: 0, p95LagMs: 0, events: 0 };
  const end = Date.now() + seconds * 1000;
  let events = 0;
  const lags: number[] = [];
  const writer = (async () => {
    const perTick = Math.max(1, Math.round(rate / 10));
    while (Date.now() < end) {
      const tick = Date.now();
      const picked = new Map(Array.from({ length: perTick }, () => open[Math.floor(Math.random() * open.length)]!).map((t) => [t.id, t.status]));
      await ds.query(
        `INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_id, actor_role, from_status, to_status, note, data)
         SELECT p.id, t.created_at, (SELECT max(seq) FROM ticket_events WHERE ticket_id = p.id AND filed_at = t.created_at) + 1,
                'supervise', NULL, 'system', p.status, p.status, '督办', '{}'
           FROM unnest($1::uuid[], $2::text[]) AS p(id, status) JOIN tickets t ON t.id = p.id`, [[...picked.keys()], [...picked.values()]]);
      events += picked.size;
      await sleep(Math.max(0, 100 - (Date.now() - tick)));
    }
  })();
  const folder = (async () => {
    while (Date.now() < end) {
      const tick = Date.now();
      await rollups.catchUp(200, 5000);
      await sleep(Math.max(0, Math.min(10_000 - (Date.now() - tick), end - Date.now())));
    }
  })();
  const sampler = (async () => {
    while (Date.now() < end) {
      lags.push((await repo.lag()).lagMs);
      await sleep(1000);
    }
  })();
  await Promise.all([writer, folder, sampler]);
  const sorted = [...lags].sort((a, b) => a - b);
  const result = { maxLagMs: sorted[sorted.length - 1] ?? 0, p95LagMs: Math.round(percentile(sorted, 95)), events };
  log(`live: ${events} events in ${seconds} s (${Math.round(events / seconds)}/s) while folding every 10 s: rollup lag p95 ${result.p95LagMs} ms, max ${result.maxLagMs} ms over ${lags.length} samples`);
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((err: unknown) => { process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1); });
