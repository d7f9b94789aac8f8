/**
 * Open311 reads at city scale (`npm run bench:open311`; `-- --quick`: 200 000 tickets; default one million;
 * `--tickets N`): the benchmark data of `bench:seed` (years of history over the demo city, every platform), then the
 * GeoReport reads a residents' app or another city's tool makes, through the real HTTP stack (Fastify inject, no
 * socket): the default window (last 90 days, newest 1000), a status filter, a service code, deeper pages, a
 * 90-day window a year back, a list of ticket numbers and one request. Each is timed several times after a warm-up;
 * the last line is one JSON object with the figures. There is no goal in the issue; docs/benchmarks.md keeps the
 * figures so a regression shows.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createApiApp } from '../src/bootstrap';
import { createLogger } from '../src/common/logger';
import { loadConfig } from '../src/config/app-config';
import { machine, percentile } from './bench-support';
import { openBenchDatabase, seedBench, ticketsArg } from './seed';

const RUNS = 7;

async function main(): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const quick = process.argv.includes('--quick');
  const tickets = ticketsArg(process.argv, quick ? 200_000 : 1_000_000);
  const db = await openBenchDatabase(log);
  const dir = mkdtempSync(join(tmpdir(), 'fx-bench-open311-'));
  let app: Awaited<ReturnType<typeof createApiApp>> | undefined;
  try {
    const seeded = await seedBench(db.ds, tickets, log);
    log(`seeded ${seeded.tickets} tickets, ${seeded.events} events in ${seeded.seconds.toFixed(0)} s`);
    await db.ds.query(`ANALYZE`);
    const [window] = await db.ds.query(
      `SELECT count(*)::int AS all, count(*) FILTER (WHERE platform IN ('community_governance'))::int AS published
         FROM tickets WHERE created_at >= now() - interval '90 days'`);
    const numbers: Array<{ number: string }> = await db.ds.query(
      `SELECT number FROM tickets WHERE platform = 'community_governance' AND created_at >= now() - interval '30 days' ORDER BY random() LIMIT 20`);
    const yearBack = await db.ds.query(`SELECT to_char(now() - interval '455 days', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') AS s, to_char(now() - interval '365 days', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') AS e`);

    const config = loadConfig({
      APP_MODE: 'development', DATABASE_URL: db.url, LOG_LEVEL: 'warn', RUN_MIGRATIONS: 'false', QUEUE_PREFIX: 'bench311',
      STORAGE_DIR: join(dir, 'attachments'), OPEN311_ANON_PER_MINUTE: '100000',
    });
    app = await createApiApp({ config, databaseUrl: db.url }, createLogger(config.logLevel));
    const fastify = app.getHttpAdapter().getInstance();
    const enc = encodeURIComponent;
    const cases: Array<[string, string]> = [
      ['default window (last 90 days, newest 1000)', '/open311/v2/requests.json'],
      ['status=open', '/open311/v2/requests.json?status=open'],
      ['service_code=0101', '/open311/v2/requests.json?service_code=0101'],
      ['page 5 of 1000', '/open311/v2/requests.json?page_size=1000&page=5'],
      ['page 20 of 1000', '/open311/v2/requests.json?page_size=1000&page=20'],
      ['page 100 of 1000 (the deepest a 90-day window of 100 000 has)', '/open311/v2/requests.json?page_size=1000&page=100'],
      ['a 90-day window a year back', `/open311/v2/requests.json?start_date=${enc(yearBack[0].s)}&end_date=${enc(yearBack[0].e)}`],
      ['20 ticket numbers', `/open311/v2/requests.json?service_request_id=${numbers.map((n) => n.number).join(',')}`],
      ['one request', `/open311/v2/requests/${numbers[0]?.number ?? 'none'}.json`],
      ['the same default window as XML', '/open311/v2/requests.xml'],
    ];
    const results: Record<string, { p50Ms: number; maxMs: number; rows: number }> = {};
    for (const [name, url] of cases) {
      const first = await fastify.inject({ method: 'GET', url });
      if (first.statusCode !== 200) throw new Error(`${url}: ${first.statusCode} ${first.body.slice(0, 200)}`);
      const rows = url.includes('.xml') ? (first.body.match(/<request>/g) ?? []).length : (JSON.parse(first.body) as unknown[]).length;
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        await fastify.inject({ method: 'GET', url });
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      results[name] = { p50Ms: Math.round(percentile(ms, 50) * 10) / 10, maxMs: Math.round(ms[ms.length - 1]! * 10) / 10, rows };
      log(`${name}: ${rows} rows, p50 ${results[name]!.p50Ms} ms, max ${results[name]!.maxMs} ms`);
    }
    console.log(JSON.stringify({ tickets: seeded.tickets, ticketsLast90Days: window.all, publishedLast90Days: window.published, runs: RUNS, machine: machine(), results }));
  } finally {
    await app?.close();
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
