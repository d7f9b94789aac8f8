import { randomUUID } from 'node:crypto';
import { RollupService } from '../../src/modules/reports/rollup.service';
import { createApiTestApp, type ApiTestApp } from '../support/api-test-app';
import { waitFor } from '../support/sla';
import { codeIds } from '../support/tickets';
import { loadFixture, planTicket, rng, writeEvents, writeTickets } from './reports-history';

/**
 * 重新汇总: `POST /api/v1/reports/refold` rewinds the report fold so the worker folds the events from a day on again
 * (after a calendar change, say). The API alone (no worker): the test folds by hand and watches the cursor.
 */
describe('report refold 重新汇总', () => {
  let t: ApiTestApp;
  let admin: string;
  let reader: string;
  let period: string;
  const fold = () => t.app.get(RollupService).catchUp(100_000, 10_000);
  const rates = async () => (await t.request('GET', `/api/v1/reports/rates?${period}&groupBy=street`, { token: reader })).body;
  const cursor = async () => (await t.ds.query(`SELECT last_at FROM report_cursor WHERE id = 1`))[0].last_at;
  const refold = (token: string, body: unknown) => t.request('POST', '/api/v1/reports/refold', { token, body });

  beforeAll(async () => {
    t = await createApiTestApp();
    admin = await t.login('demo.admin');
    reader = await t.login('demo.official');
    const fx = await loadFixture(t.ds);
    const r = rng(7);
    const now = Date.now();
    const plans = Array.from({ length: 30 }, () => planTicket(r, fx, now - 60 * 86_400_000, randomUUID())).filter((p) => p.events[p.events.length - 1]!.atMs < now);
    await writeTickets(t.ds, plans, 11);
    await writeEvents(t.ds, plans, 0, now);
    await fold();
    const day = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
    period = `from=${day(now - 70 * 86_400_000)}&to=${day(now)}`;
  });
  afterAll(async () => { await t?.close(); });

  it('rewinds the fold to a day; the worker folds again to the same figures, with the staleness shown meanwhile', async () => {
    const before = await rates();
    expect(before.rollupLagMs).toBe(0);
    expect(before.rows.length).toBeGreaterThan(0);
    const folded = await cursor();
    const from = new Date(Date.now() - 55 * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10);

    const res = await refold(admin, { from, reason: '2027 年节假日安排已导入 schedule imported' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ cursorAt: expect.any(String), previousCursorAt: folded.toISOString(), rewound: true });
    // Just before 00:00 of that day in Asia/Shanghai.
    expect(Date.parse(res.body.cursorAt)).toBe(Date.parse(`${from}T00:00:00+08:00`) - 1);
    expect((await rates()).rollupLagMs).toBeGreaterThan(0);

    await fold();
    const after = await rates();
    expect([after.rollupLagMs, after.rows]).toEqual([0, before.rows]);
    expect((await cursor()).getTime()).toBe(folded.getTime());

    // A cursor already before that point is left alone.
    const again = await refold(admin, { from: '2000-01-01', reason: '全部重算 everything' });
    expect(again.body.rewound).toBe(true);
    expect((await refold(admin, { from: '2000-01-02', reason: '无需回退 nothing to do' })).body).toEqual({ cursorAt: again.body.cursorAt, previousCursorAt: again.body.cursorAt, rewound: false });
    // Without `from`: the whole log.
    expect((await refold(admin, { reason: '全部重算 the whole log' })).body).toMatchObject({ cursorAt: null, rewound: true });
    await fold();
    expect((await rates()).rows).toEqual(before.rows);

    // Audited with who and what.
    // (written just after each response: waited for, not raced)
    const audit = await waitFor('the refold audit entries', async () => {
      const rows = await t.ds.query(`SELECT actor_username, result, status FROM audit_log WHERE path = '/api/v1/reports/refold' ORDER BY id DESC`);
      return rows.length >= 4 && rows[0];
    }, 5000, 20);
    expect(audit).toEqual({ actor_username: 'demo.admin', result: 'success', status: 202 });
  });

  it('is for city-level admins only, and refuses bad input; nothing moves', async () => {
    const ids = await codeIds(t);
    const made = await t.request('POST', '/api/v1/admin/users', {
      token: admin, body: { username: 'hz.admin.refold', displayName: '海州管理员', role: 'admin', scopeNodeId: ids['210902'], password: 'Haizhou@2026!x' },
    });
    expect(made.status).toBe(201);
    const district = await t.login('hz.admin.refold', 'Haizhou@2026!x');
    const official = await t.login('demo.official');
    const at = await cursor();
    const cases: Array<[string, string, unknown, number, string]> = [
      ['a district admin', district, { reason: '区级 district' }, 403, 'REPORT_REFOLD_CITY_SCOPE_REQUIRED'],
      ['an official', official, { reason: '领导 official' }, 403, 'PERMISSION_DENIED'],
      ['a date that does not exist', admin, { from: '2026-02-30', reason: '坏日期' }, 400, 'REPORT_INVALID_PERIOD'],
      ['a date-time instead of a day', admin, { from: '2026-02-01T00:00:00Z', reason: '时间' }, 400, 'VALIDATION_FAILED'],
      ['no reason', admin, { from: '2026-02-01' }, 400, 'VALIDATION_FAILED'],
      ['a reason that says nothing', admin, { reason: ' \u200b… ' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [name, token, body, status, code] of cases) {
      const res = await refold(token, body);
      expect([name, res.status, res.body.code, res.headers['content-type']]).toEqual([name, status, code, expect.stringContaining('application/problem+json')]);
    }
    expect((await cursor()).getTime()).toBe(at.getTime());
  });
});
