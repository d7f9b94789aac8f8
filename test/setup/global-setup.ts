import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDataSource, runMigrations } from '../../src/database/data-source';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';

/**
 * Starts what the e2e suites need: an embedded Postgres of its own (or the server in TEST_PG_URL), and a
 * template database with every migration applied; each suite then clones it into a database of its own.
 * Queues run on Postgres unless REDIS_URL is set.
 */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.TEST_PG_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'fx-test-'));
    chmodSync(dir, 0o711); // the postgres OS user (when we run as root) must reach its data directory
    const handle = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
    (globalThis as Record<string, unknown>).__FX_PG__ = { handle, dir };
    adminUrl = handle.url('postgres');
  }
  const template = 'test_template';
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${template}`;
  const ds = await createDataSource(url.toString(), 2).initialize();
  await runMigrations(ds);
  await ds.destroy();
  process.env.FX_TEST_PG_ADMIN_URL = adminUrl;
  process.env.FX_TEST_PG_TEMPLATE = template;
}
