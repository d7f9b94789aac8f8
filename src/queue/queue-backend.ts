import { Queue, Worker, createPostgresBackend, withBackend, type Processor } from 'bullmq';
import IORedis, { Cluster, type Redis, type RedisOptions } from 'ioredis';
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
  if (config.redisUrl) return redisBackend(config.redisUrl, config.queuePrefix, config.redisCluster);
  return postgresBackend(databaseUrl, config.queuePrefix);
}

/**
 * The key prefix of queue `name`. BullMQ's scripts touch several keys of a queue at once, which a Redis Cluster
 * allows only within one hash slot: on a cluster each queue's prefix is a hash tag of its own (`{fx:sla}`, keys
 * `{fx:sla}:sla:…`), so every key of a queue shares a slot and the queues spread over the cluster's nodes.
 */
export function queueKeyPrefix(prefix: string, name: string, cluster: boolean): string {
  return cluster ? `{${prefix}:${name}}` : prefix;
}

type RedisClient = Redis | Cluster;

/** One connection to REDIS_URL: a plain client, or a cluster client that discovers the other nodes from it. */
function redisClient(url: string, cluster: boolean, options: RedisOptions): RedisClient {
  if (!cluster) return new IORedis(url, options);
  const u = new URL(url);
  return new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
    redisOptions: {
      ...options,
      username: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      tls: u.protocol === 'rediss:' ? {} : undefined,
    },
    // Writes wait for the cluster to be known instead of failing while slots are being discovered.
    enableOfflineQueue: true,
    lazyConnect: options.lazyConnect,
  });
}

function redisBackend(url: string, prefix: string, cluster: boolean): QueueBackend {
  // Producers fail fast when Redis is away; workers must retry forever (BullMQ requires maxRetriesPerRequest: null).
  const producer = redisClient(url, cluster, { maxRetriesPerRequest: 3, enableOfflineQueue: true, lazyConnect: false });
  const probe = redisClient(url, cluster, { maxRetriesPerRequest: 1, lazyConnect: false });
  const workerConnections: RedisClient[] = [];
  return {
    kind: 'redis',
    createQueue: (name) => new Queue(name, { connection: producer, prefix: queueKeyPrefix(prefix, name, cluster) }),
    createWorker: (name, processor, concurrency) => {
      const connection = redisClient(url, cluster, { maxRetriesPerRequest: null });
      workerConnections.push(connection);
      return new Worker(name, processor, { connection, prefix: queueKeyPrefix(prefix, name, cluster), concurrency });
    },
    readinessProblems: async () => {
      try {
        // Every master of a cluster holds queue keys: each must refuse to evict them.
        const nodes: Redis[] = probe instanceof Cluster ? probe.nodes('master') : [probe];
        if (nodes.length === 0) return ['redis cluster: no master node known yet'];
        const problems: string[] = [];
        for (const node of nodes) {
          const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
          const policy = reply[1];
          const where = probe instanceof Cluster ? ` on ${node.options.host}:${node.options.port}` : '';
          if (policy !== 'noeviction') problems.push(`redis maxmemory-policy is "${policy}"${where}, BullMQ needs "noeviction"`);
        }
        return problems;
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
