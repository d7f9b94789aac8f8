import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '../src/database/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres';
import { seedDemoCatalogue } from '../src/database/seeds/demo-catalogue';
import { seedDemoCity } from '../src/database/seeds/demo-city';
import { hashPassword } from '../src/modules/auth/password.service';
import { RollupRepository } from '../src/modules/reports/rollup.repository';
import { RollupService } from '../src/modules/reports/rollup.service';
import { SlaCalendars } from '../src/modules/sla/sla-calendars.service';
import { SlaRepository } from '../src/modules/sla/sla.repository';
import { freePort } from './bench-support';

/**
 * Benchmark data for the reports (`npm run bench:seed -- --tickets N`): N tickets over the demo city, spread
 * over three years, on every platform, with realistic spans, returns, extensions, rework, callbacks, voids,
 * merges and a live backlog. Set-based SQL (generate_series), 200 000 tickets per statement batch, writing
 * tickets, ticket_events and ticket_clocks consistently. Rollups are then built by the normal fold
 * (RollupService), not by a separate bulk path. See docs/reports.md.
 */

export interface BenchDb {
  ds: DataSource;
  url: string;
  stop(): Promise<void>;
}

/** DATABASE_URL when given, else an embedded Postgres on a free port with its data under /tmp (removed at the end). */
export async function openBenchDatabase(log: (s: string) => void): Promise<BenchDb> {
  let pg: EmbeddedPostgresHandle | undefined;
  let dataDir: string | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    const port = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'fx-bench-reports-'));
    // A quarter of the machine's memory for Postgres's own cache (the default 128 MB makes every read of the
    // ten-million-ticket log a system call into the page cache).
    pg = await startEmbeddedPostgres({ dataDir, port, log, sharedBuffers: `${Math.max(128, Math.floor(totalmem() / 4 / 2 ** 20))}MB` });
    await pg.createDatabase('fx_bench');
    url = pg.url('fx_bench');
    log(`embedded postgres on port ${port}, data ${dataDir}`);
  }
  const ds = createDataSource(url, 4);
  await ds.initialize();
  if (pg) {
    // Our own throwaway server: space checkpoints out for the bulk load (the default 1 GB of WAL forces a
    // checkpoint, and full-page images of every page touched after it, several times per million tickets).
    await ds.query(`ALTER SYSTEM SET max_wal_size = '16GB'`);
    await ds.query(`ALTER SYSTEM SET checkpoint_timeout = '30min'`);
    await ds.query(`SELECT pg_reload_conf()`);
  }
  await runMigrations(ds);
  // The embedded data directory goes with the run (GBs at a million tickets); use DATABASE_URL to keep data.
  return { ds, url, stop: async () => { await ds.destroy(); await pg?.stop(); if (dataDir) rmSync(dataDir, { recursive: true, force: true }); } };
}

/** Synthetic streets, communities and grids under every district (the demo city has only two streets). */
async function widenCity(ds: DataSource): Promise<void> {
  const exists: unknown[] = await ds.query(`SELECT 1 FROM grid_nodes WHERE code LIKE '%B01'`);
  if (exists.length > 0) return;
  const districts: Array<{ code: string }> = await ds.query(`SELECT code FROM grid_nodes WHERE level IN ('district', 'county')`);
  const insert = async (parent: string, code: string, name: string, level: string) => ds.query(
    `INSERT INTO grid_nodes (parent_id, code, name, level, depth, path)
     SELECT p.id, $1, $2, $3, p.depth + 1, p.path || text2ltree($1) FROM grid_nodes p WHERE p.code = $4`, [code, name, level, parent]);
  for (const d of districts) {
    for (let s = 1; s <= 6; s++) {
      const street = `${d.code}B0${s}`;
      await insert(d.code, street, `街道${d.code.slice(-2)}-${s}`, 'street');
      for (let c = 1; c <= 4; c++) {
        const community = `${street}${c}`;
        await insert(street, community, `社区${s}-${c}`, 'community');
        for (let g = 1; g <= 3; g++) await insert(community, `${community}${g}`, `网格${s}-${c}-${g}`, 'grid');
      }
    }
  }
}

