import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { OutboxService } from '../../src/queue/outbox.service';
import { QueueService } from '../../src/queue/queue.service';
import { createTestApp, type TestApp } from '../support/test-app';

describe('platform: health, metrics, docs, queues, audit 平台', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp(); });
  afterAll(async () => { await t.close(); });

  it('serves liveness and readiness with the queue backend named', async () => {
    expect((await t.request('GET', '/health/live')).body).toEqual({ status: 'ok' });
    const ready = await t.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database).toBe('ok');
    expect(ready.body.checks.queues).toBe(process.env.REDIS_URL ? 'ok (redis)' : 'ok (postgres)');
  });

  it('fails readiness when Redis may evict queue keys (Redis runs only)', async () => {
    const backend = t.app.get(QueueService).backend;
    if (backend.kind !== 'redis') {
      expect(process.env.REDIS_URL).toBeUndefined();
      return;
    }
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const res = await t.request('GET', '/health/ready');
      expect(res.status).toBe(503);
      expect(res.body.checks.queues).toContain('noeviction');
    } finally {
      await redis.config('SET', 'maxmemory-policy', 'noeviction');
      redis.disconnect();
    }
    expect((await t.request('GET', '/health/ready')).status).toBe(200);
  });

  it('counts a state-changing request whose audit entry cannot be written (after a retry)', async () => {
    const failures = async () => Number(/audit_write_failures_total (\d+)/.exec((await t.request('GET', '/metrics')).text)?.[1]);
    expect(await failures()).toBe(0);
    const handler = await t.login('demo.handler');
    await t.ds.query(`ALTER TABLE audit_log RENAME TO audit_log_away`);
    try {
      // Going on duty writes nothing to the audit log itself: only the after-response entry, which now fails.
      const res = await t.request('PUT', '/api/v1/me/on-duty', { token: handler, body: { onDuty: true } });
      expect(res.status).toBeLessThan(500);
      const deadline = Date.now() + 5000;
      while ((await failures()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await failures()).toBe(1);
    } finally {
      await t.ds.query(`ALTER TABLE audit_log_away RENAME TO audit_log`);
    }
  });

  it('exposes Prometheus metrics', async () => {
    await t.request('GET', '/health/live');
    const res = await t.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('http_request_duration_seconds_bucket');
    expect(res.text).toContain('queue_jobs');
    expect(res.text).toContain('process_cpu_user_seconds_total');
    // Without REPORTS_DATABASE_URL reports read the primary: no replica delay; no event outside the monthly partitions.
    expect(res.text).toMatch(/^report_replica_lag_seconds 0$/m);
    expect(res.text).toMatch(/^ticket_events_default_rows 0$/m);
    await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.grid', password: 'Wrong@pass1' } });
    expect((await t.request('GET', '/metrics')).text).toMatch(/auth_failures_total [1-9]/);
    // Filings are served in group-commit batches: callers and batches are counted.
    const grid = await t.login('demo.grid');
    const filed = await t.request('POST', '/api/v1/tickets', { token: grid, body: {
      categoryCode: '0101', title: '指标测试井盖', description: '指标', channel: 'patrol', reporter: { name: '测试', phone: '13800000000' },
    } });
    expect(filed.status).toBe(201);
    const text = (await t.request('GET', '/metrics')).text;
    expect(text).toMatch(/group_commit_batches_total\{batcher="filings"\} [1-9]/);
    expect(text).toMatch(/group_commit_callers_total\{batcher="filings"\} [1-9]/);
  });

  it('serves OpenAPI at /docs-json and Swagger UI at /docs', async () => {
    const json = await t.request('GET', '/docs-json');
    expect(json.status).toBe(200);
    expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/login', '/api/v1/grid-nodes/{id}/children', '/api/v1/units']));
    // The swagger plugin's metadata (src/openapi.metadata.ts) describes bodies, query parameters and responses.
    const schemas = json.body.components.schemas;
    expect(schemas.FileTicketRequest.required).toEqual(expect.arrayContaining(['categoryCode', 'title', 'channel']));
    expect(schemas.FileTicketRequest.properties.gridNodeId).toEqual(expect.objectContaining({ type: 'string', format: 'uuid' }));
    expect(schemas.TicketActionRequest.properties.satisfaction.enum).toEqual(expect.arrayContaining(['satisfied', 'basically_satisfied', 'dissatisfied']));
    const listTickets = json.body.paths['/api/v1/tickets'].get;
    expect(listTickets.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name))
      .toEqual(expect.arrayContaining(['status', 'platform', 'overdue', 'q', 'cursor', 'limit']));
    const responds = (path: string, method: string) => JSON.stringify(json.body.paths[path][method].responses);
    expect(responds('/api/v1/auth/me', 'get')).toContain('#/components/schemas/SessionUserResponse');
    expect(responds('/api/v1/tickets/{id}', 'get')).toContain('#/components/schemas/TicketDetailResponse');
    expect(responds('/api/v1/tickets', 'post')).toContain('#/components/schemas/FiledTicketResponse');
    expect(responds('/api/v1/queues/triage', 'get')).toContain('#/components/schemas/QueueResponse');
    expect(responds('/api/v1/reports/durations', 'get')).toContain('#/components/schemas/DurationsResponse');
    expect(Object.keys(json.body.paths['/api/v1/reports/rates'].get.responses['200'].content)).toEqual(expect.arrayContaining(['application/json', 'text/csv']));
    expect(schemas.TicketDetailResponse.properties.timeline.items.$ref).toBe('#/components/schemas/TicketEventResponse');
    expect((await t.request('GET', '/docs')).status).toBe(200);
  });

  it('echoes a safe request id and generates one otherwise', async () => {
    const given = await t.request('GET', '/health/live', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    expect(given.headers['x-content-type-options']).toBe('nosniff');
    const problem = await t.request('GET', '/api/v1/tickets');
    expect([problem.status, problem.headers['x-content-type-options']]).toEqual([401, 'nosniff']);
    const unsafe = await t.request('GET', '/health/live', { headers: { 'x-request-id': 'a b<script>' } });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('runs a job through the queue backend and back', async () => {
    const queues = t.app.get(QueueService);
    const token = randomUUID();
    const id = await queues.add('system.ping', { token }, { jobId: `ping-${token}` });
    const again = await queues.add('system.ping', { token }, { jobId: `ping-${token}` });
    expect(again).toBe(id);
    const queue = queues.queue('maintenance');
    let state = '';
    for (let i = 0; i < 100 && state !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await (await queue.getJob(id!))?.getState()) ?? '';
    }
    expect(state).toBe('completed');
    expect((await queue.getJob(id!))?.returnvalue).toEqual({ pong: token });
  });

  it('hands outbox rows to the queue only after commit, once, even when relayed twice', async () => {
    const outbox = t.app.get(OutboxService);
    const queue = t.app.get(QueueService).queue('maintenance');
    const token = randomUUID();
    await expect(t.ds.transaction(async (m) => {
      await outbox.add(m, 'system.ping', { token: 'rolled-back' }, `ping-rb-${token}`);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    await t.ds.transaction((m) => outbox.add(m, 'system.ping', { token }, `ping-ob-${token}`));
    await Promise.all([outbox.relay(), outbox.relay()]);
    expect(await outbox.relay()).toBe(0);
    let job = await queue.getJob(`ping-ob-${token}`);
    // Up to 30 s: on a loaded 2-core box the shared maintenance queue may be busy with the schedulers' jobs.
    for (let i = 0; i < 300 && (await job?.getState()) !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = await queue.getJob(`ping-ob-${token}`);
    }
    // Read again: a job that completed between the read and the state check still carries the old snapshot.
    job = await queue.getJob(`ping-ob-${token}`);
    expect(job?.returnvalue).toEqual({ pong: token });
    expect(await queue.getJob(`ping-rb-${token}`)).toBeUndefined();
    const rows = await t.ds.query(`SELECT job_id, relayed_at IS NOT NULL AS relayed FROM outbox WHERE job_id LIKE $1`, [`%${token}`]);
    expect(rows).toEqual([{ job_id: `ping-ob-${token}`, relayed: true }]);
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toContain('outbox.relay.every5s');
  });

  it('schedules the daily audit retention job', async () => {
    const schedulers = await t.app.get(QueueService).queue('maintenance').getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toContain('audit.purge.daily');
  });

  it('audits state-changing requests with who, what, when and result', async () => {
    const admin = await t.login('demo.admin');
    const res = await t.request('PUT', '/api/v1/admin/role-policies/handler', { token: admin, body: { totpRequired: false }, headers: { 'x-request-id': 'audit-check-1' } });
    expect(res.status).toBe(200);
    const grid = await t.login('demo.grid');
    await t.request('PUT', '/api/v1/admin/role-policies/handler', { token: grid, body: { totpRequired: true }, headers: { 'x-request-id': 'audit-check-2' } });
    let rows: Array<{ request_id: string; actor_username: string; action: string; result: string; status: number; path: string }> = [];
    for (let i = 0; i < 50 && rows.length < 2; i++) {
      rows = await t.ds.query(`SELECT request_id, actor_username, action, result, status, path FROM audit_log WHERE request_id LIKE 'audit-check-%' AND action LIKE 'http.%' ORDER BY request_id`);
      if (rows.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toEqual([
      { request_id: 'audit-check-1', actor_username: 'demo.admin', action: 'http.put', result: 'success', status: 200, path: '/api/v1/admin/role-policies/:role' },
      { request_id: 'audit-check-2', actor_username: 'demo.grid', action: 'http.put', result: 'denied', status: 403, path: '/api/v1/admin/role-policies/:role' },
    ]);
  });

  it('the database refuses to edit, truncate or prematurely delete audit entries', async () => {
    await expect(t.ds.query(`UPDATE audit_log SET result = 'success'`)).rejects.toThrow(/append-only/);
    await expect(t.ds.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    await expect(t.ds.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    await expect(t.ds.query(`DELETE FROM audit_log WHERE at > now() - interval '179 days'`)).rejects.toThrow(/append-only/);
  });

  it('never returns password hashes or second-factor secrets', async () => {
    const admin = await t.login('demo.admin');
    const users = await t.request('GET', '/api/v1/admin/users', { token: admin });
    expect(users.text).not.toMatch(/argon2|password|totp_secret|totpSecret/i);
  });
});
