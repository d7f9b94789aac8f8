import { createTestApp, type TestApp } from '../support/test-app';

const CHINESE = /[\u3400-\u9fff]/;
const NON_ASCII = /[^\x00-\x7f]/;
const ENGLISH = /^[\x20-\x7e]+$/;

/**
 * SPEC §9 bad-input classes: each gets a 4xx problem+json and changes nothing.
 * Every case posts to an endpoint that would otherwise write (create a grid node or a user).
 */
describe('bad input 非法输入', () => {
  let t: TestApp;
  let admin: string;
  let parentId: string;
  let xhNode: string;
  const counts = async () => (await t.ds.query(
    `SELECT (SELECT count(*) FROM grid_nodes)::int AS nodes, (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM units)::int AS units`))[0];
  const good = () => ({ parentId, code: '210902001003', name: '新社区', level: 'community' });
  /** good() as JSON bytes with raw `bytes` (not necessarily UTF-8) in place of the name's text. */
  const goodWithNameBytes = (bytes: Buffer) => {
    const [head, tail] = JSON.stringify(good()).split('新社区');
    return Buffer.concat([Buffer.from(head!), bytes, Buffer.from(tail!)]);
  };

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.login('demo.admin');
    parentId = (await t.ds.query(`SELECT id FROM grid_nodes WHERE code = '210902001'`))[0].id;
    xhNode = (await t.ds.query(`SELECT id FROM grid_nodes WHERE code = '210911001'`))[0].id;
  });
  afterAll(async () => { await t.close(); });

  const cases: Array<[string, () => { raw?: string | Buffer; body?: unknown; headers?: Record<string, string>; url?: string }, number, string]> = [
    ['unknown field', () => ({ body: { ...good(), isAdmin: true } }), 400, 'VALIDATION_FAILED'],
    ['wrong type', () => ({ body: { ...good(), lat: 'north' } }), 400, 'VALIDATION_FAILED'],
    ['array instead of object', () => ({ body: [good()] }), 400, 'VALIDATION_FAILED'],
    ['missing field', () => ({ body: { parentId } }), 400, 'VALIDATION_FAILED'],
    ['oversized body', () => ({ body: { ...good(), name: 'x'.repeat(2 * 1024 * 1024) } }), 413, 'BODY_TOO_LARGE'],
    ['NUL byte', () => ({ body: { ...good(), name: 'bad\u0000name' } }), 400, 'NUL_BYTE'],
    ['lone surrogate', () => ({ raw: JSON.stringify(good()).replace('新社区', '\\ud800x') }), 400, 'INVALID_UNICODE'],
    ['emoji in a code', () => ({ body: { ...good(), code: '2109🚧' } }), 400, 'VALIDATION_FAILED'],
    ['deeply nested JSON', () => ({ raw: '{"parentId":' + '['.repeat(5000) + ']'.repeat(5000) + '}' }), 400, 'JSON_TOO_DEEP'],
    ['__proto__ key', () => ({ raw: `{"parentId":"${parentId}","code":"210902001003","name":"x","level":"community","__proto__":{"admin":true}}` }), 400, 'FORBIDDEN_KEY'],
    ['constructor.prototype', () => ({ raw: `{"parentId":"${parentId}","code":"210902001003","name":"x","level":"community","constructor":{"prototype":{"x":1}}}` }), 400, 'FORBIDDEN_KEY'],
    ['SQL fragment in a code', () => ({ body: { ...good(), code: "1'); DROP TABLE users; --" } }), 400, 'VALIDATION_FAILED'],
    ['SQL fragment in an id', () => ({ body: { ...good(), parentId: "' OR 1=1 --" } }), 400, 'VALIDATION_FAILED'],
    ['malformed JSON', () => ({ raw: '{"parentId": ' }), 400, 'INVALID_JSON'],
    // A JSON endpoint takes JSON only: a form, a JSON document sent as text/plain, a CSV are 415 like XML.
    ['wrong content type', () => ({ raw: 'parentId=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['JSON sent as text/plain', () => ({ raw: JSON.stringify(good()), headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['JSON sent as text/plain; charset=utf-8', () => ({ raw: JSON.stringify(good()), headers: { 'content-type': 'text/plain; charset=utf-8' } }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['JSON sent as text/csv', () => ({ raw: JSON.stringify(good()), headers: { 'content-type': 'text/csv' } }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    // Bytes that are not UTF-8 are refused, never stored as U+FFFD.
    ['invalid UTF-8 in a string', () => ({ raw: goodWithNameBytes(Buffer.from([0xff, 0xfe])) }), 400, 'INVALID_UNICODE'],
    ['truncated UTF-8 sequence', () => ({ raw: goodWithNameBytes(Buffer.from('新').subarray(0, 2)) }), 400, 'INVALID_UNICODE'],
    ['overlong UTF-8 encoding', () => ({ raw: goodWithNameBytes(Buffer.from([0xc0, 0xaf])) }), 400, 'INVALID_UNICODE'],
    ['UTF-8 encoded surrogate', () => ({ raw: goodWithNameBytes(Buffer.from([0xed, 0xa0, 0x80])) }), 400, 'INVALID_UNICODE'],
    ['invalid UTF-8 in a form body', () => ({ raw: Buffer.concat([Buffer.from('parentId=1&name='), Buffer.from([0xc3, 0x28])]), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'INVALID_UNICODE'],
    ['half a location: lat without lng', () => ({ body: { ...good(), lat: 42.03 } }), 400, 'VALIDATION_FAILED'],
    ['half a location: lng without lat', () => ({ body: { ...good(), lng: 121.66 } }), 400, 'VALIDATION_FAILED'],
    ['coordinates as strings', () => ({ body: { ...good(), lat: '42.03', lng: '121.66' } }), 400, 'VALIDATION_FAILED'],
    ['NUL byte in a form body', () => ({ raw: 'parentId=1&name=a%00b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'NUL_BYTE'],
    ['__proto__ in a form body', () => ({ raw: '__proto__=x&name=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'FORBIDDEN_KEY'],
    ['unsupported content type', () => ({ raw: '<x/>', headers: { 'content-type': 'application/xml' } }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ["another district's id", () => ({ body: { ...good(), parentId: xhNode, code: '210911001077' }, url: '' }), 0, ''],
  ];

  it.each(cases)('%s → 4xx problem+json, nothing changed', async (name, make, status, code) => {
    const before = await counts();
    const c = make();
    let res;
    if (name === "another district's id") {
      // The district admin of 海州区 names a 细河区 parent.
      const made = await t.request('POST', '/api/v1/admin/users', {
        token: admin, body: { username: 'hz.admin2', displayName: '海州管理员', role: 'admin', scopeNodeId: parentId, password: 'Haizhou@2026!' },
      });
      expect(made.status).toBe(201);
      const hzAdmin = await t.login('hz.admin2', 'Haizhou@2026!');
      const after = await counts();
      res = await t.request('POST', '/api/v1/admin/grid-nodes', { token: hzAdmin, body: c.body });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NODE_NOT_FOUND');
      expect(await counts()).toEqual(after);
      return;
    }
    res = await t.request('POST', c.url || '/api/v1/admin/grid-nodes', {
      token: admin, raw: c.raw, body: c.body, headers: { 'content-type': 'application/json', ...(c.headers ?? {}) },
    });
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe(code);
    expect(res.body.titleZh).toMatch(CHINESE);
    expect(res.body.titleZh).not.toBe(res.body.title);
    // Chinese fields are Chinese, never a copy of the English text.
    if (res.body.detailZh !== undefined) expect([res.body.detailZh !== res.body.detail, NON_ASCII.test(res.body.detailZh)]).toEqual([true, true]);
    for (const e of res.body.errors ?? []) expect([e.field, NON_ASCII.test(e.zh), e.zh !== e.en]).toEqual([e.field, true, true]);
    expect(await counts()).toEqual(before);
  });

  // Field messages come from src/common/validation-messages.ts, in English and Chinese, per failed constraint.
  const fieldCases: Array<[string, () => Record<string, unknown>, string, string, string]> = [
    ['wrong type', () => ({ ...good(), lat: 'north' }), 'lat', 'isLatitude', 'lat 须为 -90 到 90 之间的纬度'],
    ['unknown field', () => ({ ...good(), isAdmin: true }), 'isAdmin', 'whitelistValidation', '属性 isAdmin 不允许'],
    ['too-long string', () => ({ ...good(), name: 'x'.repeat(101) }), 'name', 'isLength', 'name 最多 100 个字符'],
    ['malformed UUID', () => ({ ...good(), parentId: 'not-a-uuid' }), 'parentId', 'isUuid', 'parentId 须为 UUID'],
    // lat and lng go together: the missing half is named, with this one error.
    ['lat without lng', () => ({ ...good(), lat: 42.03 }), 'lng', 'latLngTogether', '缺少 lng：经纬度须同时提供'],
    ['lng without lat', () => ({ ...good(), lng: 121.66 }), 'lat', 'latLngTogether', '缺少 lat：经纬度须同时提供'],
    ['lng null beside lat', () => ({ ...good(), lat: 42.03, lng: null }), 'lng', 'latLngTogether', '缺少 lng：经纬度须同时提供'],
    // Numbers are JSON numbers: a string is the wrong type, never converted.
    ['lat as a string', () => ({ ...good(), lat: '42.03', lng: 121.66 }), 'lat', 'isNumber', 'lat 须为数字'],
    ['lng as a string', () => ({ ...good(), lat: 42.03, lng: '121.66' }), 'lng', 'isNumber', 'lng 须为数字'],
  ];
  it.each(fieldCases)('%s → per-field messages in English and Chinese', async (_name, body, field, constraint, zh) => {
    const before = await counts();
    const res = await t.request('POST', '/api/v1/admin/grid-nodes', { token: admin, body: body() });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect([res.body.code, res.body.title, res.body.titleZh]).toEqual(['VALIDATION_FAILED', 'The request is invalid', '请求参数无效']);
    expect(res.body.errors.find((e: { field: string }) => e.field === field)).toEqual(expect.objectContaining({ field, constraint, zh }));
    expect(res.body.errors.length).toBeGreaterThan(0);
    for (const e of res.body.errors) {
      expect(e).toEqual({ field: expect.any(String), constraint: expect.any(String), en: expect.stringMatching(ENGLISH), zh: expect.stringMatching(NON_ASCII), message: e.en });
    }
    expect(await counts()).toEqual(before);
  });

  it('a malformed UUID in the path (ParseUUIDPipe) gets Chinese of its own', async () => {
    const res = await t.request('GET', '/api/v1/grid-nodes/not-a-uuid', { token: admin });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect([res.body.code, res.body.detailZh]).toEqual(['VALIDATION_FAILED', '参数须为 UUID']);
    expect(res.body.detail).toMatch(ENGLISH);
  });

  it('a route that does not exist and a bad JSON body have Chinese titles, not the English ones', async () => {
    const unknown = await t.request('GET', '/api/v1/nowhere?token=secret', { token: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    expect(unknown.body.code).toBe('NOT_FOUND');
    expect(unknown.body.titleZh).toMatch(CHINESE);
    expect(unknown.body.titleZh).not.toBe(unknown.body.title);
    expect([unknown.body.detail, unknown.body.detailZh]).toEqual(['No such route: GET /api/v1/nowhere', '接口不存在：GET /api/v1/nowhere']);

    const badJson = await t.request('POST', '/api/v1/admin/grid-nodes', { token: admin, raw: '{"parentId": ', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect(badJson.headers['content-type']).toContain('application/problem+json');
    expect(badJson.body.code).toBe('INVALID_JSON');
    expect(badJson.body.titleZh).toMatch(CHINESE);
    expect(badJson.body.titleZh).not.toBe(badJson.body.title);
    expect(badJson.body.detailZh).toMatch(CHINESE);
  });

  it('validation errors name each field', async () => {
    const res = await t.request('POST', '/api/v1/admin/grid-nodes', { token: admin, body: { ...good(), lat: 'north', extra: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['lat', 'extra']));
  });

  it('SQL fragments in login are just wrong credentials', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: { username: "admin' OR '1'='1", password: "' OR 1=1 --" } });
    expect(res.status).toBe(401);
    expect((await t.ds.query(`SELECT count(*)::int AS n FROM users`))[0].n).toBeGreaterThanOrEqual(6);
  });

  it('bad ids in paths and queries are 400, never 500', async () => {
    for (const url of ['/api/v1/grid-nodes/not-a-uuid', '/api/v1/grid-nodes/%00', "/api/v1/units/1'%20OR%201=1", '/api/v1/units?type=%F0%9F%9A%A7', '/api/v1/units?type[]=a']) {
      const res = await t.request('GET', url, { token: admin });
      expect([url, res.status >= 400 && res.status < 500]).toEqual([url, true]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const unknown = await t.request('GET', '/api/v1/nowhere', { token: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
  });

  it('half a location is refused on create and update, naming the missing half only; both halves as numbers are stored', async () => {
    const before = await counts();
    for (const [body, missing] of [[{ lat: 42.03 }, 'lng'], [{ lng: 121.66 }, 'lat'], [{ lat: null, lng: 121.66 }, 'lat']] as const) {
      const res = await t.request('POST', '/api/v1/admin/grid-nodes', { token: admin, body: { ...good(), ...body } });
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.body.errors).toEqual([{
        field: missing, constraint: 'latLngTogether', en: `${missing} is missing: lat and lng go together`, zh: `缺少 ${missing}：经纬度须同时提供`,
        message: `${missing} is missing: lat and lng go together`,
      }]);
    }
    expect(await counts()).toEqual(before);

    const made = await t.request('POST', '/api/v1/admin/grid-nodes', { token: admin, body: { ...good(), code: '210902001005', lat: 42.03, lng: 121.66 } });
    expect(made.status).toBe(201);
    const stored = async () => (await t.ds.query(`SELECT lat::float8 AS lat, lng::float8 AS lng, name FROM grid_nodes WHERE id = $1`, [made.body.id]))[0];
    expect(await stored()).toEqual({ lat: 42.03, lng: 121.66, name: '新社区' });
    for (const body of [{ lat: 41.5 }, { lng: 120.5 }, { lat: '41.5', lng: '120.5' }, { name: '改名', lat: 41.5, lng: null }]) {
      const res = await t.request('PATCH', `/api/v1/admin/grid-nodes/${made.body.id}`, { token: admin, body });
      expect([JSON.stringify(body), res.status, res.body.code]).toEqual([JSON.stringify(body), 400, 'VALIDATION_FAILED']);
    }
    expect(await stored()).toEqual({ lat: 42.03, lng: 121.66, name: '新社区' });
    const moved = await t.request('PATCH', `/api/v1/admin/grid-nodes/${made.body.id}`, { token: admin, body: { lat: 41.5, lng: 120.5 } });
    expect(moved.status).toBe(200);
    expect(await stored()).toEqual({ lat: 41.5, lng: 120.5, name: '新社区' });
  });

  it('emoji and Chinese in display text are stored and returned intact', async () => {
    const res = await t.request('POST', '/api/v1/admin/grid-nodes', { token: admin, body: { ...good(), code: '210902001004', name: '幸福社区 🏠' } });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('幸福社区 🏠');
  });
});
