import { DEMO_PASSWORD } from '../../src/database/seeds/demo-city';
import { waitFor } from '../support/sla';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * What an administrator may not do even with `security:manage` / `user:manage`: set a city-wide security
 * policy from a district scope, and reach the audit log through the auditor role (三员分立).
 */
describe('admin guards 管理员权限边界', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let admin: string;
  let hzAdmin: string;
  let hzAdminId: string;

  const userId = async (username: string): Promise<string> =>
    (await t.ds.query(`SELECT id FROM users WHERE username = $1`, [username]))[0].id;
  const userRow = async (username: string) =>
    (await t.ds.query(`SELECT role, active, display_name, scope_node_id, password_hash, totp_secret, totp_enabled, locked_until, updated_at
      FROM users WHERE username = $1`, [username]))[0];

  beforeAll(async () => {
    t = await createTestApp();
    const nodes: Array<{ code: string; id: string }> = await t.ds.query(`SELECT code, id FROM grid_nodes`);
    ids = Object.fromEntries(nodes.map((n) => [n.code, n.id]));
    admin = await t.login('demo.admin');
    const made = await t.request('POST', '/api/v1/admin/users', {
      token: admin,
      body: { username: 'hz.admin', displayName: '海州区管理员', role: 'admin', scopeNodeId: ids['210902'], password: 'Haizhou@2026!' },
    });
    expect(made.status).toBe(201);
    hzAdminId = made.body.id;
    hzAdmin = await t.login('hz.admin', 'Haizhou@2026!');
  });
  afterAll(async () => { await t.close(); });

  describe('role policies are city-wide', () => {
    it('a district admin cannot require TOTP for a role: 403 CITY_SCOPE_REQUIRED, nothing changed', async () => {
      const before = await t.ds.query(`SELECT role, totp_required, updated_at FROM role_policies ORDER BY role`);
      const res = await t.request('PUT', '/api/v1/admin/role-policies/dispatcher', { token: hzAdmin, body: { totpRequired: true } });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({
        status: 403, code: 'CITY_SCOPE_REQUIRED',
        title: 'Security policies are city-wide: only a city-level administrator may change them', titleZh: '安全策略全市通用，仅市级管理员可修改',
      });
      expect(res.body.type).toMatch(/errors\.md#city-scope-required$/);
      expect(await t.ds.query(`SELECT role, totp_required, updated_at FROM role_policies ORDER BY role`)).toEqual(before);
      expect(await t.ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'security.role_policy'`)).toEqual([{ n: 0 }]);
      // The request's audit entry is written just after the response: wait for it rather than race it.
      const denied = await waitFor('the audit entry of the refused request', async () =>
        (await t.ds.query(`SELECT actor_username, result, status FROM audit_log WHERE action = 'http.put' AND actor_username = 'hz.admin' ORDER BY id DESC LIMIT 1`))[0], 5000, 20);
      expect(denied).toEqual({ actor_username: 'hz.admin', result: 'denied', status: 403 });
      // Bad input from a district admin is still a 400, not a 500.
      expect((await t.request('PUT', '/api/v1/admin/role-policies/overlord', { token: hzAdmin, body: { totpRequired: true } })).status).toBe(400);
    });

    it('the city admin can: 200, stored and audited', async () => {
      const res = await t.request('PUT', '/api/v1/admin/role-policies/dispatcher', { token: admin, body: { totpRequired: true } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ role: 'dispatcher', totpRequired: true });
      expect(await t.ds.query(`SELECT totp_required FROM role_policies WHERE role = 'dispatcher'`)).toEqual([{ totp_required: true }]);
      const [entry] = await t.ds.query(`SELECT actor_username, target, result FROM audit_log WHERE action = 'security.role_policy'`);
      expect(entry).toEqual({ actor_username: 'demo.admin', target: 'dispatcher', result: 'success' });
      expect((await t.request('PUT', '/api/v1/admin/role-policies/dispatcher', { token: admin, body: { totpRequired: false } })).status).toBe(200);
    });
  });

  describe('separation of duties 三员分立', () => {
    const expectRefused = (res: { status: number; body: Record<string, unknown> }, detail: RegExp) => {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({
        status: 403, code: 'SEPARATION_OF_DUTIES',
        title: 'Separation of duties: this account or role change is not allowed', titleZh: '三员分立：不允许此项账号或角色变更',
      });
      expect(res.body.detail).toMatch(detail);
      expect(res.body.detailZh).toEqual(expect.any(String));
    };

    it('an admin cannot create an auditor account', async () => {
      const res = await t.request('POST', '/api/v1/admin/users', {
        token: admin, body: { username: 'fake.auditor', displayName: '假审计员', role: 'auditor', scopeNodeId: ids['210900'], password: 'Auditor@2026!' },
      });
      expectRefused(res, /auditor role cannot be granted/);
      expect(await t.ds.query(`SELECT id FROM users WHERE username = 'fake.auditor'`)).toEqual([]);
    });

    it('an admin cannot grant the auditor role to another user or to themselves', async () => {
      const grid = await userRow('demo.grid');
      expectRefused(await t.request('PATCH', `/api/v1/admin/users/${await userId('demo.grid')}`, { token: admin, body: { role: 'auditor' } }),
        /auditor role cannot be granted/);
      expect(await userRow('demo.grid')).toEqual(grid);

      const self = await userRow('demo.admin');
      expectRefused(await t.request('PATCH', `/api/v1/admin/users/${await userId('demo.admin')}`, { token: admin, body: { role: 'auditor' } }),
        /auditor role cannot be granted/);
      expect(await userRow('demo.admin')).toEqual(self);
      expect((await t.request('GET', '/api/v1/audit', { token: admin })).status).toBe(403);
    });

    it.each([
      ['remove the auditor role', { role: 'official' }],
      ['reset the password', { password: 'Taken@Over2026' }],
      ['deactivate the account', { active: false }],
      ['reset the second factor', { resetTotp: true }],
      ['clear a lockout', { unlock: true }],
      ['rename the account', { displayName: '改名' }],
      ['move the scope', { scopeNodeId: 'SCOPE' }],
      ['send an empty change', {}],
    ])('an admin cannot change an auditor account: %s', async (_what, patch) => {
      const body: Record<string, unknown> = { ...patch };
      if (body.scopeNodeId) body.scopeNodeId = ids['210902'];
      const before = await userRow('demo.auditor');
      const sessions = await t.ds.query(`SELECT count(*)::int AS n FROM refresh_tokens r JOIN users u ON u.id = r.user_id
        WHERE u.username = 'demo.auditor' AND r.revoked_at IS NULL`);
      const res = await t.request('PATCH', `/api/v1/admin/users/${await userId('demo.auditor')}`, { token: admin, body });
      expectRefused(res, /cannot change, reset or deactivate an auditor account/);
      expect(await userRow('demo.auditor')).toEqual(before);
      expect(await t.ds.query(`SELECT count(*)::int AS n FROM refresh_tokens r JOIN users u ON u.id = r.user_id
        WHERE u.username = 'demo.auditor' AND r.revoked_at IS NULL`)).toEqual(sessions);
    });

    it('the seeded auditor keeps their password and still reads the audit log; the admin still cannot', async () => {
      const auditor = await t.login('demo.auditor', DEMO_PASSWORD);
      expect((await t.request('GET', '/api/v1/audit?limit=5', { token: auditor })).status).toBe(200);
      expect((await t.request('GET', '/api/v1/audit?limit=5', { token: admin })).status).toBe(403);
      expect((await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.auditor', password: 'Taken@Over2026' } })).status).toBe(401);
    });

    it('nobody changes their own role; other edits of oneself and role changes of others still work', async () => {
      const before = await userRow('hz.admin');
      expectRefused(await t.request('PATCH', `/api/v1/admin/users/${hzAdminId}`, { token: hzAdmin, body: { role: 'dispatcher' } }), /your own role/);
      expect(await userRow('hz.admin')).toEqual(before);
      expectRefused(await t.request('PATCH', `/api/v1/admin/users/${await userId('demo.admin')}`, { token: admin, body: { role: 'official' } }), /your own role/);
      expect((await userRow('demo.admin')).role).toBe('admin');

      const same = await t.request('PATCH', `/api/v1/admin/users/${hzAdminId}`, { token: hzAdmin, body: { role: 'admin', displayName: '海州区系统管理员' } });
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({ role: 'admin', displayName: '海州区系统管理员' });

      const official = await t.request('PATCH', `/api/v1/admin/users/${await userId('demo.official')}`, { token: admin, body: { role: 'dispatcher' } });
      expect(official.status).toBe(200);
      expect(official.body.role).toBe('dispatcher');
      // The city admin may also change a district admin's role (not their own).
      const demoted = await t.request('PATCH', `/api/v1/admin/users/${hzAdminId}`, { token: admin, body: { role: 'official' } });
      expect(demoted.status).toBe(200);
      expect(demoted.body.role).toBe('official');
    });

    it('bad input on these paths is a 400, not a 500', async () => {
      const auditorId = await userId('demo.auditor');
      for (const body of [{ role: 'overlord' }, { role: ['auditor'] }, { active: 'no' }, { role: 'auditor', extra: 1 }]) {
        const res = await t.request('PATCH', `/api/v1/admin/users/${auditorId}`, { token: admin, body });
        expect([JSON.stringify(body), res.status, res.body.code]).toEqual([JSON.stringify(body), 400, 'VALIDATION_FAILED']);
      }
    });
  });
});
