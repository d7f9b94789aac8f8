import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import type { DestinationStream } from 'pino';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createApiApp } from '../../src/bootstrap';
import { createLogger } from '../../src/common/logger';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { seedDemoCatalogue } from '../../src/database/seeds/demo-catalogue';
import { seedDemoOpen311 } from '../../src/database/seeds/demo-open311';
import { seedDemoDispatch } from '../../src/database/seeds/demo-dispatch';
import { DEMO_PASSWORD, seedDemoCity } from '../../src/database/seeds/demo-city';
import { hashPassword } from '../../src/modules/auth/password.service';

export interface HttpResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export interface TestApp {
  app: NestFastifyApplication;
  ds: DataSource;
  config: AppConfig;
  /** The app's own database (a clone of the migrated template); also the queue prefix (QUEUE_PREFIX) of its queues. */
  dbName: string;
  databaseUrl: string;
  request<T = any>(method: string, url: string, opts?: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> }): Promise<HttpResponse<T>>;
  login(username: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real application on a database of its own (cloned from the migrated template), with the demo city
 * seeded and the queue workers running in-process. Refuses to run against a database not named test_*.
 * `seedRouting` adds the demo routing rule (manhole covers in 电务社区 routed automatically). Off by default:
 * suites that drive the manual register → dispatch path would otherwise race the routing job.
 * `withWorker: false` builds the API alone (no queue workers, no job schedulers, as `src/main.ts` runs it), for
 * tests whose worker is a process of its own, started with `{ DATABASE_URL: databaseUrl, QUEUE_PREFIX: dbName }`.
 * `logDestination` receives the application's log lines (JSON, one per write) instead of stdout; set the level
 * with `env: { LOG_LEVEL: 'debug' }` (the default stays TEST_LOG_LEVEL or `silent`).
 */
/** A database of its own, cloned from the migrated template the e2e global setup made; named test_*. */
export async function cloneTestDatabase(): Promise<{ adminUrl: string; dbName: string; databaseUrl: string }> {
  const adminUrl = process.env.FX_TEST_PG_ADMIN_URL;
  const template = process.env.FX_TEST_PG_TEMPLATE;
  if (!adminUrl || !template) throw new Error('e2e global setup did not run');
  const dbName = `test_${randomBytes(6).toString('hex')}`;
  if (!dbName.startsWith('test_')) throw new Error('refusing to run tests against a non-test database');
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName} TEMPLATE ${template}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  return { adminUrl, dbName, databaseUrl: url.toString() };
}

export async function dropTestDatabase(adminUrl: string, dbName: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await c.end();
}

export async function createTestApp(
  options: {
    env?: Record<string, string>; seed?: boolean; seedRouting?: boolean; logDestination?: DestinationStream; withWorker?: boolean;
    /** A migrated database elsewhere (e.g. on a primary with a replica), instead of a clone of the template. */
    database?: { adminUrl: string; dbName: string; databaseUrl: string };
  } = {},
): Promise<TestApp> {
  const { adminUrl, dbName, databaseUrl } = options.database ?? await cloneTestDatabase();

  const config = loadConfig({
    APP_MODE: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: dbName,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RUN_MIGRATIONS: 'false',
    ...options.env,
  });
  const app = await createApiApp({ config, databaseUrl }, createLogger(config.logLevel, options.logDestination), { withWorker: options.withWorker ?? true });
  const ds = app.get(DataSource);
  if (options.seed !== false) await seedDemoCity(ds, hashPassword);
  if (options.seed !== false) await seedDemoCatalogue(ds);
  if (options.seed !== false) await seedDemoOpen311(ds);
  if (options.seed !== false && options.seedRouting) await seedDemoDispatch(ds);
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
      await dropTestDatabase(adminUrl, dbName);
    },
  };
}
