import { createWorkerApp, resolveRuntime } from './bootstrap';
import { runProcess } from './process-runner';

/** The worker process: runs the BullMQ workers and job schedulers. */
void runProcess('worker', async (config, logger) => {
  const runtime = await resolveRuntime(config, logger);
  const app = await createWorkerApp(runtime, logger);
  logger.info({ backend: config.redisUrl ? 'redis' : 'postgres' }, 'worker running');
  return { apps: [app], embedded: runtime.embedded };
});
