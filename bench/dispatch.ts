/**
 * bench:dispatch — 50 concurrent handlers draining one unit's inbox of 5,000 dispatched tickets through
 * claim-next (QueuesService.claimNext: callers of the queue are served in batches — one transaction locks a
 * candidate per caller with SKIP LOCKED and signs them together — and each caller is answered with its signed
 * ticket and its clocks read in that transaction). Real Postgres (embedded binaries), the application in-process.
 * Tickets are created directly in SQL for speed, with mixed priorities and sign deadlines.
 *
 *   npm run bench:dispatch [-- --quick] [-- --tickets 5000 --handlers 50 --rounds 3 --max-seconds 3600]
 * Last line: {"claims","doubleClaims","claimsPerSec","p99Ms", ...}
 */
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiApp } from '../src/bootstrap';
import { createLogger } from '../src/common/logger';
import { loadConfig } from '../src/config/app-config';
import { createDataSource, runMigrations } from '../src/database/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres';
import { seedDemoCatalogue } from '../src/database/seeds/demo-catalogue';
import { seedDemoCity } from '../src/database/seeds/demo-city';
import type { Principal } from '../src/modules/auth/principal';
import { Role } from '../src/modules/auth/roles';
import { hashPassword } from '../src/modules/auth/password.service';
import { QueuesService } from '../src/modules/dispatch/queues.service';
import { DispatchRepository } from '../src/modules/dispatch/dispatch.repository';
import { freePort, machine, percentile } from './bench-support';
import { DataSource } from 'typeorm';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ticketCount = arg('tickets', 5000);
const handlerCount = arg('handlers', 50);
const rounds = arg('rounds', quick ? 1 : 3);
/** --quick stops claiming after this long (the rest stays in the inbox, reported as `left`) to finish within two minutes. */
const maxSeconds = arg('max-seconds', quick ? 60 : 3600);

/** Fills the unit's inbox: dispatched tickets with a running sign clock each (deadlines spread over a day). */
async function fillInbox(ds: DataSource, unitId: string, round: number): Promise<void> {
  await ds.query(
    `WITH cat AS (SELECT c.id AS category_id, c.code, s.id AS standard_id FROM categories c JOIN case_standards s ON s.category_id = c.id
                   WHERE c.code = '0101' ORDER BY c.version DESC, s.code LIMIT 1),
          node AS (SELECT id, path FROM grid_nodes WHERE code = '210902001001001')
     INSERT INTO tickets (number, platform, category_id, category_code, case_standard_id, priority, title, description, grid_node_id, grid_path,
                          channel, status, previous_status, unit_id, dispatched_at, created_at)
     SELECT 'BENCH-' || $2 || '-' || g, 'community_governance', cat.category_id, cat.code, cat.standard_id,
            (ARRAY['extra_urgent','urgent','normal','normal'])[1 + g % 4], '压测井盖 ' || g, '压测', node.id, node.path, 'patrol',
            'dispatched', 'registered', $1, now(), now() - make_interval(secs => g)
       FROM generate_series(1, $3) g, cat, node`, [unitId, round, ticketCount]);
  await ds.query(
    `INSERT INTO ticket_clocks (ticket_id, stage, state, clock_type, started_at, deadline)
     SELECT id, 'sign', 'running', 'natural', now(), now() + make_interval(secs => (hashtext(id::text) & 65535)) FROM tickets
      WHERE unit_id = $1 AND status = 'dispatched'`, [unitId]);
  await ds.query(`ANALYZE tickets`);
  await ds.query(`ANALYZE dispatch_inbox`);
}

async function drain(queues: QueuesService, handlers: Principal[], unitId: string): Promise<{ claimed: string[]; latencies: number[]; errors: number; seconds: number }> {
  const claimed: string[] = [];
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const stopAt = started + maxSeconds * 1000;
  await Promise.all(handlers.map(async (h) => {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      try {
        const ticket = await queues.claimNext(h, unitId);
        if (!ticket) return;
        latencies.push(performance.now() - t0);
        claimed.push(ticket.id);
      } catch (err) {
        errors++;
        if (errors <= 5) process.stderr.write(`claim failed: ${(err as Error).message}\n`);
        if (errors > 100) throw err;
      }
    }
  }));
  return { claimed, latencies, errors, seconds: (performance.now() - started) / 1000 };
}

/**
 * Baseline in the same run: the queue mechanism alone — the same SKIP LOCKED candidate query (one candidate)
 * and a bare status update per claim, one transaction per claim, no batching, workflow, clocks, SLA timers,
 * events or read-back.
 */
