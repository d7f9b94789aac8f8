import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import { createLogger } from './common/logger';
import type { EmbeddedPostgresHandle } from './database/embedded-postgres';

interface Started {
  apps: INestApplicationContext[];
  embedded?: EmbeddedPostgresHandle;
}

const SHUTDOWN_LIMIT_MS = 30_000;

/**
 * Shared process lifecycle: validated config, clear fatal errors, graceful shutdown in order.
 * This is the only owner of SIGTERM and SIGINT (the Nest apps do not enable their own shutdown hooks):
 * close the apps, stop the embedded Postgres this process started, exit 0 — or 1 when that fails or
 * takes longer than 30 s. Docs: docs/operations.md#graceful-shutdown.
 */
export async function runProcess(
  name: string,
  start: (config: AppConfig, logger: Logger) => Promise<Started>,
  env: Record<string, string | undefined> = process.env,
): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let starting: Promise<Started | undefined> | undefined;
  let started: Started | undefined;
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // Listeners stay installed: a repeated signal must not kill the process half-way (default action).
      logger.warn({ signal }, `${name} is already shutting down`);
      return;
    }
    stopping = true;
    logger.info({ signal }, `${name} shutting down`);
    const timer = setTimeout(() => {
      logger.error('shutdown took over 30 s; exiting');
      void (started?.embedded?.stop() ?? Promise.resolve()).catch(() => undefined).finally(() => process.exit(1));
    }, SHUTDOWN_LIMIT_MS);
    let code = 0;
    // A signal during start-up waits for it, so that an embedded Postgres it started is stopped as well.
    const running = started ?? (await starting);
    // Apps close first (HTTP stops accepting, workers finish their jobs), then the database they used.
    for (const app of [...(running?.apps ?? [])].reverse()) {
      try {
        await app.close();
      } catch (err) {
        logger.error({ err }, `${name}: closing failed`);
        code = 1;
      }
    }
    try {
      await running?.embedded?.stop();
    } catch (err) {
      logger.error({ err }, `${name}: stopping the embedded postgres failed`);
      code = 1;
    }
    clearTimeout(timer);
    if (code === 0) logger.info(`${name} stopped`);
    process.exit(code);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
  starting = start(config, logger).then(
    (result) => (started = result),
    (err: Error) => {
      logger.fatal({ err }, `${name} failed to start`);
      process.stderr.write(`${name} failed to start: ${err.message}\n`);
      process.exit(1);
    },
  );
  await starting;
}
