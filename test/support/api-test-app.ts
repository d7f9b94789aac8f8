import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createApiApp } from '../../src/bootstrap';
import { createLogger } from '../../src/common/logger';
import { loadConfig } from '../../src/config/app-config';
import { seedDemoCatalogue } from '../../src/database/seeds/demo-catalogue';
import { seedDemoOpen311 } from '../../src/database/seeds/demo-open311';
import { DEMO_PASSWORD, seedDemoCity } from '../../src/database/seeds/demo-city';
import { hashPassword } from '../../src/modules/auth/password.service';
import type { HttpResponse, TestApp } from './test-app';

/** A test app whose database and queue prefix other processes (a worker started by the test) can share. */
export interface ApiTestApp extends TestApp {
  dbName: string;
  /** The app's database; also the queue prefix (QUEUE_PREFIX) of its queues. */
  databaseUrl: string;
}

/**
 * Like `createTestApp` (a database of its own cloned from the migrated template, the demo city seeded), but the
 * API alone: no queue worker and no job schedulers in this process (`withWorker: false`, as `src/main.ts` runs
 * it). Jobs are only produced here; a worker process started by the test consumes them, with
 * `{ DATABASE_URL: databaseUrl, QUEUE_PREFIX: dbName, RUN_MIGRATIONS: 'false' }`.
 */
export async function createApiTestApp(options: { env?: Record<string, string> } = {}): Promise<ApiTestApp> {
  const adminUrl = process.env.FX_TEST_PG_ADMIN_URL;
  const template = process.env.FX_TEST_PG_TEMPLATE;
  if (!adminUrl || !template) throw new Error('e2e global setup did not run');
  const dbName = `test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName} TEMPLATE ${template}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();

  const config = loadConfig({
    APP_MODE: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: dbName,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RUN_MIGRATIONS: 'false',
    ...options.env,
  });
  const app = await createApiApp({ config, databaseUrl }, createLogger(config.logLevel), { withWorker: false });
  const ds = app.get(DataSource);
  await seedDemoCity(ds, hashPassword);
  await seedDemoCatalogue(ds);
  await seedDemoOpen311(ds);
  const fastify = app.getHttpAdapter().getInstance();

  const request: TestApp['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | Buffer | undefined;
    if (opts.raw !== undefined) payload = opts.raw;
    else if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fastify.inject({ method: method as 'GET', url: path, headers, payload });
    let body: unknown = res.body;
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('json') && res.body.length > 0) body = JSON.parse(res.body);
    return { status: res.statusCode, headers: res.headers as HttpResponse['headers'], body: body as never, text: res.body };
  };

  return {
    app,
    ds,
    config,
    dbName,
    databaseUrl,
    request,
    login: async (username, password = DEMO_PASSWORD) => {
      const res = await request('POST', '/api/v1/auth/login', { body: { username, password } });
      if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${res.text}`);
      return res.body.accessToken as string;
    },
    close: async () => {
      await app.close();
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    },
  };
}
