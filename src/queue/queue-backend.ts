import { Queue, Worker, createPostgresBackend, withBackend, type Processor } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config';

/**
 * Chooses the BullMQ backend once per process: Redis (production, through ioredis) when REDIS_URL is
 * set, otherwise BullMQ 6's Postgres backend on the application database (zero-setup default).
 * `withBackend` binds the classes without touching BullMQ's process-wide default.
 */
export interface QueueBackend {
  kind: 'redis' | 'postgres';
  createQueue(name: string): Queue;
  createWorker(name: string, processor: Processor, concurrency: number): Worker;
  /** Problems that make the backend unfit to serve (e.g. Redis eviction policy); empty when ready. */
  readinessProblems(): Promise<string[]>;
  close(): Promise<void>;
}

export function createQueueBackend(config: AppConfig, databaseUrl: string): QueueBackend {
  if (config.redisUrl) return redisBackend(config.redisUrl, config.queuePrefix);
  return postgresBackend(databaseUrl, config.queuePrefix);
}

function redisBackend(url: string, prefix: string): QueueBackend {
  // Producers fail fast when Redis is away; workers must retry forever (BullMQ requires maxRetriesPerRequest: null).
  const producer: Redis = new IORedis(url, { maxRetriesPerRequest: 3, enableOfflineQueue: true, lazyConnect: false });
  const probe: Redis = new IORedis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  const workerConnections: Redis[] = [];
  return {
    kind: 'redis',
    createQueue: (name) => new Queue(name, { connection: producer, prefix }),
    createWorker: (name, processor, concurrency) => {
      const connection = new IORedis(url, { maxRetriesPerRequest: null });
      workerConnections.push(connection);
      return new Worker(name, processor, { connection, prefix, concurrency });
    },
    readinessProblems: async () => {
      try {
        const reply = (await probe.config('GET', 'maxmemory-policy')) as string[];
        const policy = reply[1];
        return policy === 'noeviction' ? [] : [`redis maxmemory-policy is "${policy}", BullMQ needs "noeviction"`];
      } catch (err) {
        return [`redis unreachable: ${(err as Error).message}`];
      }
    },
    close: async () => {
      await Promise.all([producer, probe, ...workerConnections].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

function postgresBackend(databaseUrl: string, schema: string): QueueBackend {
  const { Queue: PgQueue, Worker: PgWorker } = withBackend(createPostgresBackend);
  const connection = { connectionString: databaseUrl, schema: `bullmq_${schema}`.toLowerCase().replace(/[^a-z0-9_]/g, '_'), migrate: true, max: 5 };
  const queues: Queue[] = [];
  return {
    kind: 'postgres',
    createQueue: (name) => {
      const q = new PgQueue(name, { connection }) as unknown as Queue;
      queues.push(q);
      return q;
    },
    createWorker: (name, processor, concurrency) =>
      new PgWorker(name, processor, { connection, concurrency }) as unknown as Worker,
    readinessProblems: async () => {
      try {
        await Promise.all(queues.map((q) => q.getJobCounts('waiting')));
        return [];
      } catch (err) {
        return [`postgres queue backend unavailable: ${(err as Error).message}`];
      }
    },
    close: async () => undefined,
  };
}