async function drainRaw(ds: DataSource, repo: DispatchRepository, handlers: Principal[], unitId: string): Promise<{ claimed: string[]; seconds: number }> {
  const claimed: string[] = [];
  const started = performance.now();
  await Promise.all(handlers.map(async (h) => {
    for (;;) {
      const id = await ds.transaction(async (m) => {
        const [next] = await repo.lockNextCandidates(m, unitId, [h.id], h.scopePath, 1);
        if (!next) return null;
        await m.query(`UPDATE tickets SET status = 'in_progress', previous_status = 'dispatched', handler_id = $2, version = version + 1 WHERE id = $1`, [next.id, h.id]);
        return next.id;
      });
      if (!id) return;
      claimed.push(id);
    }
  }));
  return { claimed, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fx-bench-dispatch-'));
  chmodSync(dir, 0o711);
  let pg: EmbeddedPostgresHandle | undefined;
  let app: Awaited<ReturnType<typeof createApiApp>> | undefined;
  try {
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
    await pg.createDatabase('bench');
    const databaseUrl = pg.url('bench');
    const setup = await createDataSource(databaseUrl, 2).initialize();
    await runMigrations(setup);
    await seedDemoCity(setup, hashPassword);
    await seedDemoCatalogue(setup);
    await setup.destroy();

    const config = loadConfig({ APP_MODE: 'development', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', RUN_MIGRATIONS: 'false', QUEUE_PREFIX: 'bench', STORAGE_DIR: join(dir, 'attachments') });
    app = await createApiApp({ config, databaseUrl }, createLogger(config.logLevel));
    await app.init();
    const ds = app.get(DataSource);
    const queues = app.get(QueuesService);
    const [unit] = await ds.query(`SELECT u.id FROM units u WHERE u.code = 'FX-SZSS'`);
    const [city] = await ds.query(`SELECT id, path::text AS path FROM grid_nodes WHERE code = '210900'`);
    const users: Array<{ id: string; username: string }> = await ds.query(
      `INSERT INTO users (username, display_name, role, scope_node_id, unit_id, password_hash)
       SELECT 'bench.h' || g, '压测承办人' || g, 'handler', $1, $2, 'x' FROM generate_series(1, $3) g RETURNING id, username`,
      [city.id, unit.id, handlerCount]);
    const handlers: Principal[] = users.map((u) => ({
      id: u.id, username: u.username, role: Role.Handler, scopeNodeId: city.id, scopePath: city.path, unitId: unit.id, mfaPending: false,
    }));

    const runs: Array<{ claims: number; doubleClaims: number; claimsPerSec: number; p50Ms: number; p99Ms: number; errors: number; left: number }> = [];
    for (let round = 1; round <= rounds; round++) {
      await fillInbox(ds, unit.id, round);
      if (args.includes('--explain')) {
        const plan: Array<{ 'QUERY PLAN': string }> = await ds.query(
          `EXPLAIN (ANALYZE, BUFFERS) SELECT t.id, t.version FROM dispatch_inbox i JOIN tickets t ON t.id = i.ticket_id
            WHERE i.unit_id = $1 AND t.unit_id = $1 AND t.status = 'dispatched' AND (t.handler_id IS NULL OR t.handler_id = $2) AND t.grid_path <@ $3::ltree
            ORDER BY i.deadline, i.priority_rank, i.created_at, i.ticket_id LIMIT 1 FOR UPDATE OF t SKIP LOCKED`, [unit.id, handlers[0]!.id, city.path]);
        process.stderr.write(plan.map((r) => r['QUERY PLAN']).join('\n') + '\n');
        const t0 = performance.now();
        await queues.claimNext(handlers[0]!, unit.id);
        process.stderr.write(`one claim alone: ${(performance.now() - t0).toFixed(1)} ms\n`);
      }
      const r = await drain(queues, handlers, unit.id);
      const sorted = [...r.latencies].sort((a, b) => a - b);
      const [{ n: doubleSigned }] = await ds.query(
        `SELECT count(*)::int AS n FROM (SELECT ticket_id FROM ticket_events WHERE action = 'sign' GROUP BY ticket_id HAVING count(*) > 1) x`);
      const [{ n: left }] = await ds.query(`SELECT count(*)::int AS n FROM tickets WHERE unit_id = $1 AND status = 'dispatched'`, [unit.id]);
      // Leave nothing behind for the next round (a time-boxed quick run may stop early).
      await ds.query(`UPDATE tickets SET status = 'cancelled', previous_status = 'dispatched' WHERE unit_id = $1 AND status = 'dispatched'`, [unit.id]);
      runs.push({
        claims: r.claimed.length,
        doubleClaims: r.claimed.length - new Set(r.claimed).size + doubleSigned,
        claimsPerSec: Math.round((r.claimed.length / r.seconds) * 10) / 10,
        p50Ms: Math.round(percentile(sorted, 50) * 10) / 10,
        p99Ms: Math.round(percentile(sorted, 99) * 10) / 10,
        errors: r.errors,
        left,
      });
      process.stdout.write(`round ${round}: ${JSON.stringify(runs[runs.length - 1])}\n`);
    }
    await fillInbox(ds, unit.id, 0);
    const raw = await drainRaw(ds, app.get(DispatchRepository), handlers, unit.id);
    const rawClaimsPerSec = Math.round((raw.claimed.length / raw.seconds) * 10) / 10;
    process.stdout.write(`queue mechanism alone: ${raw.claimed.length} claims, ${raw.claimed.length - new Set(raw.claimed).size} double, ${rawClaimsPerSec}/s\n`);
    const byRate = [...runs].sort((a, b) => a.claimsPerSec - b.claimsPerSec);
    const median = byRate[Math.floor(byRate.length / 2)]!;
    const result = {
      claims: runs.reduce((s, r) => s + r.claims, 0),
      doubleClaims: runs.reduce((s, r) => s + r.doubleClaims, 0),
      claimsPerSec: median.claimsPerSec,
      p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
      p50Ms: median.p50Ms,
      errors: runs.reduce((s, r) => s + r.errors, 0),
      left: runs.reduce((s, r) => s + r.left, 0),
      rawClaimsPerSec, rawDoubleClaims: raw.claimed.length - new Set(raw.claimed).size,
      rounds, ticketsPerRound: ticketCount, handlers: handlerCount, machine: machine(), date: new Date().toISOString(),
    };
    process.stdout.write(`bench:dispatch ${quick ? '(quick) ' : ''}${result.claims} claims by ${handlerCount} handlers over ${rounds} round(s)\n`);
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await app?.close();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => { process.stderr.write(`bench:dispatch failed: ${err.stack ?? err.message}\n`); process.exit(1); });
