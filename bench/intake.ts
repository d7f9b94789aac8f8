/**
 * bench:intake — sustained ticket filing through HTTP in the production configuration: a real Postgres
 * (embedded binaries), redis-server, and separate API and worker processes started from dist/. The
 * baseline, measured on the same Postgres in the same run, is pgbench inserting single rows.
 *
 *   npm run bench:intake [-- --quick] [-- --seconds 60 --concurrency 32]
 * Last line: {"ticketsPerSec","pgbenchTps","ratio","p50Ms","p99Ms","rssMb", ...}, with `cpuMsPerTicket`: the CPU time
 * each part of the box (Postgres, API, worker, Redis, this load generator) spent per filed ticket in the window.
 * The load generator posts through node:http with a keep-alive agent (global fetch cost it about 1 ms per request).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataSource, runMigrations } from '../src/database/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres';
import { seedDemoCatalogue } from '../src/database/seeds/demo-catalogue';
import { seedDemoCity } from '../src/database/seeds/demo-city';
import { hashPassword } from '../src/modules/auth/password.service';
import { descendantCpu, freePort, machine, percentile, rssMb, startProcess, stopProcess, waitFor, which } from './bench-support';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const seconds = arg('seconds', quick ? 20 : 60);
const concurrency = arg('concurrency', 32);

const BENCH_PASSWORD = 'Bench@Intake2026!';
const CATEGORIES = ['0101', '0102', '0103', '0104', '0105', '0106', '0107', '0108', '0109', '0110', '0111', '0112'];

async function main(): Promise<void> {
  const redisBin = which('redis-server');
  const pgbenchBin = which('pgbench');
  if (!redisBin || !pgbenchBin) throw new Error('bench:intake needs redis-server and pgbench (apt-get install -y redis-server postgresql-contrib)');
  const dir = mkdtempSync(join(tmpdir(), 'fx-bench-intake-'));
  chmodSync(dir, 0o711);
  let pg: EmbeddedPostgresHandle | undefined;
  let redis: ChildProcess | undefined;
  let api: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  try {
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
    await pg.createDatabase('bench');
    const databaseUrl = pg.url('bench');
    const ds = await createDataSource(databaseUrl, 2).initialize();
    await runMigrations(ds);
    await seedDemoCity(ds, hashPassword);
    await seedDemoCatalogue(ds);
    // Production refuses the demo accounts (is_demo): the load comes from a grid worker of its own, where demo.grid works.
    await ds.query(
      `INSERT INTO users (username, display_name, role, scope_node_id, unit_id, password_hash)
       SELECT 'bench.grid', '压测网格员', role, scope_node_id, unit_id, $1 FROM users WHERE username = 'demo.grid'`, [await hashPassword(BENCH_PASSWORD)]);

    // Baseline: raw single-row inserts (a ~300-byte row, primary key plus one index), durable commits.
    await ds.query(`CREATE TABLE bench_insert (id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    await ds.query(`CREATE INDEX ON bench_insert (created_at)`);
    await ds.destroy();
    const script = join(dir, 'insert.sql');
    writeFileSync(script, `INSERT INTO bench_insert (payload) VALUES (repeat('x', 300));\n`);
    const url = new URL(databaseUrl);
    const pgbench = spawnSync(pgbenchBin, ['-n', '-c', '8', '-j', '2', '-T', String(Math.max(10, Math.round(seconds / 2))), '-f', script,
      '-h', '127.0.0.1', '-p', url.port, '-U', decodeURIComponent(url.username), 'bench'], {
      encoding: 'utf8', env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
    });
    const tpsMatch = /tps = ([\d.]+) \(without initial connection time\)/.exec(pgbench.stdout);
    if (!tpsMatch) throw new Error(`pgbench failed: ${pgbench.stderr || pgbench.stdout}`);
    const pgbenchTps = Number(tpsMatch[1]);

    const redisPort = await freePort();
    redis = startProcess('redis', redisBin, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'everysec', '--dir', dir, '--maxmemory-policy', 'noeviction', '--hz', '100'], {});
    const port = await freePort();
    const env = {
      APP_MODE: 'production', DATABASE_URL: databaseUrl, REDIS_URL: `redis://127.0.0.1:${redisPort}`, PORT: String(port), HOST: '127.0.0.1',
      JWT_SECRET: randomUUID() + randomUUID(), PII_KEY: Buffer.alloc(32, 9).toString('base64'), LOG_LEVEL: 'warn', RUN_MIGRATIONS: 'false',
      JWT_ACCESS_TTL_SECONDS: '86400', STORAGE_DIR: join(dir, 'attachments'), QUEUE_PREFIX: 'bench',
    };
    // BENCH_API_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the API process.
    const apiArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
    api = startProcess('api', process.execPath, [...apiArgs, 'dist/src/main.js'], env);
    worker = startProcess('worker', process.execPath, ['dist/src/worker.js'], env);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/health/ready`, 60_000);
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench.grid', password: BENCH_PASSWORD }) });
    if (!login.ok) throw new Error(`bench login failed: ${login.status} ${await login.text()}`);
    const { accessToken } = (await login.json()) as { accessToken: string };

    const latencies: number[] = [];
    let errors = 0;
    const errorStatuses: Record<string, number> = {};
    let peakRss = 0;
    const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, rssMb(api?.pid)); }, 500);
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const post = (payload: string): Promise<number> => new Promise((resolve, reject) => {
      const req = request(`${base}/api/v1/tickets`, {
        method: 'POST', agent,
        headers: {
          'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${accessToken}`, 'idempotency-key': randomUUID(),
        },
      }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
    const file = async (): Promise<void> => {
      const body = {
        categoryCode: CATEGORIES[Math.floor(Math.random() * CATEGORIES.length)], title: '压测井盖上报', description: `压测 ${randomUUID()}`,
        lat: 42.0 + Math.random() * 0.05, lng: 121.6 + Math.random() * 0.1, channel: 'patrol',
        reporter: { name: '测试', phone: '13800000000' },
      };
      const t0 = performance.now();
      const status = await post(JSON.stringify(body));
      if (status === 201) latencies.push(performance.now() - t0);
      else {
        errors++;
        errorStatuses[status] = (errorStatuses[status] ?? 0) + 1;
      }
    };
    // Warm-up, then the measured window.
    await Promise.all(Array.from({ length: concurrency }, async () => { for (let i = 0; i < 10; i++) await file(); }));
    latencies.length = 0;
    errors = 0;
    const cpuBefore = descendantCpu(process.pid);
    const clientBefore = process.cpuUsage();
    const started = performance.now();
    const endAt = started + seconds * 1000;
    await Promise.all(Array.from({ length: concurrency }, async () => { while (performance.now() < endAt) await file(); }));
    const elapsed = (performance.now() - started) / 1000;
    const clientCpu = process.cpuUsage(clientBefore);
    const cpuAfter = descendantCpu(process.pid);
    agent.destroy();
    // Each started process with its children (Postgres backends are the postmaster's children); the load generator is this process.
    const partOf = (pid: number): string | undefined => {
      for (let p: number | undefined = pid; p !== undefined && p !== process.pid; p = cpuAfter.get(p)?.ppid) {
        if (p === api?.pid) return 'api';
        if (p === worker?.pid) return 'worker';
        if (p === redis?.pid) return 'redis';
        if (cpuAfter.get(p)?.comm === 'postgres') return 'postgres';
      }
      return undefined;
    };
    const cpuSeconds: Record<string, number> = { postgres: 0, api: 0, worker: 0, redis: 0, client: (clientCpu.user + clientCpu.system) / 1e6 };
    for (const [pid, after] of cpuAfter) {
      const part = partOf(pid);
      if (part) cpuSeconds[part]! += after.seconds - (cpuBefore.get(pid)?.seconds ?? 0);
    }
    clearInterval(rssTimer);
    const sorted = [...latencies].sort((a, b) => a - b);
    const ticketsPerSec = Math.round((latencies.length / elapsed) * 10) / 10;
    const result = {
      ticketsPerSec, pgbenchTps: Math.round(pgbenchTps), ratio: Math.round((ticketsPerSec / pgbenchTps) * 1000) / 1000,
      p50Ms: Math.round(percentile(sorted, 50) * 10) / 10, p99Ms: Math.round(percentile(sorted, 99) * 10) / 10, rssMb: peakRss,
      tickets: latencies.length, errors, errorStatuses, seconds, concurrency,
      cpuMsPerTicket: Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, latencies.length ? Math.round((v * 1000 / latencies.length) * 100) / 100 : null])),
      cpuCores: Math.round((Object.values(cpuSeconds).reduce((a, b) => a + b, 0) / elapsed) * 100) / 100,
      machine: machine(), date: new Date().toISOString(),
    };
    process.stdout.write(`bench:intake ${quick ? '(quick) ' : ''}${result.tickets} tickets in ${elapsed.toFixed(1)} s, ${errors} errors\n`);
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await stopProcess(api);
    await stopProcess(worker);
    await stopProcess(redis);
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => { process.stderr.write(`bench:intake failed: ${err.stack ?? err.message}\n`); process.exit(1); });
