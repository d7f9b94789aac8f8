import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('gives zero-setup defaults outside production', () => {
    const c = loadConfig({});
    expect(c.mode).toBe('development');
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
    expect(c.embeddedPg.port).toBe(54329);
    expect(c.piiKey).toHaveLength(32);
    expect(c.lockout).toEqual({ maxFailures: 5, lockSeconds: 900 });
    expect(c.withWorker).toBe(false);
  });

  it('reports every problem at once, one per line', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ APP_MODE: 'production', PORT: 'eighty', REDIS_URL: 'http://x', PII_KEY: 'c2hvcnQ=', LOG_LEVEL: 'loud', AUDIT_RETENTION_DAYS: '30' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect([...error!.problems].sort()).toEqual([
      'PORT must be an integer between 0 and 65535 (got "eighty")',
      'REDIS_URL must use redis: or rediss: (got http:)',
      'DATABASE_URL is required in production (the embedded Postgres is for trying out and tests)',
      'JWT_SECRET is required in production (at least 32 characters)',
      'PII_KEY must be 32 bytes encoded as base64',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      'AUDIT_RETENTION_DAYS must be an integer between 180 and 3650 (got "30")',
    ].sort());
    expect(error!.message).toContain('配置无效');
  });

  it('takes REDIS_CLUSTER only with REDIS_URL, and a QUEUE_PREFIX without braces (the hash tags are made per queue)', () => {
    expect(loadConfig({}).redisCluster).toBe(false);
    expect(loadConfig({ REDIS_URL: 'redis://node-1:7000', REDIS_CLUSTER: 'true' })).toMatchObject({ redisCluster: true, queuePrefix: 'fx' });
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems({ REDIS_CLUSTER: 'true' })).toEqual(['REDIS_CLUSTER=true needs REDIS_URL (any node of the cluster)']);
    expect(problems({ REDIS_URL: 'redis://node-1:7000', REDIS_CLUSTER: 'true', QUEUE_PREFIX: '{fx}' }))
      .toEqual([expect.stringContaining('QUEUE_PREFIX must not contain { }')]);
    expect(problems({ REDIS_URL: 'redis://node-1:7000', QUEUE_PREFIX: '{fx}' })).toEqual([]);
  });

  it('gives SLA notifications about 43 minutes of retries by default, and takes other counts and delays', () => {
    expect(loadConfig({}).sla).toMatchObject({ notifyAttempts: 10, notifyBackoffMs: 5000 });
    expect(loadConfig({ SLA_NOTIFY_ATTEMPTS: '3', SLA_NOTIFY_BACKOFF_MS: '250' }).sla).toMatchObject({ notifyAttempts: 3, notifyBackoffMs: 250 });
    expect(() => loadConfig({ SLA_NOTIFY_ATTEMPTS: '0' })).toThrow(/SLA_NOTIFY_ATTEMPTS must be an integer between 1 and 30/);
    expect(() => loadConfig({ SLA_NOTIFY_BACKOFF_MS: '5s' })).toThrow(/SLA_NOTIFY_BACKOFF_MS must be an integer/);
  });

  it('takes PUBLIC_BASE_URL as an http(s) URL without its trailing slash', () => {
    expect(loadConfig({}).open311.publicBaseUrl).toBeUndefined();
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://12345.example.gov.cn/' }).open311.publicBaseUrl).toBe('https://12345.example.gov.cn');
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'ftp://12345.example.gov.cn' })).toThrow(/PUBLIC_BASE_URL must use http: or https:/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'not a url' })).toThrow(/PUBLIC_BASE_URL is not a valid URL/);
  });

  it('takes REPORTS_DATABASE_URL as a postgres URL, beside DATABASE_URL only', () => {
    expect(loadConfig({}).reportsDatabaseUrl).toBeUndefined();
    const both = loadConfig({ DATABASE_URL: 'postgres://app@primary/fx', REPORTS_DATABASE_URL: 'postgres://reports@replica/fx' });
    expect(both.reportsDatabaseUrl).toBe('postgres://reports@replica/fx');
    expect(() => loadConfig({ REPORTS_DATABASE_URL: 'postgres://reports@replica/fx' })).toThrow(/REPORTS_DATABASE_URL needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://app@primary/fx', REPORTS_DATABASE_URL: 'mysql://replica/fx' })).toThrow(/REPORTS_DATABASE_URL must use postgres: or postgresql:/);
  });

  it('accepts a complete production configuration', () => {
    const c = loadConfig({
      APP_MODE: 'production', DATABASE_URL: 'postgres://u:p@db/fx', REDIS_URL: 'redis://cache:6379',
      JWT_SECRET: 'x'.repeat(40), PII_KEY: Buffer.alloc(32, 7).toString('base64'), PORT: '8080',
    });
    expect(c).toMatchObject({ mode: 'production', host: '0.0.0.0', port: 8080, redisUrl: 'redis://cache:6379' });
    expect(c.piiKey.equals(Buffer.alloc(32, 7))).toBe(true);
  });
});
