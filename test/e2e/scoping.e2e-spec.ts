import { createTestApp, type TestApp } from '../support/test-app';

/** Scoping across two districts: 海州区 (the demo users) and 细河区 (a dispatcher created here). */
describe('scoping 数据范围', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let hz: string;
  let xh: string;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    const nodes: Array<{ code: string; id: string }> = await t.ds.query(`SELECT code, id FROM grid_nodes`);
    const units: Array<{ code: string; id: string }> = await t.ds.query(`SELECT code, id FROM units`);
    ids = Object.fromEntries([...nodes.map((n) => [n.code, n.id]), ...units.map((u) => [u.code, u.id])]);
    admin = await t.login('demo.admin');
    const created = await t.request('POST', '/api/v1/admin/users', {
      token: admin,
      body: { username: 'xh.dispatcher', displayName: '细河区调度员', role: 'dispatcher', scopeNodeId: ids['210911'], unitId: ids['XH-CC'], password: 'Xihe@2026!!' },
    });
    expect(created.status).toBe(201);
    hz = await t.login('demo.dispatcher');
    xh = await t.login('xh.dispatcher', 'Xihe@2026!!');
  });
  afterAll(async () => { await t.close(); });

  it('each dispatcher sees nodes of their own district', async () => {
    expect((await t.request('GET', `/api/v1/grid-nodes/${ids['210902001']}`, { token: hz })).status).toBe(200);
    expect((await t.request('GET', `/api/v1/grid-nodes/${ids['210911001']}`, { token: xh })).status).toBe(200);
  });

  it("another district's objects are 404, not 403 (their existence is not revealed)", async () => {
    const a = await t.request('GET', `/api/v1/grid-nodes/${ids['210911001']}`, { token: hz });
    expect(a.status).toBe(404);
    expect(a.body.code).toBe('NODE_NOT_FOUND');
    expect((await t.request('GET', `/api/v1/grid-nodes/${ids['210902001']}`, { token: xh })).status).toBe(404);
    expect((await t.request('GET', `/api/v1/grid-nodes/${ids['210911']}/children`, { token: hz })).status).toBe(404);
    expect((await t.request('GET', `/api/v1/units/${ids['XH-CC']}`, { token: hz })).status).toBe(404);
    // Nodes above one's scope are outside it too.
    expect((await t.request('GET', `/api/v1/grid-nodes/${ids['210900']}`, { token: hz })).status).toBe(404);
  });

  it('children and units are filtered by scope', async () => {
    const kids = await t.request('GET', `/api/v1/grid-nodes/${ids['210902001']}/children`, { token: hz });
    expect(kids.body.map((n: { code: string }) => n.code)).toEqual(['210902001001', '210902001002']);
    const hzUnits = (await t.request('GET', '/api/v1/units', { token: hz })).body.map((u: { code: string }) => u.code);
    expect(hzUnits).toEqual(expect.arrayContaining(['FX-SZSS', 'HZ-CC', 'HZ-ZQ-TJW']));
    expect(hzUnits).not.toContain('XH-CC');
    const xhUnits = (await t.request('GET', '/api/v1/units', { token: xh })).body.map((u: { code: string }) => u.code);
    expect(xhUnits).toEqual(expect.arrayContaining(['FX-SZSS', 'XH-CC']));
    expect(xhUnits).not.toContain('HZ-CC');
  });

  it('a grid worker sees only their grid', async () => {
    const grid = await t.login('demo.grid');
    const mine = await t.request('GET', '/api/v1/grid-nodes/mine', { token: grid });
    expect(mine.body.code).toBe('210902001001001');
    expect((await t.request('GET', `/api/v1/grid-nodes/${ids['210902001001002']}`, { token: grid })).status).toBe(404);
  });

  it("an admin scoped to one district cannot manage another district's nodes or users", async () => {
    const made = await t.request('POST', '/api/v1/admin/users', {
      token: admin,
      body: { username: 'hz.admin', displayName: '海州区管理员', role: 'admin', scopeNodeId: ids['210902'], password: 'Haizhou@2026!' },
    });
    expect(made.status).toBe(201);
    const hzAdmin = await t.login('hz.admin', 'Haizhou@2026!');
    const before = await t.ds.query(`SELECT count(*)::int AS n FROM grid_nodes`);
    const node = await t.request('POST', '/api/v1/admin/grid-nodes', {
      token: hzAdmin, body: { parentId: ids['210911001'], code: '210911001099', name: '越权社区', level: 'community' },
    });
    expect(node.status).toBe(404);
    const xhUser = (await t.request('GET', '/api/v1/admin/users?role=dispatcher', { token: admin })).body
      .find((u: { username: string }) => u.username === 'xh.dispatcher');
    const patch = await t.request('PATCH', `/api/v1/admin/users/${xhUser.id}`, { token: hzAdmin, body: { active: false } });
    expect(patch.status).toBe(404);
    const rename = await t.request('PATCH', `/api/v1/admin/grid-nodes/${ids['210911001']}`, { token: hzAdmin, body: { name: '改名' } });
    expect(rename.status).toBe(404);
    expect((await t.ds.query(`SELECT name FROM grid_nodes WHERE code = '210911001'`))[0].name).toBe('四合街道');
    const own = await t.request('PATCH', `/api/v1/admin/grid-nodes/${ids['210902001']}`, { token: hzAdmin, body: { name: '站前街道办事处' } });
    expect(own.status).toBe(200);
    expect(own.body.name).toBe('站前街道办事处');
    const listed = (await t.request('GET', '/api/v1/admin/users', { token: hzAdmin })).body.map((u: { username: string }) => u.username);
    expect(listed).not.toContain('xh.dispatcher');
    expect(listed).toContain('demo.dispatcher');
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM grid_nodes`)).toEqual(before);
    expect((await t.request('POST', '/api/v1/auth/login', { body: { username: 'xh.dispatcher', password: 'Xihe@2026!!' } })).status).toBe(200);
  });

  it('admins manage the tree, units and users within scope; deactivation ends sessions', async () => {
    const node = await t.request('POST', '/api/v1/admin/grid-nodes', {
      token: admin, body: { parentId: ids['210911001001'], code: '210911001001001', name: '四合社区第一网格', level: 'grid', lat: 42.0, lng: 121.6,
        polygon: { type: 'Polygon', coordinates: [[[121.6, 42.0], [121.61, 42.0], [121.61, 42.01], [121.6, 42.0]]] } },
    });
    expect(node.status).toBe(201);
    expect(node.body).toMatchObject({ code: '210911001001001', depth: 4, path: '210900.210911.210911001.210911001001.210911001001001', hasPolygon: true });
    const dup = await t.request('POST', '/api/v1/admin/grid-nodes', {
      token: admin, body: { parentId: ids['210911001001'], code: '210911001001001', name: '重复', level: 'grid' },
    });
    expect(dup.status).toBe(409);
    const unit = await t.request('POST', '/api/v1/admin/units', {
      token: admin, body: { code: 'XH-WATER', nameZh: '细河区供水站', nameEn: 'Xihe Water Station', type: 'utility', jurisdictionNodeId: ids['210911'] },
    });
    expect(unit.status).toBe(201);
    expect((await t.request('GET', `/api/v1/units/${unit.body.id}`, { token: hz })).status).toBe(404);
    const handlerNoUnit = await t.request('POST', '/api/v1/admin/users', {
      token: admin, body: { username: 'xh.handler', displayName: '承办人', role: 'handler', scopeNodeId: ids['210911'], password: 'Handler@2026!' },
    });
    expect(handlerNoUnit.status).toBe(400);
    expect(handlerNoUnit.body.code).toBe('UNIT_REQUIRED');

    const users = (await t.request('GET', '/api/v1/admin/users', { token: admin })).body as Array<{ id: string; username: string }>;
    const target = users.find((u) => u.username === 'xh.dispatcher')!;
    const login = await t.request('POST', '/api/v1/auth/login', { body: { username: 'xh.dispatcher', password: 'Xihe@2026!!' } });
    const off = await t.request('PATCH', `/api/v1/admin/users/${target.id}`, { token: admin, body: { active: false } });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: login.body.refreshToken } })).status).toBe(401);
    expect((await t.request('POST', '/api/v1/auth/login', { body: { username: 'xh.dispatcher', password: 'Xihe@2026!!' } })).status).toBe(401);
  });

  it('imports a grid tree from CSV, all rows or none', async () => {
    const csv = 'code,parent_code,name,level,lat,lng\n210903001,210903,新邱街道,street,,\n210903001001,210903001,新邱社区,community,42.08,121.79\n';
    const ok = await t.request('POST', '/api/v1/admin/grid-nodes/import', { token: admin, raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ created: 2 });
    const [row] = await t.ds.query(`SELECT path::text FROM grid_nodes WHERE code = '210903001001'`);
    expect(row.path).toBe('210900.210903.210903001.210903001001');

    const before = await t.ds.query(`SELECT count(*)::int AS n FROM grid_nodes`);
    const bad = 'code,parent_code,name,level\n210904001,210904,太平街道,street\n210904001001,999999,孤儿社区,community\n';
    const res = await t.request('POST', '/api/v1/admin/grid-nodes/import', { token: admin, raw: bad, headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('IMPORT_INVALID');
    expect(res.body.errors[0].field).toBe('line 3: parent_code');
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM grid_nodes`)).toEqual(before);
  });
});
