/**
 * bench:sla — SLA timer correctness and lateness at scale. One Postgres (embedded binaries) and one
 * redis-server (started here, `--hz 100`, or REDIS_URL) — or, with `--backend postgres`, BullMQ's Postgres
 * backend on the same Postgres — the worker runtime in this process.
 *
 *  1. many active clocks: tickets with a running resolve clock and all five threshold timers pending (rows in
 *     `sla_timers`, delayed jobs in BullMQ), due days ahead;
 *  2. a burst: B more clocks whose breach timers are all due within one window (60 s; 30 s with --quick),
 *     handed to BullMQ through the real outbox relay, fired by the real `sla.fire` handler;
 *  3. the baseline in the same run: B raw BullMQ delayed jobs due within an equal window, a no-op processor.
 *
 * Lateness of a firing = fired_at − due_at, both from the database clock. `early` counts firings before their
 * due instant, `duplicates` second effects of one (clock, threshold, version), `missed` burst timers not
 * fired within 90 s of the end of the window.
 *
 *   npm run bench:sla [-- --quick] [-- --active 100000 --burst 100000 --window 60 --backend redis|postgres]
 *
 * The burst is handed to BullMQ by `OutboxService.relayAll()` (the relay the scheduler and the after-commit hook
 * run: batches of 500, three at once while a backlog lasts) and fired by the real handler, whose due jobs run
 * the set-based batch firing (`SlaFiringService.fireDue`).
 * Last line: {"timers","early","duplicates","missed","p50LatenessMs","p99LatenessMs","maxLatenessMs","baselineP99LatenessMs", ...}
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { createLogger, createWorkerApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/app-config';
import { createDataSource, runMigrations } from '../src/database/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres';
import { seedDemoCatalogue } from '../src/database/seeds/demo-catalogue';
import { seedDemoCity } from '../src/database/seeds/demo-city';
import { hashPassword } from '../src/modules/auth/password.service';
import { fireJobId } from '../src/modules/sla/sla-engine.service';
import { createQueueBackend } from '../src/queue/queue-backend';
import { OutboxService } from '../src/queue/outbox.service';
import { QueueService } from '../src/queue/queue.service';
import { freePort, machine, percentile, startProcess, stopProcess, which } from './bench-support';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ACTIVE = arg('active', quick ? 10_000 : 100_000);
const BURST = arg('burst', quick ? 5_000 : 100_000);
const WINDOW_S = arg('window', quick ? 30 : 60);
/** Queue backend: `redis` (default; REDIS_URL or a redis-server started here) or `postgres` (BullMQ's Postgres backend). */
const BACKEND = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'redis';
if (BACKEND !== 'redis' && BACKEND !== 'postgres') throw new Error('--backend must be redis or postgres');
const GRACE_S = 90;
const log = (msg: string) => process.stderr.write(`[bench:sla] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Tickets (in_progress) with a running natural resolve clock each, in bulk SQL; returns nothing (ids by prefix). */
async function createClocks(ds: DataSource, prefix: string, n: number, deadlineSql: string): Promise<void> {
  const [ref] = await ds.query(
    `SELECT c.id AS category_id, s.id AS standard_id, g.id AS node_id, g.path::text AS path, u.id AS unit_id
       FROM categories c JOIN case_standards s ON s.category_id = c.id AND s.code = 'missing'
       JOIN grid_nodes g ON g.code = '210902001001001' JOIN units u ON u.code = 'FX-SZSS'
      WHERE c.code = '0101' ORDER BY c.version DESC LIMIT 1`);
  for (let from = 0; from < n; from += 20_000) {
    const to = Math.min(n, from + 20_000);
    await ds.query(
      `WITH t AS (
         INSERT INTO tickets (number, platform, category_id, category_code, case_standard_id, priority, title, description, grid_node_id, grid_path,
                              channel, status, unit_id, dispatched_at)
         SELECT $1 || g, 'community_governance', $2, '0101', $3, 'urgent', 'bench', 'bench', $4, $5::ltree, 'patrol', 'in_progress', $6, now()
           FROM generate_series($7::int, $8::int) g RETURNING id, number)
       INSERT INTO ticket_clocks (ticket_id, stage, state, clock_type, limit_seconds, started_at, deadline, calendar_versions, policy_code, policy_version, calendar_key)
       SELECT t.id, 'resolve', 'running', 'natural', 14400, now(), ${deadlineSql}, '{"cn-national":1}', 'default', 1, 'cn-national@1'
         FROM t CROSS JOIN LATERAL (SELECT substring(t.number FROM length($1) + 1)::int AS i) x`,
      [prefix, ref.category_id, ref.standard_id, ref.node_id, ref.path, ref.unit_id, from + 1, to]);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fx-bench-sla-'));
  chmodSync(dir, 0o711);
  let pg: EmbeddedPostgresHandle | undefined;
  let redis: ChildProcess | undefined;
  let app: INestApplicationContext | undefined;
  let ds: DataSource | undefined;
  try {
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
    await pg.createDatabase('bench');
    const databaseUrl = pg.url('bench');
    ds = await createDataSource(databaseUrl, 4).initialize();
    await runMigrations(ds);
    await seedDemoCity(ds, hashPassword);
    await seedDemoCatalogue(ds);

    let redisUrl = BACKEND === 'redis' ? process.env.REDIS_URL : undefined;
    if (BACKEND === 'redis' && !redisUrl) {
      const bin = which('redis-server');
      if (!bin) throw new Error('bench:sla needs redis-server (apt-get install -y redis-server) or REDIS_URL');
      const port = await freePort();
      redis = startProcess('redis', bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--maxmemory-policy', 'noeviction', '--hz', '100'], {});
      redisUrl = `redis://127.0.0.1:${port}`;
      await sleep(300);
    }
    const config = loadConfig({
      APP_MODE: 'production', DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, QUEUE_PREFIX: `benchsla${Date.now().toString(36)}`,
      JWT_SECRET: 'x'.repeat(40), PII_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_LEVEL: 'warn', RUN_MIGRATIONS: 'false',
    });
    app = await createWorkerApp({ config, databaseUrl }, createLogger('warn'));
    const queues = app.get(QueueService);
    const outbox = app.get(OutboxService);
    const slaQueue = queues.queue('sla');

    // 1. Many active clocks, each with its five pending timers in Postgres and as delayed jobs in BullMQ.
    let t0 = Date.now();
    await createClocks(ds, 'BENCH-A-', ACTIVE, `now() + make_interval(days => 1 + (x.i % 9))`);
    await ds.query(
      `INSERT INTO sla_timers (clock_id, threshold, clock_version, ticket_id, kind, level, due_at)
       SELECT c.id, th.code, 1, c.ticket_id, th.kind, th.level, c.deadline + th.offs
         FROM ticket_clocks c JOIN tickets t ON t.id = c.ticket_id AND t.number LIKE 'BENCH-A-%'
        CROSS JOIN (VALUES ('remind','remind','blue', interval '-2 hours'), ('warning','warning','yellow', interval '-48 minutes'),
                           ('breach','breach','red', interval '0'), ('supervise_district','supervise','red', interval '2 hours'),
                           ('notice','notice','red', interval '24 hours')) AS th(code, kind, level, offs)`);
    const activeTimers: Array<{ clock_id: string; threshold: string; delay_ms: number }> = await ds.query(
      `SELECT clock_id, threshold, (extract(epoch FROM due_at - now()) * 1000)::bigint::int AS delay_ms FROM sla_timers WHERE state = 'pending'`);
    for (let i = 0; i < activeTimers.length; i += 2000) {
      await slaQueue.addBulk(activeTimers.slice(i, i + 2000).map((x) => ({
        name: 'sla.fire', data: { clockId: x.clock_id, threshold: x.threshold, clockVersion: 1 },
        opts: { jobId: fireJobId(x.clock_id, x.threshold, 1), delay: x.delay_ms, attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 86400 } },
      })));
    }
    log(`${ACTIVE} active clocks, ${activeTimers.length} pending timers and delayed jobs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // 2. The burst: B clocks whose breach is due within the window, through the outbox and the real relay.
    t0 = Date.now();
    const leadS = Math.max(10, Math.ceil(BURST / 1500) + 5); // time to relay before the first is due
    await createClocks(ds, 'BENCH-B-', BURST, `now() + make_interval(secs => ${leadS} + ${WINDOW_S} * random())`);
    await ds.query(
      `WITH tm AS (
         INSERT INTO sla_timers (clock_id, threshold, clock_version, ticket_id, kind, level, due_at)
         SELECT c.id, 'breach', 1, c.ticket_id, 'breach', 'red', c.deadline FROM ticket_clocks c JOIN tickets t ON t.id = c.ticket_id AND t.number LIKE 'BENCH-B-%'
         RETURNING clock_id, due_at)
       INSERT INTO outbox (job_name, job_id, payload, run_at)
       SELECT 'sla.fire', 'sla-fire-' || clock_id || '-breach-v1', jsonb_build_object('clockId', clock_id, 'threshold', 'breach', 'clockVersion', 1), due_at FROM tm`);
    let relayed = 0;
    const relayStart = Date.now();
    for (;;) {
      const n = await outbox.relayAll();
      relayed += n;
      if (n === 0) break;
    }
    const relaySeconds = (Date.now() - t0) / 1000;
    const relayOnlySeconds = (Date.now() - relayStart) / 1000;
    log(`burst of ${BURST} timers written and relayed (${relayed} outbox rows by this call; relay alone ${relayOnlySeconds.toFixed(1)} s) in ${relaySeconds.toFixed(1)} s; due in ${leadS}…${leadS + WINDOW_S} s`);

    const windowEnd = Date.now() + (leadS + WINDOW_S) * 1000;
    for (;;) {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM sla_firings f JOIN tickets t ON t.id = f.ticket_id WHERE t.number LIKE 'BENCH-B-%'`);
      if (n >= BURST || Date.now() > windowEnd + GRACE_S * 1000) break;
      await sleep(1000);
    }
    await sleep(1500);
    const [stats] = await ds.query(
      `SELECT count(*)::int AS fired,
              count(*) FILTER (WHERE f.fired_at < f.due_at)::int AS early,
              (count(*) - count(DISTINCT (f.clock_id, f.threshold, f.clock_version)))::int AS dup_firings,
              coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.fired_at - f.due_at) * 1000), 0)::float8 AS p50,
              coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM f.fired_at - f.due_at) * 1000), 0)::float8 AS p99,
              coalesce(max(extract(epoch FROM f.fired_at - f.due_at) * 1000), 0)::float8 AS max,
              count(*) FILTER (WHERE f.fired_at > f.due_at + interval '90 seconds')::int AS over90s,
              count(*) FILTER (WHERE f.via = 'reconciler')::int AS by_reconciler
         FROM sla_firings f JOIN tickets t ON t.id = f.ticket_id WHERE t.number LIKE 'BENCH-B-%'`);
    const [dupEvents] = await ds.query(
      `SELECT coalesce(sum(n - 1), 0)::int AS extra FROM (SELECT count(*) AS n FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
        WHERE t.number LIKE 'BENCH-B-%' AND e.action = 'sla-breach' GROUP BY e.ticket_id) x`);
    const [activeFired] = await ds.query(`SELECT count(*)::int AS n FROM sla_firings f JOIN tickets t ON t.id = f.ticket_id WHERE t.number LIKE 'BENCH-A-%'`);
    log(`SLA: fired ${stats.fired}/${BURST}, p50 ${stats.p50.toFixed(0)} ms, p99 ${stats.p99.toFixed(0)} ms, max ${stats.max.toFixed(0)} ms, by reconciler ${stats.by_reconciler}`);

    // 3. Baseline: raw BullMQ delayed jobs on the same backend, a no-op processor, the same window and count.
    const backend = createQueueBackend(config, databaseUrl);
    const raw = backend.createQueue('bench-raw');
    const lateness: number[] = [];
    const rawWorker = backend.createWorker('bench-raw', async (job: Job) => {
      lateness.push(Date.now() - (job.data as { due: number }).due);
    }, 4);
    const rawLead = Math.max(5, Math.ceil(BURST / 5000) + 3);
    const base = Date.now() + rawLead * 1000;
    const dues = Array.from({ length: BURST }, () => base + Math.floor(Math.random() * WINDOW_S * 1000)); // whole ms: the Postgres backend stores delays as bigint
    for (let i = 0; i < dues.length; i += 2000) {
      await raw.addBulk(dues.slice(i, i + 2000).map((due, k) => ({ name: 'raw', data: { due }, opts: { jobId: `raw-${i + k}`, delay: Math.max(0, Math.round(due - Date.now())), removeOnComplete: true } })));
    }
    const rawEnd = base + (WINDOW_S + GRACE_S) * 1000;
    while (lateness.length < BURST && Date.now() < rawEnd) await sleep(500);
    await rawWorker.close();
    await raw.obliterate({ force: true });
    await raw.close();
    await backend.close();
    const sortedRaw = [...lateness].sort((a, b) => a - b);

    const result = {
      timers: BURST,
      early: stats.early,
      duplicates: stats.dup_firings + dupEvents.extra,
      // Missed: not fired by the end (window + 90 s), or fired more than 90 s after its due instant — the issue asks
      // every timer fired within 90 s, so a late one counts as missed too (`firedLaterThan90s` says how many of those).
      missed: BURST - stats.fired + stats.over90s,
      p50LatenessMs: Math.round(stats.p50),
      p99LatenessMs: Math.round(stats.p99),
      maxLatenessMs: Math.round(stats.max),
      baselineP99LatenessMs: Math.round(percentile(sortedRaw, 99)),
      baselineP50LatenessMs: Math.round(percentile(sortedRaw, 50)),
      baselineMaxLatenessMs: Math.round(sortedRaw.at(-1) ?? 0),
      baselineMissed: BURST - lateness.length,
      firedLaterThan90s: stats.over90s,
      firedByReconciler: stats.by_reconciler,
      activeClocks: ACTIVE,
      activeTimers: activeTimers.length,
      activeFiredEarly: activeFired.n,
      windowSeconds: WINDOW_S,
      relaySeconds: Math.round(relaySeconds * 10) / 10,
      relayOnlySeconds: Math.round(relayOnlySeconds * 10) / 10,
      backend: BACKEND,
      machine: machine(),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    // Closing waits for running jobs (a reconciler run may take up to its 45 s budget): bounded here.
    if (app) await Promise.race([app.close().catch(() => undefined), sleep(30_000)]);
    if (ds?.isInitialized) await ds.destroy().catch(() => undefined);
    await stopProcess(redis);
    if (pg) await pg.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:sla failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
