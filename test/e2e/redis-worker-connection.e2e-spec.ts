import { randomBytes } from 'node:crypto';
import type { Worker } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { loadConfig } from '../../src/config/app-config';
import { createQueueBackend, type QueueBackend } from '../../src/queue/queue-backend';
import { QueueService } from '../../src/queue/queue.service';
import { WorkerService } from '../../src/queue/worker.service';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * BullMQ on Redis (src/queue/queue-backend.ts): a worker's connection must have `maxRetriesPerRequest: null` (BullMQ's
 * requirement: a blocking command must wait out a Redis restart instead of failing after N retries and stopping the
 * worker), while producers fail fast. BullMQ itself only rejects a truthy value, so `0` or a default would slip by;
 * this file pins the exact `null`. It needs a Redis: `.ci/run` runs the suite a second time with REDIS_URL set.
 */
const redisUrl = process.env.REDIS_URL;

type Client = Redis | Cluster;
/** The options a connection sends commands with (a cluster client keeps them per node, in `redisOptions`). */
const optionsOf = (c: Client) => ('redisOptions' in c.options ? c.options.redisOptions : c.options) as { maxRetriesPerRequest?: number | null };
const connectionOf = (w: Worker) => w.opts.connection as unknown as Client;

// Without REDIS_URL the queues run on Postgres and there is no Redis connection to check: skipped, and the title says why.
const title = 'Redis worker connections 队列工作连接';
(redisUrl ? describe : describe.skip)(redisUrl ? title : `${title} — skipped: REDIS_URL is unset (the second run of .ci/run sets it)`, () => {
  it('createWorker gives each worker its own connection with maxRetriesPerRequest === null; producers keep a limit', async () => {
    const config = loadConfig({ APP_MODE: 'test', REDIS_URL: redisUrl, REDIS_CLUSTER: process.env.REDIS_CLUSTER, QUEUE_PREFIX: `t_${randomBytes(6).toString('hex')}` });
    const backend: QueueBackend = createQueueBackend(config, 'postgres://unused/unused');
    expect(backend.kind).toBe('redis');
    const a = backend.createWorker('maintenance', async () => undefined, 1);
    const b = backend.createWorker('sla', async () => undefined, 1);
    const queue = backend.createQueue('maintenance');
    try {
      for (const w of [a, b]) expect(optionsOf(connectionOf(w)).maxRetriesPerRequest).toBeNull();
      expect(connectionOf(a)).not.toBe(connectionOf(b));
      const producer = queue.opts.connection as unknown as Client;
      expect(optionsOf(producer).maxRetriesPerRequest).toBe(3);
      expect(producer).not.toBe(connectionOf(a));
      // The workers really run on these connections.
      await a.waitUntilReady();
      expect(connectionOf(a).status).toBe('ready');
    } finally {
      await Promise.all([a.close(), b.close(), queue.close()]);
      await backend.close();
    }
  });

  describe('in the application', () => {
    let t: TestApp;
    beforeAll(async () => { t = await createTestApp({ seed: false }); });
    afterAll(async () => { await t?.close(); });

    it('every worker of WorkerService runs on a connection with maxRetriesPerRequest === null', () => {
      expect(t.app.get(QueueService).backend.kind).toBe('redis');
      // The workers are private to the service: read them as the running app holds them.
      const workers = (t.app.get(WorkerService) as unknown as { workers: Worker[] }).workers;
      expect(workers.length).toBeGreaterThan(0);
      expect(workers.map((w) => [w.name, optionsOf(connectionOf(w)).maxRetriesPerRequest]))
        .toEqual(workers.map((w) => [w.name, null]));
    });
  });
});
