import { randomUUID } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { AuditPurgeJob } from '../../src/modules/audit/audit-purge.job';
import { AuditRepository } from '../../src/modules/audit/audit.repository';
import { QueueService } from '../../src/queue/queue.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/sla';

/**
 * Audit retention (docs/operations.md, "Retention"; the job catalogue in docs/architecture.md): the daily
 * `audit.purge` job deletes entries older than max(payload, AUDIT_RETENTION_DAYS, 180) days and nothing younger;
 * the table's trigger (migration 1764230400000-foundation) refuses any delete of a younger row, whoever asks.
 */
describe('audit retention 审计日志保留', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp({ seed: false }); });
  afterAll(async () => { await t?.close(); });

  /** Inserts one entry per age (days ago) under a tag of its own; returns the tag. */
  async function entries(app: TestApp, ages: number[]): Promise<string> {
    const tag = `test.retention.${randomUUID().slice(0, 8)}`;
    for (const days of ages) {
      await app.ds.query(
        `INSERT INTO audit_log (at, action, result, details) VALUES (now() - make_interval(days => $1), $2, 'success', jsonb_build_object('days', $1::int))`,
        [days, tag]);
    }
    return tag;
  }

  async function agesLeft(app: TestApp, tag: string): Promise<number[]> {
    const rows: Array<{ days: number }> = await app.ds.query(
      `SELECT (details->>'days')::int AS days FROM audit_log WHERE action = $1 ORDER BY 1`, [tag]);
    return rows.map((r) => r.days);
  }

  it('the job deletes entries past 180 days and keeps the younger ones; a second run deletes nothing', async () => {
    const tag = await entries(t, [400, 200, 181, 179, 10]);
    const job = t.app.get(AuditPurgeJob);
    expect(await job.handle({ retentionDays: 180 })).toEqual({ deleted: 3 });
    expect(await agesLeft(t, tag)).toEqual([10, 179]);
    expect(await job.handle({ retentionDays: 180 })).toEqual({ deleted: 0 });
  });

  it('runs through the queue as the scheduler enqueues it (maintenance queue, payload AUDIT_RETENTION_DAYS)', async () => {
    const tag = await entries(t, [200, 10]);
    const queues = t.app.get(QueueService);
    const id = await queues.add('audit.purge', { retentionDays: t.config.auditRetentionDays }, { jobId: `audit-purge-${tag}` });
    const queue = queues.queue('maintenance');
    const done = await waitFor('the audit.purge job', async () => {
      const job = await queue.getJob(id!);
      return (await job?.getState()) === 'completed' ? job : undefined;
    });
    expect(done!.returnvalue).toEqual({ deleted: 1 });
    expect(await agesLeft(t, tag)).toEqual([10]);
  });

  it('a longer retention in the payload keeps a 200-day entry', async () => {
    const tag = await entries(t, [400, 200, 10]);
    expect(await t.app.get(AuditPurgeJob).handle({ retentionDays: 365 })).toEqual({ deleted: 1 });
    expect(await agesLeft(t, tag)).toEqual([10, 200]);
    // Back at 180 days it goes (and leaves no entry past 180 days for the next test).
    expect(await t.app.get(AuditPurgeJob).handle({ retentionDays: 180 })).toEqual({ deleted: 1 });
    expect(await agesLeft(t, tag)).toEqual([10]);
  });

  it('AUDIT_RETENTION_DAYS=365 keeps a 200-day entry even when the payload says 180 (a scheduler from before the change)', async () => {
    const long = await createTestApp({ seed: false, env: { AUDIT_RETENTION_DAYS: '365' } });
    try {
      expect(long.config.auditRetentionDays).toBe(365);
      const tag = await entries(long, [400, 200, 10]);
      expect(await long.app.get(AuditPurgeJob).handle({ retentionDays: 180 })).toEqual({ deleted: 1 });
      expect(await agesLeft(long, tag)).toEqual([10, 200]);
    } finally {
      await long.close();
    }
  });

  it('a retention below 180 days is refused at boot and clamped to 180 by the job, the repository and the trigger', async () => {
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '179' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '30' })).toThrow(/AUDIT_RETENTION_DAYS must be an integer between 180 and 3650 \(got "30"\)/);

    const tag = await entries(t, [200, 179, 30, 10]);
    expect(await t.app.get(AuditPurgeJob).handle({ retentionDays: 30 })).toEqual({ deleted: 1 });
    expect(await agesLeft(t, tag)).toEqual([10, 30, 179]);
    expect(await t.app.get(AuditRepository).purgeOlderThan(0)).toBe(0);
    expect(await agesLeft(t, tag)).toEqual([10, 30, 179]);

    // The database itself: the owner's own DELETE of a younger entry, or any UPDATE, is refused.
    await expect(t.ds.query(`DELETE FROM audit_log WHERE action = $1 AND (details->>'days')::int = 179`, [tag]))
      .rejects.toMatchObject({ code: '42501', message: expect.stringContaining('audit_log is append-only (DELETE refused)') });
    await expect(t.ds.query(`UPDATE audit_log SET at = at - interval '1 year' WHERE action = $1`, [tag]))
      .rejects.toMatchObject({ code: '42501' });
    await expect(t.ds.query(`TRUNCATE audit_log`)).rejects.toMatchObject({ code: '42501' });
    expect(await agesLeft(t, tag)).toEqual([10, 30, 179]);
  });
});
