import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import { createLogger } from './common/logger';
import type { EmbeddedPostgresHandle } from './database/embedded-postgres';

/** Shared process lifecycle: validated config, clear fatal errors, graceful shutdown in order. */
export async function runProcess(
  name: string,
  start: (config: AppConfig, logger: Logger) => Promise<{ apps: INestApplicationContext[]; embedded?: EmbeddedPostgresHandle }>,
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
  let started: Awaited<ReturnType<typeof start>> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${name} shutting down`);
    const timer = setTimeout(() => {
      logger.error('shutdown took over 30 s; exiting');
      void (started?.embedded?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
    }, 30_000);
    try {
      // Apps close first (HTTP stops accepting, workers finish their jobs), then the database they used.
      for (const app of [...(started?.apps ?? [])].reverse()) await app.close();
      await started?.embedded?.stop();
    } finally {
      clearTimeout(timer);
      process.exit(0);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  try {
    started = await start(config, logger);
  } catch (err) {
    logger.fatal({ err }, `${name} failed to start`);
    process.stderr.write(`${name} failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
