import { randomBytes } from 'node:crypto';

/**
 * Typed configuration, validated once at boot. This is the only module that reads process.env.
 * Every invalid or missing variable is reported in one message, each on its own line.
 */
export type AppMode = 'production' | 'demo' | 'test' | 'development';

export interface AppConfig {
  mode: AppMode;
  host: string;
  port: number;
  /** When absent the process manages an embedded Postgres itself (zero-setup default). */
  databaseUrl?: string;
  /** A read replica for report queries (REPORTS_DATABASE_URL); unset: reports read the primary. */
  reportsDatabaseUrl?: string;
  embeddedPg: { dataDir: string; port: number };
  /** When absent the queues run on BullMQ's Postgres backend. */
  redisUrl?: string;
  /** REDIS_URL names one node of a Redis Cluster (REDIS_CLUSTER=true): queues get hash-tagged key prefixes. */
  redisCluster: boolean;
  queuePrefix: string;
  jwt: { secret: string; accessTtlSeconds: number; refreshTtlSeconds: number; issuer: string };
  /** 32-byte key for field-level encryption of personal data (base64). */
  piiKey: Buffer;
  /** Older keys still accepted for decryption during a rotation (comma-separated base64 in PII_PREVIOUS_KEYS). */
  piiPreviousKeys: Buffer[];
  bodyLimitBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  lockout: { maxFailures: number; lockSeconds: number };
  auditRetentionDays: number;
  runMigrations: boolean;
  /** Likely-duplicate search on filing: same category within this radius and time window. */
  duplicates: { radiusM: number; windowHours: number };
  /** Attachments (photos) live on disk, outside the database. */
  storage: { dir: string; maxBytes: number };
  /** Connections in each process's database pool (DB_POOL_SIZE). */
  dbPoolSize: number;
  /** Jobs each worker process runs at once per queue (WORKER_CONCURRENCY); keep below the DB pool size. */
  workerConcurrency: number;
  /** Run the queue workers inside the API process (WITH_WORKER; always on for the demo). */
  withWorker: boolean;
  /** Dispatch: returns (退单) after which a ticket is flagged ownerless (无主案件) to the district. */
  dispatch: { ownerlessAfterBounces: number };
  /** SLA notifications (催办, 预警, 超期, 督办): webhook URL (unset: none sent) and its timeout. */
  sla: {
    webhookUrl?: string; webhookTimeoutMs: number;
    /** Attempts of one webhook notification, and the first retry's delay (doubling after each), before it is dead-lettered. */
    notifyAttempts: number; notifyBackoffMs: number;
    /** Jobs of the `sla` queue each worker process runs at once (SLA_WORKER_CONCURRENCY). */
    workerConcurrency: number;
    /** Timers fired per transaction by the batch firing (SLA_FIRE_BATCH). */
    fireBatchSize: number;
    /** A timer's job enters the queue when the timer comes within this many seconds of its due time (SLA_QUEUE_AHEAD_SECONDS). */
    queueAheadSeconds: number;
  };
  /** How often each worker checks that its job schedulers still exist in the queue backend (SCHEDULER_CHECK_SECONDS). */
  schedulerCheckSeconds: number;
  /** Relayed outbox rows are deleted after this many days (OUTBOX_RETENTION_DAYS). */
  outboxRetentionDays: number;
  /** Open311: requests per minute for callers without an API key (per IP), and how far (m) a point may lie from the nearest grid node. */
  open311: { anonymousPerMinute: number; maxDistanceM: number; publicBaseUrl: string | undefined };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration 配置无效:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const str = (name: string, fallback?: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? fallback : v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) problems.push(`${name} must use ${protocols.join(' or ')} (got ${u.protocol})`);
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };

  const modeRaw = str('APP_MODE', str('NODE_ENV') === 'test' ? 'test' : 'development')!;
  const modes: AppMode[] = ['production', 'demo', 'test', 'development'];
  if (!modes.includes(modeRaw as AppMode)) problems.push(`APP_MODE must be one of ${modes.join(', ')} (got "${modeRaw}")`);
  const mode = (modes.includes(modeRaw as AppMode) ? modeRaw : 'development') as AppMode;
  const production = mode === 'production';

  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const reportsDatabaseUrl = url('REPORTS_DATABASE_URL', ['postgres:', 'postgresql:']);
  // The address clients reach this service at (behind a proxy or TLS terminator): Open311 discovery names it.
  const publicBaseUrl = url('PUBLIC_BASE_URL', ['http:', 'https:'])?.replace(/\/+$/, '');
  if (reportsDatabaseUrl && !databaseUrl) problems.push('REPORTS_DATABASE_URL needs DATABASE_URL (a replica of the embedded Postgres is not managed)');
  if (production && !databaseUrl) problems.push('DATABASE_URL is required in production (the embedded Postgres is for trying out and tests)');

  let jwtSecret = str('JWT_SECRET');
  if (jwtSecret === undefined) {
    if (production) problems.push('JWT_SECRET is required in production (at least 32 characters)');
    jwtSecret = randomBytes(32).toString('base64url');
  } else if (jwtSecret.length < 32) {
    problems.push('JWT_SECRET must be at least 32 characters');
  }

  let piiKey: Buffer = Buffer.alloc(32);
  const piiRaw = str('PII_KEY');
  if (piiRaw === undefined) {
    if (production) problems.push('PII_KEY is required in production (32 bytes, base64: openssl rand -base64 32)');
    // Outside production a fixed development key keeps demo data readable across restarts.
    piiKey = Buffer.from('ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZHVjdGlvbg==', 'base64').subarray(0, 32);
    if (piiKey.length < 32) piiKey = Buffer.concat([piiKey, Buffer.alloc(32 - piiKey.length)]);
  } else {
    const decoded = Buffer.from(piiRaw, 'base64');
    if (decoded.length !== 32) problems.push('PII_KEY must be 32 bytes encoded as base64');
    else piiKey = decoded;
  }

  const piiPreviousKeys: Buffer[] = [];
  for (const part of (str('PII_PREVIOUS_KEYS') ?? '').split(',').filter(Boolean)) {
    const k = Buffer.from(part.trim(), 'base64');
    if (k.length !== 32) problems.push('PII_PREVIOUS_KEYS must be a comma-separated list of 32-byte base64 keys');
    else piiPreviousKeys.push(k);
  }

  const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  const logLevel = str('LOG_LEVEL', mode === 'test' ? 'silent' : 'info')!;
  if (!(logLevels as readonly string[]).includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${logLevels.join(', ')}`);

  const slaWebhookUrl = str('SLA_WEBHOOK_URL');
  if (slaWebhookUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(slaWebhookUrl)) problems.push('SLA_WEBHOOK_URL must be an http:// or https:// URL');

  const queuePrefix = str('QUEUE_PREFIX', 'fx')!;
  if (!/^[a-z0-9_{}-]{1,40}$/i.test(queuePrefix)) problems.push('QUEUE_PREFIX may contain letters, digits, _ - { } (at most 40)');
  const redisCluster = bool('REDIS_CLUSTER', false);
  if (redisCluster && !redisUrl) problems.push('REDIS_CLUSTER=true needs REDIS_URL (any node of the cluster)');
  // On a cluster each queue's prefix becomes a hash tag of its own ({prefix:queue}); braces in QUEUE_PREFIX would end it early.
  if (redisCluster && /[{}]/.test(queuePrefix)) problems.push('QUEUE_PREFIX must not contain { } with REDIS_CLUSTER=true (each queue gets its own hash tag)');

  const config: AppConfig = {
    mode,
    host: str('HOST', production ? '0.0.0.0' : '127.0.0.1')!,
    port: int('PORT', 3000, 0, 65535),
    databaseUrl,
    reportsDatabaseUrl,
    embeddedPg: { dataDir: str('PG_DATA_DIR', '.data/pg')!, port: int('PG_PORT', 54329, 1024, 65535) },
    redisUrl,
    redisCluster,
    queuePrefix,
    jwt: {
      secret: jwtSecret,
      accessTtlSeconds: int('JWT_ACCESS_TTL_SECONDS', 900, 60, 86400),
      refreshTtlSeconds: int('JWT_REFRESH_TTL_SECONDS', 14 * 86400, 3600, 90 * 86400),
      issuer: 'fuxin-grid-cases',
    },
    piiKey,
    piiPreviousKeys,
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 50 * 1024 * 1024),
    logLevel: logLevel as AppConfig['logLevel'],
    lockout: { maxFailures: int('LOCKOUT_MAX_FAILURES', 5, 1, 100), lockSeconds: int('LOCKOUT_SECONDS', 900, 1, 86400) },
    auditRetentionDays: int('AUDIT_RETENTION_DAYS', 180, 180, 3650),
    runMigrations: bool('RUN_MIGRATIONS', true),
    duplicates: { radiusM: int('DUPLICATE_RADIUS_M', 200, 1, 100_000), windowHours: int('DUPLICATE_WINDOW_HOURS', 72, 1, 24 * 365) },
    storage: { dir: str('STORAGE_DIR', '.data/attachments')!, maxBytes: int('ATTACHMENT_MAX_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024) },
    withWorker: bool('WITH_WORKER', false),
    workerConcurrency: int('WORKER_CONCURRENCY', 8, 1, 64),
    dbPoolSize: int('DB_POOL_SIZE', 40, 2, 200),
    dispatch: { ownerlessAfterBounces: int('OWNERLESS_AFTER_BOUNCES', 3, 1, 100) },
    sla: {
      webhookUrl: slaWebhookUrl, webhookTimeoutMs: int('SLA_WEBHOOK_TIMEOUT_MS', 5000, 100, 60_000),
      // 10 attempts from 5 s: the last one about 43 minutes after the first, so a receiver's restart or a short outage
      // loses nothing to the dead-letter list.
      notifyAttempts: int('SLA_NOTIFY_ATTEMPTS', 10, 1, 30), notifyBackoffMs: int('SLA_NOTIFY_BACKOFF_MS', 5000, 100, 600_000),
      workerConcurrency: int('SLA_WORKER_CONCURRENCY', 16, 1, 64),
      fireBatchSize: int('SLA_FIRE_BATCH', 1000, 1, 10_000),
      // At least two minutes: the reconciler that queues upcoming timers runs every minute.
      queueAheadSeconds: int('SLA_QUEUE_AHEAD_SECONDS', 600, 120, 7 * 86400),
    },
    schedulerCheckSeconds: int('SCHEDULER_CHECK_SECONDS', 30, 1, 3600),
    outboxRetentionDays: int('OUTBOX_RETENTION_DAYS', 7, 1, 3650),
    open311: { anonymousPerMinute: int('OPEN311_ANON_PER_MINUTE', 60, 1, 1_000_000), maxDistanceM: int('OPEN311_MAX_DISTANCE_M', 30_000, 100, 1_000_000), publicBaseUrl },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
