import { CATALOGUE_CSV_COLUMNS } from '../../src/modules/catalogue/catalogue-csv';
import { CatalogueService } from '../../src/modules/catalogue/catalogue.service';
import { inProgressTicket } from '../support/sla';
import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, fileTicket, mustAct } from '../support/tickets';

const HEADER = CATALOGUE_CSV_COLUMNS.join(',');
const csvRow = (v: Partial<Record<(typeof CATALOGUE_CSV_COLUMNS)[number], string>>) => CATALOGUE_CSV_COLUMNS.map((c) => v[c] ?? '').join(',');
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n');
const standard = (code = 'standard') => ({
  code, nameZh: '一般办理', nameEn: 'Standard', filingConditionZh: '居民申请', closingConditionZh: '已办结',
  priority: 'normal', clockType: 'working_days', resolveLimitDays: 5, startNextWorkingDay: true, defaultUnitType: 'service_centre',
});

/** SPEC §4: the catalogue is versioned data; the demo catalogue; admin edits and imports. */
describe('catalogue 类别目录', () => {
  let t: TestApp;
  let admin: string;
  let grid: string;
  const counts = async () => (await t.ds.query(
    `SELECT (SELECT count(*) FROM categories)::int AS categories, (SELECT count(*) FROM case_standards)::int AS standards`))[0];

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.login('demo.admin');
    grid = await t.login('demo.grid');
  });
  afterAll(async () => { await t.close(); });

  it('lists the five platforms, each with its attribute schema', async () => {
    const res = await t.request('GET', '/api/v1/platforms', { token: grid });
    expect(res.status).toBe(200);
    expect(res.body.map((p: { code: string }) => p.code)).toEqual(['community_governance', 'dispute_resolution', 'request_handling', 'convenience_services', 'party_building']);
    expect(res.body[0]).toEqual({ code: 'community_governance', nameZh: '社区治理', nameEn: 'Community Governance', sort: 1 });
    const dr = await t.request('GET', '/api/v1/platforms/dispute_resolution', { token: grid });
    expect(dr.status).toBe(200);
    expect(dr.body.attributes.find((a: { code: string }) => a.code === 'parties')).toMatchObject({ type: 'parties', required: true, personal: true });
    const missing = await t.request('GET', '/api/v1/platforms/nowhere', { token: grid });
    expect([missing.status, missing.body.code]).toEqual([404, 'PLATFORM_NOT_FOUND']);
  });

  it('has the demo manhole covers 0101–0114 with their missing and damaged standards', async () => {
    const res = await t.request('GET', '/api/v1/categories/0101', { token: grid });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: '0101', version: 1, platform: 'community_governance', level: 'minor', parentCode: '01', nameZh: '上水井盖', current: true });
    const byCode = Object.fromEntries(res.body.standards.map((s: { code: string }) => [s.code, s]));
    expect(byCode.missing).toMatchObject({ nameZh: '缺失', priority: 'urgent', clockType: 'natural', resolveLimitSeconds: 14400, resolveLimitDays: null, defaultUnitType: 'bureau' });
    expect(byCode.damaged).toMatchObject({ priority: 'normal', clockType: 'working_hours', resolveLimitSeconds: 57600 });
    const cg = (await t.request('GET', '/api/v1/categories?platform=community_governance', { token: grid })).body as Array<{ code: string; standards: Array<{ code: string }> }>;
    const covers = cg.filter((c) => /^01(0[1-9]|1[0-4])$/.test(c.code));
    expect(covers).toHaveLength(14);
    for (const c of covers) expect(c.standards.map((s) => s.code).sort()).toEqual(['damaged', 'missing']);
    expect(cg.filter((c) => ['01', '02', '03', '04', '05', '06', 'SJ01', 'SJ02', 'SJ03', 'SJ04', 'SJ05'].includes(c.code))).toHaveLength(11);
  });

  it('has at least five categories on every other platform, in working days where SPEC says so', async () => {
    for (const platform of ['dispute_resolution', 'request_handling', 'convenience_services', 'party_building']) {
      const res = await t.request('GET', `/api/v1/categories?platform=${platform}`, { token: grid });
      expect(res.status).toBe(200);
      expect(res.body.length).toBeGreaterThanOrEqual(5);
      expect(res.body.every((c: { platform: string; current: boolean }) => c.platform === platform && c.current)).toBe(true);
    }
    const dr01 = (await t.request('GET', '/api/v1/categories/DR01', { token: grid })).body;
    expect(dr01.standards.find((s: { code: string }) => s.code === 'mediation')).toMatchObject({ clockType: 'natural', resolveLimitSeconds: 30 * 86400 });
    const cs01 = (await t.request('GET', '/api/v1/categories/CS01', { token: grid })).body;
    expect(cs01.materials).toEqual(expect.arrayContaining(['居民身份证', '户口簿']));
    const rh01 = (await t.request('GET', '/api/v1/categories/RH01', { token: grid })).body;
    expect(rh01.standards.find((s: { code: string }) => s.code === 'standard')).toMatchObject({ resolveLimitDays: 5, startNextWorkingDay: true });
  });

  it('the catalogue service serves the tickets module by code and by version id', async () => {
    const svc = t.app.get(CatalogueService);
    const c = await svc.currentCategory('0105');
    expect(c?.standards.find((s) => s.code === 'missing')?.resolveLimitSeconds).toBe(14400);
    expect((await svc.categoryById(c!.id))?.code).toBe('0105');
    expect(await svc.currentCategory('nope')).toBeUndefined();
    expect(await svc.currentCategory("x' OR 1=1")).toBeUndefined();
    expect(await svc.categoryById('not-a-uuid')).toBeUndefined();
    expect((await svc.listCategories({ platform: 'party_building' })).length).toBeGreaterThanOrEqual(5);
  });

  it('an admin edit writes version 2; version 1 and its standards stay readable and unchanged', async () => {
    const v1 = (await t.request('GET', '/api/v1/categories/0102', { token: grid })).body;
    const res = await t.request('PUT', '/api/v1/admin/categories/0102', {
      token: admin,
      body: {
        expectedVersion: 1, nameEn: 'Sewer manhole cover',
        standards: [...v1.standards.map(({ id: _id, ...s }: { id: string }) => s).filter((s: { code: string }) => s.code !== 'missing'),
          { ...v1.standards.find((s: { code: string }) => s.code === 'missing'), id: undefined, resolveLimitSeconds: 7200 }],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: '0102', version: 2, current: true, nameEn: 'Sewer manhole cover', supersededAt: null });
    expect(res.body.id).not.toBe(v1.id);
    expect(res.body.standards.find((s: { code: string }) => s.code === 'missing').resolveLimitSeconds).toBe(7200);

    const old = await t.request('GET', '/api/v1/categories/0102?version=1', { token: grid });
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({ id: v1.id, version: 1, current: false, nameEn: v1.nameEn, standards: v1.standards });
    expect(old.body.supersededAt).not.toBeNull();
    expect((await t.request('GET', '/api/v1/categories/0102', { token: grid })).body.version).toBe(2);
    const history = (await t.request('GET', '/api/v1/categories?platform=community_governance&includeSuperseded=true', { token: grid })).body;
    expect(history.filter((c: { code: string }) => c.code === '0102').map((c: { version: number }) => c.version)).toEqual([1, 2]);

    // Standards are copied when the edit leaves them out; a stale expectedVersion is a conflict.
    const rename = await t.request('PUT', '/api/v1/admin/categories/0102', { token: admin, body: { nameZh: '污水井盖（排水）' } });
    expect(rename.body.version).toBe(3);
    expect(rename.body.standards.map((s: { code: string }) => s.code).sort()).toEqual(['damaged', 'missing']);
    const stale = await t.request('PUT', '/api/v1/admin/categories/0102', { token: admin, body: { expectedVersion: 1, nameZh: 'x' } });
    expect([stale.status, stale.body.code]).toEqual([409, 'CATEGORY_VERSION_CONFLICT']);
    // The database itself refuses to rewrite a version.
    await expect(t.ds.query(`UPDATE case_standards SET resolve_limit_seconds = 1 WHERE category_id = $1`, [v1.id])).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`UPDATE categories SET name_zh = 'x' WHERE id = $1`, [v1.id])).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`UPDATE categories SET superseded_at = NULL WHERE id = $1`, [v1.id])).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`DELETE FROM categories WHERE id = $1`, [v1.id])).rejects.toThrow(/immutable/);
  });

  it('a ticket keeps the standard of the version it was filed under; a 细类 below a 小类 can be filed', async () => {
    const [dispatcher, handler] = await Promise.all(['demo.dispatcher', 'demo.handler'].map((u) => t.login(u)));
    const tokens = { grid, dispatcher, handler };
    const [unit] = await t.ds.query(`SELECT id FROM units WHERE code = 'FX-SZSS'`);
    const resolveLimit = (signed: { clocks: Array<{ stage: string; state: string; startedAt: string; deadline: string }> }) => {
      const clock = signed.clocks.find((c) => c.stage === 'resolve' && c.state === 'running')!;
      return (Date.parse(clock.deadline) - Date.parse(clock.startedAt)) / 1000;
    };
    // Filed under 0104 version 1 (缺失: 4 hours, natural time), handled after an edit to 2 hours.
    const filedBefore = await fileTicket(t, grid, { ...MANHOLE, categoryCode: '0104', title: '燃气井盖缺失' });
    expect(filedBefore.status).toBe(201);
    const v1 = (await t.request('GET', '/api/v1/categories/0104', { token: grid })).body;
    const missing = v1.standards.find((s: { code: string }) => s.code === 'missing');
    expect(missing.resolveLimitSeconds).toBe(4 * 3600);
    const edit = await t.request('PUT', '/api/v1/admin/categories/0104', {
      token: admin,
      body: { expectedVersion: v1.version, standards: v1.standards.map(({ id: _id, ...st }: { id: string; code: string }) => (st.code === 'missing' ? { ...st, resolveLimitSeconds: 7200 } : st)) },
    });
    expect(edit.status).toBe(200);
    const id = filedBefore.body.id as string;
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: unit.id });
    expect(resolveLimit(await mustAct(t, handler, id, 'sign'))).toBe(4 * 3600);
    const after = await inProgressTicket(t, tokens, unit.id, { categoryCode: '0104', title: '燃气井盖又缺失' });
    expect(resolveLimit(after.signed)).toBe(2 * 3600);

    // A 细类 (detail level) under 0104 with its own standard: filed and clocked like any category.
    const detail = await t.request('POST', '/api/v1/admin/categories', {
      token: admin,
      body: {
        code: '010401', platform: 'community_governance', level: 'detail', parentCode: '0104', nameZh: '燃气井盖（主干道）', nameEn: 'Gas manhole cover (arterial road)',
        standards: [{ ...missing, id: undefined, resolveLimitSeconds: 3600 }],
      },
    });
    expect(detail.status).toBe(201);
    expect(detail.body).toMatchObject({ code: '010401', level: 'detail', parentCode: '0104' });
    const onArterial = await inProgressTicket(t, tokens, unit.id, { categoryCode: '010401', title: '主干道燃气井盖缺失' });
    expect(resolveLimit(onArterial.signed)).toBe(3600);
  });

  it('creates categories under a parent of the same platform', async () => {
    const made = await t.request('POST', '/api/v1/admin/categories', {
      token: admin, body: { code: 'CS0601', platform: 'convenience_services', level: 'minor', parentCode: 'CS06', nameZh: '无犯罪记录证明帮办', nameEn: 'Criminal record certificate', materials: ['居民身份证'], standards: [standard()] },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ code: 'CS0601', version: 1, materials: ['居民身份证'], standards: [{ code: 'standard', resolveLimitDays: 5 }] });
    const again = await t.request('POST', '/api/v1/admin/categories', {
      token: admin, body: { code: 'CS0601', platform: 'convenience_services', level: 'minor', parentCode: 'CS06', nameZh: 'x', nameEn: 'x' },
    });
    expect([again.status, again.body.code]).toEqual([409, 'CATEGORY_CODE_TAKEN']);
    const wrongPlatform = await t.request('POST', '/api/v1/admin/categories', {
      token: admin, body: { code: 'PB0601', platform: 'party_building', level: 'minor', parentCode: 'CS06', nameZh: 'x', nameEn: 'x' },
    });
    expect([wrongPlatform.status, wrongPlatform.body.code]).toEqual([400, 'PARENT_INVALID']);
    const badLimit = await t.request('POST', '/api/v1/admin/categories', {
      token: admin, body: { code: 'CS08', platform: 'convenience_services', level: 'major', nameZh: 'x', nameEn: 'x', standards: [{ ...standard(), resolveLimitDays: null, resolveLimitSeconds: 3600 }] },
    });
    expect([badLimit.status, badLimit.body.code]).toEqual([400, 'STANDARDS_INVALID']);
  });

  it('only admins manage the catalogue; the auditor cannot read it; a district admin cannot change it', async () => {
    for (const username of ['demo.dispatcher', 'demo.handler', 'demo.grid', 'demo.official']) {
      const token = await t.login(username);
      expect((await t.request('GET', '/api/v1/categories', { token })).status).toBe(200);
      const put = await t.request('PUT', '/api/v1/admin/categories/0101', { token, body: { nameZh: '改名' } });
      expect([username, put.status, put.body.code]).toEqual([username, 403, 'PERMISSION_DENIED']);
      const imp = await t.request('POST', '/api/v1/admin/categories/import', { token, raw: HEADER, headers: { 'content-type': 'text/csv' } });
      expect(imp.status).toBe(403);
    }
    const auditor = await t.login('demo.auditor');
    expect((await t.request('GET', '/api/v1/platforms', { token: auditor })).status).toBe(403);
    expect((await t.request('GET', '/api/v1/categories/0101', { token: auditor })).status).toBe(403);

    const hzNode = (await t.ds.query(`SELECT id FROM grid_nodes WHERE code = '210902'`))[0].id;
    expect((await t.request('POST', '/api/v1/admin/users', {
      token: admin, body: { username: 'hz.catadmin', displayName: '海州区管理员', role: 'admin', scopeNodeId: hzNode, password: 'Haizhou@2026!' },
    })).status).toBe(201);
    const hzAdmin = await t.login('hz.catadmin', 'Haizhou@2026!');
    const put = await t.request('PUT', '/api/v1/admin/categories/0101', { token: hzAdmin, body: { nameZh: '改名' } });
    expect([put.status, put.body.code]).toEqual([403, 'CITY_SCOPE_REQUIRED']);
    expect((await t.request('GET', '/api/v1/categories/0101', { token: grid })).body).toMatchObject({ version: 1, nameZh: '上水井盖' });
  });

  it('imports a CSV: new categories, new versions, identical rows left alone', async () => {
    const body = csv(
      csvRow({ platform: 'party_building', code: 'PB06', level: 'major', name_zh: '红色物业', name_en: 'Party-led property services' }),
      csvRow({ platform: 'party_building', code: 'PB0601', level: 'minor', parent_code: 'PB06', name_zh: '楼院议事', name_en: 'Courtyard council',
        standard_code: 'standard', standard_name_zh: '认领办理', standard_name_en: 'Claim', filing_condition_zh: '居民提出楼院公共事务议题',
        closing_condition_zh: '议事形成决议并公示', priority: 'normal', clock_type: 'working_days', resolve_limit_days: '10', start_next_working_day: 'true', default_unit_type: 'party_branch' }),
      csvRow({ platform: 'community_governance', code: '0103', level: 'minor', parent_code: '01', name_zh: '雨水井盖', name_en: 'Storm drain manhole cover',
        standard_code: 'missing', standard_name_zh: '缺失', standard_name_en: 'Missing', filing_condition_zh: '井盖缺失', closing_condition_zh: '已补装',
        priority: 'urgent', clock_type: 'natural', resolve_limit_hours: '2', default_unit_type: 'bureau' }),
    );
    const res = await t.request('POST', '/api/v1/admin/categories/import', { token: admin, raw: body, headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ created: 2, versioned: 1, unchanged: 0 });
    const v2 = (await t.request('GET', '/api/v1/categories/0103', { token: grid })).body;
    expect(v2).toMatchObject({ version: 2, standards: [{ code: 'missing', resolveLimitSeconds: 7200 }] });
    expect((await t.request('GET', '/api/v1/categories/0103?version=1', { token: grid })).body.standards).toHaveLength(2);
    expect((await t.request('GET', '/api/v1/categories/PB0601', { token: grid })).body.parentCode).toBe('PB06');

    const again = await t.request('POST', '/api/v1/admin/categories/import', { token: admin, raw: body, headers: { 'content-type': 'text/csv' } });
    expect(again.body).toEqual({ created: 0, versioned: 0, unchanged: 3 });
  });

  it('a failing import changes nothing and names the lines', async () => {
    const before = await counts();
    const body = csv(
      csvRow({ platform: 'request_handling', code: 'RH06', level: 'major', name_zh: '表扬', name_en: 'Praise' }),
      csvRow({ platform: 'request_handling', code: 'RH0601', level: 'minor', parent_code: 'RH99', name_zh: '表扬信', name_en: 'Letters' }),
      csvRow({ platform: 'party_building', code: '0104', level: 'minor', parent_code: 'PB01', name_zh: '挪平台', name_en: 'Moved' }),
      // A renamed minor category listed without its standards would lose them (and filing under it would stop).
      csvRow({ platform: 'community_governance', code: '0105', level: 'minor', parent_code: '01', name_zh: '热力井盖（改名）', name_en: 'Heating manhole cover' }),
    );
    const res = await t.request('POST', '/api/v1/admin/categories/import', { token: admin, raw: body, headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('CATALOGUE_IMPORT_INVALID');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['line 3: parent_code', 'line 4: code', 'line 5: standards']);
    expect(await counts()).toEqual(before);
    expect((await t.request('GET', '/api/v1/categories/RH06', { token: grid })).status).toBe(404);

    const parseError = await t.request('POST', '/api/v1/admin/categories/import', {
      token: admin, raw: csv(csvRow({ platform: 'request_handling', code: 'RH07', level: 'major', name_zh: '', name_en: 'x' })), headers: { 'content-type': 'text/csv' },
    });
    expect([parseError.status, parseError.body.errors[0].field]).toEqual([400, 'line 2: name_zh']);
    const json = await t.request('POST', '/api/v1/admin/categories/import', { token: admin, body: { csv: HEADER } });
    expect([json.status, json.body.code]).toEqual([400, 'CATALOGUE_IMPORT_INVALID']);
    const nul = await t.request('POST', '/api/v1/admin/categories/import', { token: admin, raw: `${HEADER}\nparty_building,PB07,major,,a\u0000b,x`, headers: { 'content-type': 'text/csv' } });
    expect([nul.status, nul.body.code]).toEqual([400, 'NUL_BYTE']);
    expect(await counts()).toEqual(before);
  });

  const good = () => ({ code: 'PB08', platform: 'party_building', level: 'major', nameZh: '测试', nameEn: 'Test', standards: [standard()] });
  const bad: Array<[string, () => { method?: string; url?: string; body?: unknown; raw?: string }, number, string]> = [
    ['unknown field', () => ({ body: { ...good(), isAdmin: true } }), 400, 'VALIDATION_FAILED'],
    ['unknown field in a standard', () => ({ body: { ...good(), standards: [{ ...standard(), sql: 'x' }] } }), 400, 'VALIDATION_FAILED'],
    ['wrong type', () => ({ body: { ...good(), nameZh: 42 } }), 400, 'VALIDATION_FAILED'],
    ['wrong type of limit', () => ({ body: { ...good(), standards: [{ ...standard(), resolveLimitDays: '5' }] } }), 400, 'VALIDATION_FAILED'],
    ['standards not a list', () => ({ body: { ...good(), standards: 'all' } }), 400, 'VALIDATION_FAILED'],
    ['unknown platform', () => ({ body: { ...good(), platform: 'finance' } }), 400, 'VALIDATION_FAILED'],
    ['unknown priority', () => ({ body: { ...good(), standards: [{ ...standard(), priority: 'asap' }] } }), 400, 'VALIDATION_FAILED'],
    ['NUL byte', () => ({ body: { ...good(), nameZh: 'a\u0000b' } }), 400, 'NUL_BYTE'],
    ['control character', () => ({ body: { ...good(), nameEn: 'a\u0007b' } }), 400, 'VALIDATION_FAILED'],
    ['emoji in a code', () => ({ body: { ...good(), code: 'PB🚧' } }), 400, 'VALIDATION_FAILED'],
    ['SQL in a code', () => ({ body: { ...good(), code: "PB'; DROP TABLE categories; --" } }), 400, 'VALIDATION_FAILED'],
    ['array body', () => ({ body: [good()] }), 400, 'VALIDATION_FAILED'],
    ['major with a parent', () => ({ body: { ...good(), parentCode: 'PB01' } }), 400, 'PARENT_INVALID'],
    ['minor without a parent', () => ({ body: { ...good(), level: 'minor' } }), 400, 'PARENT_INVALID'],
    ['duplicate standard codes', () => ({ body: { ...good(), standards: [standard(), standard()] } }), 400, 'STANDARDS_INVALID'],
    ['edit: bad code in path', () => ({ method: 'PUT', url: '/api/v1/admin/categories/bad%20code', body: { nameZh: 'x' } }), 400, 'CATEGORY_CODE_INVALID'],
    ['edit: unknown code', () => ({ method: 'PUT', url: '/api/v1/admin/categories/ZZ99', body: { nameZh: 'x' } }), 404, 'CATEGORY_NOT_FOUND'],
    ['edit: nothing to change', () => ({ method: 'PUT', url: '/api/v1/admin/categories/0101', body: {} }), 400, 'NOTHING_TO_CHANGE'],
    ['edit: platform is not editable', () => ({ method: 'PUT', url: '/api/v1/admin/categories/0101', body: { platform: 'party_building' } }), 400, 'VALIDATION_FAILED'],
    ['edit: expectedVersion as text', () => ({ method: 'PUT', url: '/api/v1/admin/categories/0101', body: { expectedVersion: '1', nameZh: 'x' } }), 400, 'VALIDATION_FAILED'],
    ['read: bad version', () => ({ method: 'GET', url: '/api/v1/categories/0101?version=abc' }), 400, 'VALIDATION_FAILED'],
    ['read: bad platform filter', () => ({ method: 'GET', url: '/api/v1/categories?platform=x%00' }), 400, 'VALIDATION_FAILED'],
    ['read: unknown query field', () => ({ method: 'GET', url: '/api/v1/categories?admin=1' }), 400, 'VALIDATION_FAILED'],
    ['read: bad code', () => ({ method: 'GET', url: "/api/v1/categories/'%20OR%201=1" }), 400, 'CATEGORY_CODE_INVALID'],
  ];

  it.each(bad)('%s → 4xx problem+json, nothing changed', async (_name, make, status, code) => {
    const before = await counts();
    const c = make();
    const res = await t.request(c.method ?? 'POST', c.url ?? '/api/v1/admin/categories', { token: admin, body: c.body, raw: c.raw });
    expect([res.status, res.body.code]).toEqual([status, code]);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(await counts()).toEqual(before);
  });
});
