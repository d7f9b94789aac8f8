import { randomBytes } from 'node:crypto';
import { generateSync } from 'otplib';
import { DEMO_PASSWORD, DEMO_USERS } from '../../src/database/seeds/demo-city';
import { hashPassword } from '../../src/modules/auth/password.service';
import { createTestApp, type TestApp } from '../support/test-app';

describe('authentication 认证', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp(); });
  afterAll(async () => { await t.close(); });

  it.each(DEMO_USERS.map((u) => [u.username, u.role]))('%s logs in and gets role, scope node and unit', async (username, role) => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: { username, password: 'Demo@2026!' } });
    expect(res.status).toBe(200);
    expect(res.body.tokenType).toBe('Bearer');
    expect(res.body.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(res.body.refreshToken.length).toBeGreaterThan(30);
    expect(res.body.user).toMatchObject({ username, role });
    expect(res.body.user.scopeNodeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.user.scopeNodeName).toBeTruthy();
    expect(res.body.user).not.toHaveProperty('passwordHash');
    if (role === 'handler') expect(res.body.user.unitName).toBe('阜新市市政设施服务中心');
    const me = await t.request('GET', '/api/v1/auth/me', { token: res.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(username);
  });

  it('a wrong password is a 401 problem+json', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.official', password: 'Wrong@2026!' } });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS', title: 'Wrong username or password', titleZh: '用户名或密码错误' });
    expect(res.body.requestId).toBeTruthy();
  });

  it('an unknown user gets the same 401 as a wrong password', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: { username: 'nobody.here', password: 'Wrong@2026!' } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('anonymous and forged-token calls are 401', async () => {
    const anon = await t.request('GET', '/api/v1/units');
    expect(anon.status).toBe(401);
    expect(anon.body.code).toBe('INVALID_TOKEN');
    const forged = await t.request('GET', '/api/v1/units', { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' });
    expect(forged.status).toBe(401);
  });

  it('locks the account after 5 failures for the configured time, even for the right password', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.auditor', password: `Bad@pass${i}x` } });
      expect(r.status).toBe(401);
    }
    const fifth = await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.auditor', password: 'Bad@pass5x' } });
    expect(fifth.status).toBe(423);
    expect(fifth.body.code).toBe('ACCOUNT_LOCKED');
    const right = await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.auditor', password: 'Demo@2026!' } });
    expect(right.status).toBe(423);
    const [row] = await t.ds.query(`SELECT extract(epoch FROM locked_until - now()) AS secs FROM users WHERE username = 'demo.auditor'`);
    expect(Number(row.secs)).toBeGreaterThan(14 * 60);
    expect(Number(row.secs)).toBeLessThanOrEqual(15 * 60);
    // 15 minutes later (moved in the database rather than waited for) the right password works again.
    await t.ds.query(`UPDATE users SET locked_until = now() - interval '1 second' WHERE username = 'demo.auditor'`);
    const later = await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.auditor', password: 'Demo@2026!' } });
    expect(later.status).toBe(200);
    const audit = await t.ds.query(`SELECT action, result FROM audit_log WHERE actor_username = 'demo.auditor' ORDER BY id`);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['auth.login', 'auth.lockout']));
  });

  it('rotates refresh tokens, detects reuse and revokes the family; logout revokes', async () => {
    const login = await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.dispatcher', password: 'Demo@2026!' } });
    const first = login.body.refreshToken as string;
    const r1 = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: first } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(first);
    expect(r1.body.user.username).toBe('demo.dispatcher');
    const me = await t.request('GET', '/api/v1/auth/me', { token: r1.body.accessToken });
    expect(me.status).toBe(200);
    // Reusing the first (already rotated) token is theft: 401 and the whole family dies, successor included.
    const reuse = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: first } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('REFRESH_REUSED');
    const successor = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: r1.body.refreshToken } });
    expect(successor.status).toBe(401);
    expect(successor.body.code).toBe('REFRESH_INVALID');

    const second = await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.dispatcher', password: 'Demo@2026!' } });
    const out = await t.request('POST', '/api/v1/auth/logout', { body: { refreshToken: second.body.refreshToken } });
    expect(out.status).toBe(204);
    const after = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } });
    expect(after.status).toBe(401);
    const garbage = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } });
    expect(garbage.status).toBe(401);
  });

  it('access tokens expire', async () => {
    const short = await createTestApp({ env: { JWT_ACCESS_TTL_SECONDS: '60' }, seed: true });
    try {
      const token = await short.login('demo.grid');
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
      expect(payload.exp - payload.iat).toBe(60);
    } finally {
      await short.close();
    }
  });

  it('TOTP: an admin requires it for a role; users enrol, then need a code at login', async () => {
    const admin = await t.login('demo.admin');
    const policy = await t.request('PUT', '/api/v1/admin/role-policies/official', { token: admin, body: { totpRequired: true } });
    expect(policy.status).toBe(200);
    const bad = await t.request('PUT', '/api/v1/admin/role-policies/overlord', { token: admin, body: { totpRequired: true } });
    expect(bad.status).toBe(400);

    const login = await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.official', password: 'Demo@2026!' } });
    expect(login.status).toBe(200);
    expect(login.body.user.totpEnrolmentRequired).toBe(true);
    const limited = login.body.accessToken as string;
    const blocked = await t.request('GET', '/api/v1/grid-nodes/mine', { token: limited });
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe('TOTP_ENROLMENT_REQUIRED');

    const enrol = await t.request('POST', '/api/v1/auth/totp/enrol', { token: limited });
    expect(enrol.status).toBe(200);
    expect(enrol.body.otpauthUrl).toContain('otpauth://totp/');
    const wrong = await t.request('POST', '/api/v1/auth/totp/confirm', { token: limited, body: { code: '000000' } });
    expect(wrong.status).toBe(401);
    const confirm = await t.request('POST', '/api/v1/auth/totp/confirm', { token: limited, body: { code: generateSync({ secret: enrol.body.secret }) } });
    expect(confirm.status).toBe(200);
    expect(confirm.body.user.totpEnabled).toBe(true);
    const full = await t.request('GET', '/api/v1/grid-nodes/mine', { token: confirm.body.accessToken });
    expect(full.status).toBe(200);

    const [stored] = await t.ds.query(`SELECT totp_secret FROM users WHERE username = 'demo.official'`);
    expect(stored.totp_secret).not.toContain(enrol.body.secret);

    const noCode = await t.request('POST', '/api/v1/auth/login', { body: { username: 'demo.official', password: 'Demo@2026!' } });
    expect(noCode.status).toBe(401);
    expect(noCode.body.code).toBe('TOTP_REQUIRED');
    const withCode = await t.request('POST', '/api/v1/auth/login', {
      body: { username: 'demo.official', password: 'Demo@2026!', totpCode: generateSync({ secret: enrol.body.secret }) },
    });
    expect(withCode.status).toBe(200);
    expect(withCode.body.user.totpEnrolmentRequired).toBe(false);
  });

  it('enforces password rules on creation and change', async () => {
    const admin = await t.login('demo.admin');
    const [node] = await t.ds.query(`SELECT id FROM grid_nodes WHERE code = '210902'`);
    const weak = await t.request('POST', '/api/v1/admin/users', {
      token: admin, body: { username: 'weak.user', displayName: '弱密码', role: 'official', scopeNodeId: node.id, password: 'password' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('PASSWORD_TOO_WEAK');
    const grid = await t.login('demo.grid');
    const change = await t.request('POST', '/api/v1/auth/password', { token: grid, body: { currentPassword: 'Demo@2026!', newPassword: 'short' } });
    expect(change.status).toBe(400);
    const ok = await t.request('POST', '/api/v1/auth/password', { token: grid, body: { currentPassword: 'Demo@2026!', newPassword: 'New-Pass-2026' } });
    expect(ok.status).toBe(204);
    await expect(t.login('demo.grid', 'New-Pass-2026')).resolves.toEqual(expect.any(String));
  });
});

/** Demo accounts (`is_demo`, seeded here as by `npm run demo`) must not work in production mode. */
describe('demo accounts in production mode 生产模式下的演示账号', () => {
  let p: TestApp;
  beforeAll(async () => {
    p = await createTestApp({ env: { APP_MODE: 'production', JWT_SECRET: randomBytes(32).toString('base64url'), PII_KEY: randomBytes(32).toString('base64') } });
    await p.ds.query(
      `INSERT INTO users (username, display_name, role, scope_node_id, password_hash)
       SELECT 'city.admin', '市管理员', 'admin', id, $1 FROM grid_nodes WHERE code = '210900'`, [await hashPassword('Prod@Admin2026')]);
  });
  afterAll(async () => { await p.close(); });

  it('runs in production mode', () => {
    expect(p.config.mode).toBe('production');
  });

  it.each(DEMO_USERS.map((u) => [u.username]))('%s is refused with the 401 of a wrong password, audited', async (username) => {
    const demo = await p.request('POST', '/api/v1/auth/login', { body: { username, password: DEMO_PASSWORD } });
    const wrong = await p.request('POST', '/api/v1/auth/login', { body: { username: 'nobody.here', password: 'Wrong@2026!' } });
    expect(demo.status).toBe(401);
    expect(demo.headers['content-type']).toContain('application/problem+json');
    expect(demo.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
    const shape = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(shape(demo.body)).toEqual(shape(wrong.body));
    expect(demo.body).not.toHaveProperty('accessToken');
    const [entry] = await p.ds.query(
      `SELECT action, result, details->>'reason' AS reason FROM audit_log WHERE actor_username = $1 ORDER BY id DESC LIMIT 1`, [username]);
    expect(entry).toEqual({ action: 'auth.login', result: 'failure', reason: 'demo_account' });
  });

  it('refusals count no failures (a demo account is never locked: it does not exist here)', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await p.request('POST', '/api/v1/auth/login', { body: { username: 'demo.dispatcher', password: i % 2 ? DEMO_PASSWORD : 'Wrong@2026!' } });
      expect([i, res.status, res.body.code]).toEqual([i, 401, 'INVALID_CREDENTIALS']);
    }
    expect(await p.ds.query(`SELECT failed_logins, locked_until FROM users WHERE username = 'demo.dispatcher'`)).toEqual([{ failed_logins: 0, locked_until: null }]);
    expect(await p.ds.query(`SELECT count(*)::int AS n FROM refresh_tokens r JOIN users u ON u.id = r.user_id WHERE u.is_demo`)).toEqual([{ n: 0 }]);
  });

  it('a real account logs in; a session of an account marked demo cannot be refreshed', async () => {
    const login = await p.request('POST', '/api/v1/auth/login', { body: { username: 'city.admin', password: 'Prod@Admin2026' } });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ username: 'city.admin', role: 'admin' });
    await p.ds.query(`UPDATE users SET is_demo = true WHERE username = 'city.admin'`);
    try {
      const refresh = await p.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
      expect(refresh.status).toBe(401);
      expect(refresh.body.code).toBe('REFRESH_INVALID');
      expect(await p.ds.query(`SELECT count(*)::int AS n FROM refresh_tokens r JOIN users u ON u.id = r.user_id
        WHERE u.username = 'city.admin' AND r.revoked_at IS NULL`)).toEqual([{ n: 0 }]);
      const [entry] = await p.ds.query(`SELECT result, details->>'reason' AS reason FROM audit_log WHERE action = 'auth.refresh' ORDER BY id DESC LIMIT 1`);
      expect(entry).toEqual({ result: 'failure', reason: 'demo_account' });
    } finally {
      await p.ds.query(`UPDATE users SET is_demo = false WHERE username = 'city.admin'`);
    }
  });
});
