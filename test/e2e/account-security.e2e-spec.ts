import { generateSync } from 'otplib';
import { createTestApp, type HttpResponse, type TestApp } from '../support/test-app';
import { codeIds } from '../support/tickets';

/**
 * Account security that admins and users change (docs/architecture.md "Scoping model", docs/operations.md
 * "Security notes"): argon2id hashes; every refresh token of a user dies when an admin changes the user's role,
 * scope, unit or password, or when the user changes their own password; an admin clears a lockout and resets a
 * lost second factor.
 */
describe('account security 账号安全', () => {
  let t: TestApp;
  let admin: string;
  let ids: Record<string, string>;
  let seq = 0;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.login('demo.admin');
    ids = await codeIds(t);
  });
  afterAll(async () => { await t.close(); });

  /** A fresh grid worker in 电务社区第一网格, made through the admin API. */
  async function newUser(password = 'Worker@2026!x'): Promise<{ id: string; username: string; password: string }> {
    const username = `sec.user${++seq}`;
    const res = await t.request('POST', '/api/v1/admin/users', {
      token: admin, body: { username, displayName: `安全测试${seq}`, role: 'grid_worker', scopeNodeId: ids['210902001001001'], password },
    });
    if (res.status !== 201) throw new Error(`create ${username}: ${res.status} ${res.text}`);
    return { id: res.body.id as string, username, password };
  }

  async function login(username: string, password: string, totpCode?: string): Promise<HttpResponse> {
    return t.request('POST', '/api/v1/auth/login', { body: { username, password, ...(totpCode ? { totpCode } : {}) } });
  }

  async function refresh(refreshToken: string): Promise<HttpResponse> {
    return t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
  }

  function expectRefused(res: HttpResponse): void {
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'REFRESH_INVALID' });
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).not.toHaveProperty('accessToken');
  }

  it('stores passwords as argon2id hashes (OWASP parameters), never the password', async () => {
    const user = await newUser('Argon@2026!x');
    const [row] = await t.ds.query(`SELECT password_hash FROM users WHERE id = $1`, [user.id]);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain('Argon@2026!x');
    const [demo] = await t.ds.query(`SELECT password_hash FROM users WHERE username = 'demo.grid'`);
    expect(demo.password_hash).toMatch(/^\$argon2id\$/);
    // A password an admin sets later is hashed the same way.
    expect((await t.request('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin, body: { password: 'Argon@2027!y' } })).status).toBe(200);
    const [changed] = await t.ds.query(`SELECT password_hash FROM users WHERE id = $1`, [user.id]);
    expect(changed.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  describe('refresh tokens die when an admin changes who the user is', () => {
    it.each<[string, () => Record<string, unknown>, string | undefined]>([
      ['role', () => ({ role: 'official' }), undefined],
      ['scope node', () => ({ scopeNodeId: ids['210902001001002'] }), undefined],
      ['unit', () => ({ unitId: ids['HZ-CC'] }), undefined],
      ['password', () => ({ password: 'Changed@2026!z' }), 'Changed@2026!z'],
    ])('%s', async (_what, patch, newPassword) => {
      const user = await newUser();
      // Two devices; the second has already rotated once, so its live token is a successor in the family.
      const a = await login(user.username, user.password);
      const b = await login(user.username, user.password);
      const rotated = await refresh(b.body.refreshToken);
      expect(rotated.status).toBe(200);

      const res = await t.request('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin, body: patch() });
      expect(res.status).toBe(200);

      expectRefused(await refresh(a.body.refreshToken));
      expectRefused(await refresh(rotated.body.refreshToken));
      expect(await t.ds.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, [user.id])).toEqual([{ n: 0 }]);
      // The account itself still works: a new login (with the new password if it changed) gets a new session.
      const again = await login(user.username, newPassword ?? user.password);
      expect(again.status).toBe(200);
      expect((await refresh(again.body.refreshToken)).status).toBe(200);
    });

    it('but not when only the display name changes (the control)', async () => {
      const user = await newUser();
      const a = await login(user.username, user.password);
      const res = await t.request('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin, body: { displayName: '只改名字' } });
      expect(res.status).toBe(200);
      expect((await refresh(a.body.refreshToken)).status).toBe(200);
    });
  });

  it('refresh tokens die when users change their own password, on every device', async () => {
    const user = await newUser();
    const a = await login(user.username, user.password);
    const b = await login(user.username, user.password);
    const change = await t.request('POST', '/api/v1/auth/password', {
      token: a.body.accessToken, body: { currentPassword: user.password, newPassword: 'MyOwn@2026!new' },
    });
    expect(change.status).toBe(204);
    expectRefused(await refresh(a.body.refreshToken));
    expectRefused(await refresh(b.body.refreshToken));
    expect((await login(user.username, user.password)).status).toBe(401);
    expect((await login(user.username, 'MyOwn@2026!new')).status).toBe(200);
  });

  it('an admin clears a lockout: {unlock: true}, and the right password works again at once', async () => {
    const user = await newUser();
    for (let i = 0; i < 4; i++) expect((await login(user.username, `Wrong@pass${i}x`)).status).toBe(401);
    const fifth = await login(user.username, 'Wrong@pass5x');
    expect([fifth.status, fifth.body.code]).toEqual([423, 'ACCOUNT_LOCKED']);
    expect((await login(user.username, user.password)).status).toBe(423);
    // Any other change leaves the lock in place.
    expect((await t.request('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin, body: { displayName: '仍被锁定' } })).status).toBe(200);
    expect((await login(user.username, user.password)).status).toBe(423);

    const unlock = await t.request('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin, body: { unlock: true } });
    expect(unlock.status).toBe(200);
    expect(await t.ds.query(`SELECT failed_logins, locked_until FROM users WHERE id = $1`, [user.id])).toEqual([{ failed_logins: 0, locked_until: null }]);
    expect((await login(user.username, user.password)).status).toBe(200);
    // The failure count starts again from zero: one more wrong password is a 401, not a lock.
    expect((await login(user.username, 'Wrong@pass6x')).status).toBe(401);
    expect((await login(user.username, user.password)).status).toBe(200);
  });

  it('an admin resets a lost second factor: {resetTotp: true}, and the user logs in without a code', async () => {
    const user = await newUser();
    const session = await login(user.username, user.password);
    const enrol = await t.request('POST', '/api/v1/auth/totp/enrol', { token: session.body.accessToken });
    expect(enrol.status).toBe(200);
    const confirm = await t.request('POST', '/api/v1/auth/totp/confirm', { token: session.body.accessToken, body: { code: generateSync({ secret: enrol.body.secret }) } });
    expect(confirm.status).toBe(200);
    const noCode = await login(user.username, user.password);
    expect([noCode.status, noCode.body.code]).toEqual([401, 'TOTP_REQUIRED']);

    const reset = await t.request('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin, body: { resetTotp: true } });
    expect(reset.status).toBe(200);
    // The reset ends the sessions opened with the lost authenticator.
    const stale = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.body.refreshToken } });
    expect([stale.status, stale.body.code]).toEqual([401, 'REFRESH_INVALID']);
    expect(await t.ds.query(`SELECT totp_enabled, totp_secret FROM users WHERE id = $1`, [user.id])).toEqual([{ totp_enabled: false, totp_secret: null }]);
    const plain = await login(user.username, user.password);
    expect(plain.status).toBe(200);
    expect(plain.body.user).toMatchObject({ username: user.username, totpEnabled: false });
    // The old authenticator's codes mean nothing now; the user may enrol again.
    const again = await t.request('POST', '/api/v1/auth/totp/enrol', { token: plain.body.accessToken });
    expect(again.status).toBe(200);
    expect(again.body.secret).not.toBe(enrol.body.secret);
  });
});
