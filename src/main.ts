import { createApiApp, resolveRuntime } from './bootstrap';
import { runProcess } from './process-runner';

/** The API process. With WITH_WORKER=true the queue workers run in the same process. */
void runProcess('api', async (config, logger) => {
  const runtime = await resolveRuntime(config, logger);
  const app = await createApiApp(runtime, logger, { withWorker: config.withWorker });
  await app.listen({ port: config.port, host: config.host });
  logger.info({ url: await app.getUrl() }, 'api listening');
  return { apps: [app], embedded: runtime.embedded };
});
