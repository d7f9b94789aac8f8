import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accepts, freePort, killStarted, ready, startEntry, terminate, until, untilLogged } from '../support/child-process';
import { cloneTestDatabase, dropTestDatabase } from '../support/test-app';

/**
 * Graceful shutdown (docs/operations.md#graceful-shutdown) of the real processes: `src/main.ts` and
 * `src/worker.ts` run in child processes, compiled on the fly by swc (as Jest does; test/support/child-process.ts),
 * so the test needs no build and proves the source. SIGTERM must end each of them with exit code 0, not killed by
 * the signal.
 */
describe('graceful shutdown 优雅停机', () => {
  let adminUrl: string;
  let dbName: string;
  let databaseUrl: string;

  beforeAll(async () => {
    ({ adminUrl, dbName, databaseUrl } = await cloneTestDatabase());
  });

  afterAll(async () => {
    killStarted();
    await dropTestDatabase(adminUrl, dbName);
  });

  it('the API process exits 0 on SIGTERM after closing the app', async () => {
    const port = await freePort();
    const api = startEntry('src/main.ts', { DATABASE_URL: databaseUrl, RUN_MIGRATIONS: 'false', PORT: String(port), QUEUE_PREFIX: dbName });
    await until(api, '/health/ready', () => ready(port), 60_000);
    const exit = await terminate(api);
    expect({ exit, output: api.output().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(api.output()).toContain('"msg":"api shutting down"');
    expect(api.output()).toContain('"msg":"api stopped"');
    expect(await accepts(port)).toBe(false);
  }, 120_000);

  it('the worker process exits 0 on SIGTERM after closing its queues', async () => {
    const worker = startEntry('src/worker.ts', { DATABASE_URL: databaseUrl, RUN_MIGRATIONS: 'false', QUEUE_PREFIX: dbName });
    await untilLogged(worker, 'worker running', 60_000);
    const exit = await terminate(worker);
    expect({ exit, output: worker.output().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(worker.output()).toContain('"msg":"worker stopped"');
  }, 120_000);

  it('with the embedded Postgres, SIGTERM stops the database too and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fx-shutdown-'));
    chmodSync(dir, 0o711); // the postgres OS user (when we run as root) must reach its data directory
    try {
      const [port, pgPort] = [await freePort(), await freePort()];
      const api = startEntry('src/main.ts', { PORT: String(port), PG_PORT: String(pgPort), PG_DATA_DIR: join(dir, 'pg') });
      await until(api, '/health/ready', () => ready(port), 90_000);
      expect(await accepts(pgPort)).toBe(true);
      const exit = await terminate(api);
      expect({ exit, output: api.output().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
      expect(api.output()).toContain('"msg":"api stopped"');
      expect(await accepts(pgPort)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