const CHUNK = 200_000;

/** Connections seeding side by side (`seedBench`). */
const SEED_WORKERS = 2;

async function dropPlans(ds: DataSource): Promise<void> {
  await ds.query(`DROP VIEW IF EXISTS bench_events`);
  await ds.query(`DROP TABLE IF EXISTS bench_plan`);
  for (let w = 0; w < SEED_WORKERS; w++) {
    await ds.query(`DROP VIEW IF EXISTS bench_events_${w}`);
    await ds.query(`DROP TABLE IF EXISTS bench_plan_${w}`);
  }
}

interface Chunk {
  lo: number;
  hi: number;
  offset: number;
  bulk: boolean;
  /** The worker's own plan table and events view. */
  plan: string;
  events: string;
  started: number;
  log: (s: string) => void;
}

/** Plans tickets lo..hi (numbers after `offset`) and writes them with their events and resolve clocks. */
async function seedChunk(ds: DataSource, { lo, hi, offset, bulk, plan, events, started, log }: Chunk): Promise<void> {
  await ds.query(`TRUNCATE ${plan}`);
  // Exponential spans (−ln U · mean) give the long right tail real case durations have.
  await ds.query(`
    WITH g AS (SELECT array_agg(id ORDER BY code) AS ids, array_agg(path ORDER BY code) AS paths FROM grid_nodes WHERE level = 'grid'),
         c AS (SELECT array_agg(id ORDER BY platform, code) AS ids, array_agg(code ORDER BY platform, code) AS codes,
                      array_agg(platform ORDER BY platform, code) AS platforms
                 FROM categories WHERE superseded_at IS NULL AND level <> 'major'),
         u AS (SELECT array_agg(id ORDER BY code) AS ids FROM units WHERE type <> 'command_centre'),
         s AS (SELECT i, 1 + floor(random() * array_length(g.ids, 1))::int AS gi, 1 + floor(random() * array_length(c.ids, 1))::int AS ci,
                      1 + floor(random() * array_length(u.ids, 1))::int AS ui, 1 + floor(random() * array_length(u.ids, 1))::int AS ui2,
                      random() AS r_fate, random() AS r_ret, random() AS r_ext, random() AS r_rw, random() AS r_cb, random() AS r_sat,
                      -- The day: three years back, volume growing towards today (half uniform, half with a density rising
                      -- linearly); the hour: mostly office and evening hours (8–20 h) in Fuxin; weekends carry about 60 % of
                      -- a weekday's filings (40 % of theirs move to the Thursday or Friday before).
                      (now() AT TIME ZONE 'Asia/Shanghai')::date
                        - floor((1 - CASE WHEN random() < 0.5 THEN random() ELSE sqrt(random()) END) * 1095)::int AS day0,
                      CASE WHEN random() < 0.85 THEN 8 + random() * 12 ELSE random() * 24 END AS hour, random() AS r_wkend
                 FROM generate_series($1::bigint, $2::bigint) AS i, g, c, u),
         s2 AS (SELECT s.*, least(now() - interval '1 minute',
                      ((day0 - CASE WHEN extract(isodow FROM day0) >= 6 AND r_wkend < 0.4 THEN 2 ELSE 0 END)::timestamp
                        + hour * interval '1 hour') AT TIME ZONE 'Asia/Shanghai') AS filed
                 FROM s),
         t AS (SELECT s2.*, g.ids[gi] AS grid_id, g.paths[gi] AS grid_path, c.ids[ci] AS category_id, c.codes[ci] AS category_code,
                      c.platforms[ci] AS platform, u.ids[ui] AS unit_id, u.ids[ui2] AS unit2_id,
                      (ARRAY['patrol','hotline','app','web','walk_in','open311','referral'])[1 + floor(random() * 7)::int] AS channel,
                      (ARRAY[14400, 86400, 259200, 604800])[1 + floor(random() * 4)::int] AS limit_s,
                      s2.filed + (-ln(1 - random()) * 20) * interval '1 minute' AS reg
                 FROM s2, g, c, u),
         d AS (SELECT t.*, reg + (-ln(1 - random()) * 40) * interval '1 minute' AS disp FROM t),
         r AS (SELECT d.*,
                      CASE WHEN r_ret < 0.08 THEN disp + (-ln(1 - random()) * 60) * interval '1 minute' END AS ret FROM d),
         r2 AS (SELECT r.*, ret + (-ln(1 - random()) * 30) * interval '1 minute' AS redisp FROM r),
         sg AS (SELECT r2.*, coalesce(redisp, disp) + (-ln(1 - random()) * 90) * interval '1 minute' AS sign FROM r2),
         rs AS (SELECT sg.*, sign + (-ln(1 - random()) * limit_s * 0.6) * interval '1 second' AS res1 FROM sg),
         vf AS (SELECT rs.*, CASE WHEN r_rw < 0.05 THEN res1 + (-ln(1 - random()) * 4) * interval '1 hour' END AS vfail FROM rs),
         v2 AS (SELECT vf.*, vfail + (-ln(1 - random()) * 12) * interval '1 hour' AS res2 FROM vf)
    INSERT INTO ${plan}
    SELECT i + $3, gen_random_uuid(), grid_id, grid_path, category_id, category_code, platform, unit_id, unit2_id, channel, limit_s,
           filed, reg, disp, ret, redisp, sign,
           -- An extension is asked for and granted while the work is under way (a third and two thirds of the way to the resolve).
           CASE WHEN r_ext < 0.06 THEN sign + (res1 - sign) / 3 END, CASE WHEN r_ext < 0.06 THEN sign + (res1 - sign) * 2 / 3 END,
           res1, vfail, res2, coalesce(res2, res1) + (-ln(1 - random()) * 6) * interval '1 hour',
           CASE WHEN r_fate < 0.03 THEN reg END, CASE WHEN r_fate >= 0.03 AND r_fate < 0.04 THEN reg END,
           CASE WHEN r_fate >= 0.04 AND r_fate < 0.06 THEN disp END, NULL,
           r_cb < 0.9, r_cb < 0.75, CASE WHEN r_sat < 0.7 THEN 'satisfied' WHEN r_sat < 0.9 THEN 'basically_satisfied' ELSE 'dissatisfied' END
      FROM v2`, [lo, hi, offset]);
  // A merged duplicate points at the ticket before it (same chunk, so the parent exists in this statement), when that
  // one is itself a live case (not voided, cancelled or merged); otherwise it is not merged.
  await ds.query(`UPDATE ${plan} p SET parent = q.id FROM ${plan} q
                   WHERE p.merged IS NOT NULL AND q.i = p.i - 1 AND q.voided IS NULL AND q.cancelled IS NULL AND q.merged IS NULL`);
  await ds.query(`UPDATE ${plan} SET merged = NULL WHERE merged IS NOT NULL AND parent IS NULL`);
  // Fresh statistics for the statements below: planned on those of an emptied table, the ticket insert's join to the
  // batch's last events became a nested loop that re-sorted the batch per row (a ten-million run stalled on one
  // batch for over fifteen minutes).
  await ds.query(`ANALYZE ${plan}`);
  await ds.query(`DROP VIEW IF EXISTS ${events}`);
  // Events in order; seq is the step's fixed position (gaps where a step did not happen); nothing after now().
  await ds.query(`
    CREATE VIEW ${events} AS
    SELECT p.id AS ticket_id, p.filed AS filed_at, v.k AS seq, v.action, v.from_status, v.to_status, v.data, v.at
      FROM ${plan} p, LATERAL (VALUES
        (1, 'file', NULL, 'reported', '{}'::jsonb, p.filed),
        (2, 'void', 'reported', 'voided', '{"reason":"invalid"}'::jsonb, p.voided),
        (3, 'cancel', 'reported', 'cancelled', '{}'::jsonb, p.cancelled),
        (4, 'register', 'reported', 'registered', '{}'::jsonb, CASE WHEN p.voided IS NULL AND p.cancelled IS NULL THEN p.reg END),
        (5, 'dispatch', 'registered', 'dispatched', jsonb_build_object('unitId', p.unit2_id), CASE WHEN p.voided IS NULL AND p.cancelled IS NULL THEN p.disp END),
        (6, 'merge', 'dispatched', 'merged', jsonb_build_object('parentId', p.parent), p.merged),
        (7, 'return', 'dispatched', 'returned', '{"reason":"wrong_function"}'::jsonb, CASE WHEN p.merged IS NULL AND p.voided IS NULL AND p.cancelled IS NULL THEN p.ret END),
        (8, 'review-return', 'returned', 'dispatched', jsonb_build_object('approved', true, 'unitId', p.unit_id), CASE WHEN p.merged IS NULL AND p.voided IS NULL AND p.cancelled IS NULL THEN p.redisp END),
        (9, 'sign', 'dispatched', 'in_progress', '{}'::jsonb, CASE WHEN p.merged IS NULL AND p.voided IS NULL AND p.cancelled IS NULL THEN p.sign END),
        (10, 'request-extension', 'in_progress', 'in_progress', '{"extraSeconds":86400}'::jsonb, CASE WHEN p.merged IS NULL AND p.voided IS NULL AND p.cancelled IS NULL THEN p.extreq END),
        (11, 'decide-extension', 'in_progress', 'in_progress', '{"approved":true,"extensionGranted":86400}'::jsonb, CASE WHEN p.merged IS NULL AND p.voided IS NULL AND p.cancelled IS NULL THEN p.extok END),
        (12, 'resolve', 'in_progress', 'resolved', '{}'::jsonb, CASE WHEN p.merged IS NULL AND p.voided IS NULL AND p.cancelled IS NULL THEN p.res1 END),
        (13, CASE WHEN p.platform = 'request_handling' THEN 'callback' ELSE 'verify' END, 'resolved', 'in_progress',
             CASE WHEN p.platform = 'request_handling' THEN '{"satisfaction":"dissatisfied","reopen":"callback_dissatisfied"}'::jsonb ELSE '{"passed":false,"reopen":"verify_fail"}'::jsonb END,
             CASE WHEN p.merged IS NULL AND p.voided IS NULL AND p.cancelled IS NULL THEN p.vfail END),
        (14, 'resolve', 'in_progress', 'resolved', '{}'::jsonb, CASE WHEN p.merged IS NULL AND p.voided IS NULL AND p.cancelled IS NULL THEN p.res2 END),
        (15, CASE WHEN p.platform = 'request_handling' THEN 'callback' ELSE 'verify' END, 'resolved',
             CASE WHEN p.platform = 'request_handling' THEN 'archived' ELSE 'closed' END,
             CASE WHEN p.platform = 'request_handling' THEN CASE WHEN p.contacted THEN jsonb_build_object('satisfaction', p.satisfaction) ELSE '{}'::jsonb END ELSE '{"passed":true}'::jsonb END,
             CASE WHEN p.merged IS NULL AND p.voided IS NULL AND p.cancelled IS NULL THEN p.done END)
      ) AS v(k, action, from_status, to_status, data, at)
     WHERE v.at IS NOT NULL AND v.at <= now()`);
  // Bulk generation skips the per-row triggers (foreign-key checks, which hold by construction here, and the
  // dispatch inbox / notify triggers, which reports do not read) when the role may: about twice as fast.
  await ds.transaction(async (m) => {
    if (bulk) await m.query(`SET LOCAL session_replication_role = replica`);
    await m.query(`
      INSERT INTO tickets (id, number, platform, category_id, category_code, priority, title, description, grid_node_id, grid_path, channel,
                           status, unit_id, parent_id, callback, dispatched_at, resolved_at, closed_at, created_at, updated_at)
      SELECT p.id, 'BENCH-' || p.i, p.platform, p.category_id, p.category_code, 'normal', '压测工单', '', p.grid_id, p.grid_path, p.channel,
             l.to_status, CASE WHEN p.disp <= now() THEN coalesce(CASE WHEN p.redisp <= now() THEN p.unit_id END, p.unit2_id) END,
             CASE WHEN l.to_status = 'merged' THEN p.parent END,
             CASE WHEN l.to_status = 'archived' THEN jsonb_build_object('contacted', p.contacted, 'resolved', p.contacted AND p.solved,
                  'satisfaction', CASE WHEN p.contacted THEN p.satisfaction END) END,
             CASE WHEN p.disp <= now() THEN p.disp END, CASE WHEN p.res1 <= now() THEN coalesce(CASE WHEN p.res2 <= now() THEN p.res2 END, p.res1) END,
             CASE WHEN l.to_status IN ('closed', 'archived') THEN p.done END, p.filed, l.at
        FROM ${plan} p
        JOIN (SELECT DISTINCT ON (ticket_id) ticket_id, to_status, at FROM ${events} ORDER BY ticket_id, seq DESC) l ON l.ticket_id = p.id`);
    await m.query(`
      INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_role, from_status, to_status, data, at)
      SELECT ticket_id, filed_at, seq, action, 'system', from_status, to_status, data, at FROM ${events} ORDER BY at`);
    // The resolve clock (处置时限) from dispatch, one day more after an approved extension.
    await m.query(`
      INSERT INTO ticket_clocks (ticket_id, stage, state, clock_type, limit_seconds, extension_seconds, started_at, stopped_at, deadline)
      SELECT t.id, 'resolve', CASE WHEN t.status IN ('dispatched', 'returned', 'in_progress') THEN 'running' ELSE 'stopped' END, 'natural',
             p.limit_s, CASE WHEN p.extok <= now() THEN 86400 ELSE 0 END, p.disp,
             CASE WHEN t.status IN ('dispatched', 'returned', 'in_progress') THEN NULL ELSE coalesce(t.resolved_at, t.updated_at) END,
             p.disp + make_interval(secs => p.limit_s + CASE WHEN p.extok <= now() THEN 86400 ELSE 0 END)
        FROM ${plan} p JOIN tickets t ON t.id = p.id WHERE p.disp <= now() AND t.status NOT IN ('voided', 'cancelled')`);
  });
  log(`seeded tickets ${lo + offset}..${hi + offset} (${Math.round((Date.now() - started) / 1000)} s)`);
}

