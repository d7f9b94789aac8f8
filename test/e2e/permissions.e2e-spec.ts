import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PERMISSION_KEY, PUBLIC_KEY } from '../../src/modules/auth/permission.decorator';
import { ROLE_PERMISSIONS, Role } from '../../src/modules/auth/roles';
import { createTestApp, type TestApp } from '../support/test-app';

describe('authorisation 权限', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp(); });
  afterAll(async () => { await t.close(); });

  it('every route handler declares a permission or is explicitly public', () => {
    const discovery = t.app.get(DiscoveryService);
    const scanner = t.app.get(MetadataScanner);
    const reflector = t.app.get(Reflector);
    const undeclared: string[] = [];
    let routes = 0;
    for (const wrapper of discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance) continue;
      const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(proto)) {
        const handler = proto[name] as (...args: unknown[]) => unknown;
        if (Reflect.getMetadata('path', handler) === undefined) continue;
        routes++;
        const declared = reflector.getAllAndOverride(PERMISSION_KEY, [handler, instance.constructor]) ??
          reflector.getAllAndOverride(PUBLIC_KEY, [handler, instance.constructor]);
        if (!declared) undeclared.push(`${instance.constructor.name}.${name}`);
      }
    }
    expect(routes).toBeGreaterThan(20);
    expect(undeclared).toEqual([]);
  });

  it('the audit log is readable by the auditor only', async () => {
    for (const username of ['demo.admin', 'demo.dispatcher', 'demo.handler', 'demo.grid', 'demo.official']) {
      const res = await t.request('GET', '/api/v1/audit', { token: await t.login(username) });
      expect([username, res.status, res.body.code]).toEqual([username, 403, 'PERMISSION_DENIED']);
    }
    const auditor = await t.login('demo.auditor');
    const res = await t.request('GET', '/api/v1/audit?limit=5', { token: auditor });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(res.body.items[0]).toHaveProperty('action');
    const reads = await t.ds.query(`SELECT actor_username FROM audit_log WHERE action = 'audit.read'`);
    expect(reads).toEqual([{ actor_username: 'demo.auditor' }]);
  });

  it('the audit log pages newest first by number, every entry once, and refuses dates that do not exist', async () => {
    // Enough entries that ids cross digit boundaries (9 → 10 → 100): sorted as text, 99 came before 238.
    await t.ds.query(`INSERT INTO audit_log (action, result, details) SELECT 'test.page', 'success', '{}'::jsonb FROM generate_series(1, 130)`);
    const auditor = await t.login('demo.auditor');
    const newest: Array<{ id: string }> = await t.ds.query(`SELECT max(id)::text AS id FROM audit_log`);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: Array<{ id: string }>; nextCursor: string | null } } =
        await t.request('GET', `/api/v1/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`, { token: auditor });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i) => Number(i.id)));
      cursor = res.body.nextCursor;
    } while (cursor);
    // Reading is audited, so entries newer than the first page appear while paging; the pages cover everything up to it.
    const expected: Array<{ id: string }> = await t.ds.query(`SELECT id FROM audit_log WHERE id <= $1 ORDER BY id DESC`, [seen[0]]);
    expect(seen[0]).toBeGreaterThanOrEqual(Number(newest[0]!.id));
    expect(seen).toEqual(expected.map((r) => Number(r.id)));
    for (const bad of ['2026-02-30', '2026-13-01', 'yesterday']) {
      const res = await t.request('GET', `/api/v1/audit?from=${bad}`, { token: auditor });
      expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
    }
    expect((await t.request('GET', '/api/v1/audit?from=2026-02-28&to=2026-03-01T08:00:00%2B08:00', { token: auditor })).status).toBe(200);
  });

  it('a refused request with a NUL in its path is still audited', async () => {
    const grid = await t.login('demo.grid');
    const res = await t.request('POST', '/api/v1/tickets/%00/actions/add-note', { token: grid, body: { expectedVersion: 1, note: 'x' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    // Written after the response: wait for it. The NUL of the id is kept as U+FFFD.
    let rows: Array<{ target: string; result: string }> = [];
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await t.ds.query(`SELECT target, result FROM audit_log WHERE actor_username = 'demo.grid' AND path = '/api/v1/tickets/:id/actions/:action'`);
    }
    expect(rows).toEqual([{ target: '\uFFFD', result: 'failure' }]);
  });

  it('the auditor can do nothing else; non-admins cannot administer', async () => {
    const auditor = await t.login('demo.auditor');
    expect((await t.request('GET', '/api/v1/units', { token: auditor })).status).toBe(403);
    expect((await t.request('GET', '/api/v1/admin/users', { token: auditor })).status).toBe(403);
    const official = await t.login('demo.official');
    expect((await t.request('GET', '/api/v1/admin/users', { token: official })).status).toBe(403);
    expect((await t.request('PUT', '/api/v1/admin/role-policies/admin', { token: official, body: { totpRequired: true } })).status).toBe(403);
  });

  it('roles hold what SPEC §2 says: the admin reads no audit, the auditor manages nothing', () => {
    expect(ROLE_PERMISSIONS[Role.Admin]).not.toContain('audit:read');
    expect(ROLE_PERMISSIONS[Role.Auditor]).toEqual(['self:read', 'audit:read']);
  });
});
