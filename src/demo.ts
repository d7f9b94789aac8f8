import { createApiApp, resolveRuntime } from './bootstrap';
import { seedDemoCatalogue } from './database/seeds/demo-catalogue';
import { seedDemoOpen311 } from './database/seeds/demo-open311';
import { seedDemoDispatch } from './database/seeds/demo-dispatch';
import { DEMO_PASSWORD, DEMO_USERS, seedDemoCity } from './database/seeds/demo-city';
import { DataSource } from 'typeorm';
import { runProcess } from './process-runner';
import { hashPassword } from './modules/auth/password.service';

/**
 * `npm run demo`: embedded Postgres (unless DATABASE_URL is set), migrations, the demo city, and the API
 * with the workers in one process. Prints the URL and the demo logins.
 */
void runProcess('demo', async (config, logger) => {
  const runtime = await resolveRuntime(config, logger);
  const app = await createApiApp(runtime, logger, { withWorker: true });
  const { seeded } = await seedDemoCity(app.get(DataSource), hashPassword);
  await seedDemoCatalogue(app.get(DataSource));
  await seedDemoOpen311(app.get(DataSource));
  await seedDemoDispatch(app.get(DataSource));
  await app.listen({ port: config.port, host: config.host });
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  const lines = [
    '',
    '  阜新 一网五平台 demo is running  (Ctrl-C to stop)',
    `  API:      ${url}/api/v1`,
    `  API docs: ${url}/docs`,
    `  Health:   ${url}/health/ready`,
    `  Open311:  ${url}/open311/v2/discovery.json (API key demo-open311-key)`,
    `  Database: ${config.databaseUrl ? 'DATABASE_URL' : `embedded Postgres on 127.0.0.1:${config.embeddedPg.port} (${config.embeddedPg.dataDir})`}` +
      `; queues on ${config.redisUrl ? 'Redis' : 'Postgres'}${seeded ? '; demo city seeded' : ''}`,
    '',
    `  Demo logins (password ${DEMO_PASSWORD}):`,
    ...DEMO_USERS.map((u) => `    ${u.username.padEnd(16)} ${u.description}`),
    '',
    `  Try: curl -s ${url}/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"demo.grid","password":"${DEMO_PASSWORD}"}'`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return { apps: [app], embedded: runtime.embedded };
}, { ...process.env, APP_MODE: 'demo', PG_DATA_DIR: process.env.PG_DATA_DIR ?? '.data/demo-pg' });