export async function seedBench(ds: DataSource, tickets: number, log: (s: string) => void): Promise<{ tickets: number; events: number; seconds: number }> {
  const started = Date.now();
  await seedDemoCity(ds, hashPassword);
  await seedDemoCatalogue(ds);
  await widenCity(ds);
  const already: Array<{ n: number }> = await ds.query(`SELECT count(*)::int AS n FROM tickets`);
  const offset = already[0]!.n;
  const su: Array<{ s: boolean }> = await ds.query(`SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user`);
  const bulk = su[0]?.s === true;
  if (!bulk) log('not a superuser: seeding with triggers on (slower)');
  // Left behind by a seed that was interrupted: the views depend on the plan tables.
  await dropPlans(ds);
  for (let w = 0; w < SEED_WORKERS; w++) {
    await ds.query(`
      CREATE UNLOGGED TABLE bench_plan_${w} (
        i bigint, id uuid, grid_id uuid, grid_path ltree, category_id uuid, category_code text, platform text, unit_id uuid, unit2_id uuid,
        channel text, limit_s integer, filed timestamptz, reg timestamptz, disp timestamptz, ret timestamptz, redisp timestamptz,
        sign timestamptz, extreq timestamptz, extok timestamptz, res1 timestamptz, vfail timestamptz, res2 timestamptz, done timestamptz,
        voided timestamptz, cancelled timestamptz, merged timestamptz, parent uuid, contacted boolean, solved boolean, satisfaction text)`);
    // The merge step joins each plan row to the one before it: without an index, a plan chosen on stale statistics
    // became a nested loop over the whole batch (minutes for one batch of 200 000).
    await ds.query(`CREATE INDEX ON bench_plan_${w} (i)`);
  }
  // Into empty tables, the secondary indexes of tickets / events / clocks are built once at the end (a bulk build is
  // several times cheaper than maintaining them row by row, the GIN trigram and GiST ones above all); the indexes
  // behind constraints (primary keys, unique keys) stay. Rebuilt in `finally`, whatever happens.
  const secondary: Array<{ name: string; def: string }> = bulk && offset === 0 ? await ds.query(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
      WHERE c.relname IN ('tickets', 'ticket_events', 'ticket_clocks') AND c.relnamespace = 'public'::regnamespace
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`) : [];
  for (const i of secondary) await ds.query(`DROP INDEX ${i.name}`);
  // The event log's monthly partitions for the whole history (filings go back three years), so no event lands in
  // the default partition.
  await ds.query(`SELECT ticket_events_ensure_partitions(((now() AT TIME ZONE 'Asia/Shanghai') - interval '4 years')::date,
    ((now() AT TIME ZONE 'Asia/Shanghai') + interval '3 months')::date)`);
  // Chunks are taken by SEED_WORKERS connections side by side, each with its own plan table (Postgres does the work:
  // one connection kept one of the two cores busy).
  const chunk = Math.max(1, Math.min(CHUNK, Math.ceil(tickets / (SEED_WORKERS * 4))));
  let next = 1;
  const worker = async (w: number): Promise<void> => {
    for (let lo = next; lo <= tickets; lo = next) {
      next = lo + chunk;
      await seedChunk(ds, { lo, hi: Math.min(tickets, lo + chunk - 1), offset, bulk, plan: `bench_plan_${w}`, events: `bench_events_${w}`, started, log });
    }
  };
  try {
    const outcomes = await Promise.allSettled(Array.from({ length: SEED_WORKERS }, (_, w) => worker(w)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    const t = Date.now();
    // A partitioned table's index is defined `ON ONLY` the parent (no partition would get it): built on every partition.
    // Two builds at a time (the slow GIN and GiST builds are single-threaded).
    const builds = secondary.map((i) => i.def.replace(' ON ONLY ', ' ON '));
    await Promise.all(Array.from({ length: SEED_WORKERS }, async () => { for (let d = builds.shift(); d; d = builds.shift()) await ds.query(d); }));
    if (secondary.length > 0) log(`rebuilt ${secondary.length} secondary indexes in ${Math.round((Date.now() - t) / 1000)} s`);
  }
  await dropPlans(ds);
  await ds.query(`ANALYZE tickets; ANALYZE ticket_events; ANALYZE ticket_clocks`);
  const events: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM ticket_events`);
  return { tickets, events: Number(events[0]!.n), seconds: (Date.now() - started) / 1000 };
}

export function ticketsArg(argv: string[], fallback: number): number {
  const i = argv.indexOf('--tickets');
  const n = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 1 || n > 50_000_000) throw new Error('--tickets must be an integer between 1 and 50000000');
  return n;
}

async function main(): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const n = ticketsArg(process.argv, 100_000);
  const db = await openBenchDatabase(log);
  try {
    const r = await seedBench(db.ds, n, log);
    // Rollups through the same fold the worker runs (src/modules/reports/rollup.service.ts).
    const t0 = Date.now();
    const fold = await new RollupService(new RollupRepository(db.ds), new SlaCalendars(new SlaRepository(db.ds))).catchUp(1_000_000, 100_000);
    process.stdout.write(`${JSON.stringify({ ...r, foldedEvents: fold.events, foldSeconds: (Date.now() - t0) / 1000, database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded (stopped and removed)' })}\n`);
  } finally {
    await db.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => { process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1); });
}
