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
