import { createHash, randomBytes } from 'node:crypto';
import { Open3111764230900000 } from '../../src/database/migrations/1764230900000-open311';
import { TicketMediaUrls1764300430000 } from '../../src/database/migrations/1764300430000-ticket-media-urls';
import { DEMO_OPEN311_KEY } from '../../src/database/seeds/demo-open311';
import { Open311RatePurgeJob } from '../../src/modules/open311/open311-rate-purge.job';
import { Open311Repository } from '../../src/modules/open311/open311.repository';
import { iso8601 } from '../../src/modules/open311/open311-format';
import { asText, assertJson, assertXml, Open311Client, undate } from '../support/open311';
import { createTestApp, type HttpResponse, type TestApp } from '../support/test-app';
import { codeIds, fileTicket, mustAct } from '../support/tickets';

// The reporter's personal data: it must never come back in any Open311 (or API) output.
const REPORTER = { first_name: '建国', last_name: '张', phone: '13841815678', email: 'zhang.jianguo@example.cn', device_id: 'device-7f3a91' };
const SECRETS = [REPORTER.phone, REPORTER.email, REPORTER.device_id, '张建国', 'zhang.jianguo'];
const MANHOLE_POINT = { lat: 42.02698, long: 121.65952 };
// Residents named in tickets filed by staff, and what staff wrote about them: never in any Open311 output.
const STAFF_SECRETS = ['李秀兰', '肢体残疾', '糖尿病', '2号楼3单元501', '赵桂芝', '助听器', '孙志强', '王建军', '2单元门口', '13941817777', '13941816666'];

describe('Open311 GeoReport v2', () => {
  let t: TestApp;
  let base: string;
  let json: Open311Client;
  let xml: Open311Client;
  let ids: Record<string, string>;
  const seen: string[] = [];

  /** Every raw answer goes through here, so the personal-data check sees all of them. */
  async function get(path: string, opts: { token?: string; headers?: Record<string, string> } = {}): Promise<HttpResponse> {
    const res = await t.request('GET', path, opts);
    seen.push(res.text);
    return res;
  }
  async function postForm(path: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    const res = await t.request('POST', path, { raw: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    seen.push(res.text);
    return res;
  }
  const keep = <T>(data: T): T => {
    seen.push(JSON.stringify(data));
    return data;
  };
  const xmlOf = (res: HttpResponse) => {
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    return res.text;
  };

  beforeAll(async () => {
    t = await createTestApp({ env: { OPEN311_ANON_PER_MINUTE: '100000' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${address.port}/open311/v2/`;
    json = new Open311Client({ endpoint: base, apiKey: DEMO_OPEN311_KEY, jurisdiction: '210900', discovery: `${base}discovery.json` });
    xml = new Open311Client({ endpoint: base, apiKey: DEMO_OPEN311_KEY, jurisdiction: '210900', format: 'xml', discovery: `${base}discovery.xml` });
    ids = await codeIds(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('discovery names this endpoint, in JSON and XML', async () => {
    const raw = await get('/open311/v2/discovery.json');
    expect(raw.headers['content-type']).toBe('application/json; charset=utf-8');
    // Filing is synchronous: there are no tokens to look up (GeoReport's tokens/{token} is optional).
    const token = await get('/open311/v2/tokens/123.json');
    expect(token.status).toBe(404);
    assertJson('errors', token.body);
    const doc = keep(await json.discovery());
    assertJson('discovery', doc);
    expect(doc.endpoints[0].url).toBe(base);
    expect(doc.endpoints[0].formats).toEqual(['text/xml', 'application/json']);
    const res = await get('/open311/v2/discovery.xml');
    const root = assertXml('discovery', xmlOf(res));
    expect(root.endpoints.endpoint[0].formats.format).toEqual(['text/xml', 'application/json']);
    expect(root.changeset).toBe(doc.changeset);
  });

  it('services are the leaf categories, grouped by platform, never the private dispute platform', async () => {
    const services = keep(await json.services());
    assertJson('services', services);
    const byCode = new Map<string, any>(services.map((s: any) => [s.service_code, s]));
    expect(byCode.get('0101')).toMatchObject({ service_name: '上水井盖', group: '社区治理', type: 'realtime', metadata: true });
    expect(byCode.has('01')).toBe(false); // 大类 (major) is not a service
    const platforms = new Set(services.map((s: any) => s.group));
    expect(platforms).toEqual(new Set(['社区治理', '诉求办理', '便民服务', '智慧党建']));
    const disputes: Array<{ code: string }> = await t.ds.query(`SELECT code FROM categories WHERE platform = 'dispute_resolution' AND superseded_at IS NULL`);
    expect(disputes.length).toBeGreaterThan(0);
    for (const d of disputes) expect(byCode.has(d.code)).toBe(false);

    // The same list in XML, element by element, and through the client's XML path too.
    const res = await get('/open311/v2/services.xml?jurisdiction_id=210900');
    const members = assertXml('services', xmlOf(res));
    expect(members).toEqual(asText(services));
    const viaClient = keep(await xml.services());
    expect(viaClient).toHaveLength(services.length);
    expect(viaClient[0].service_name).toBe(services[0].service_name);
  });

  it('a service definition offers the case standards and the platform attributes', async () => {
    const def = keep(await json.definition('0101'));
    assertJson('service_definition', def);
    expect(def.service_code).toBe('0101');
    const standard = def.attributes.find((a: any) => a.code === 'case_standard');
    expect(standard).toMatchObject({ datatype: 'singlevaluelist', required: false, order: 1 });
    expect(standard.values.map((v: any) => v.key)).toEqual(expect.arrayContaining(['missing', 'damaged']));
    expect(def.attributes.map((a: any) => a.code)).toEqual(['case_standard', 'componentId', 'selfHandled']);

    const cs: Array<{ code: string }> = await t.ds.query(
      `SELECT c.code FROM categories c WHERE c.platform = 'convenience_services' AND c.superseded_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_code = c.code AND k.superseded_at IS NULL) ORDER BY c.code LIMIT 1`);
    const csDef = keep(await json.definition(cs[0]!.code));
    assertJson('service_definition', csDef);
    const serviceType = csDef.attributes.find((a: any) => a.code === 'serviceType');
    expect(serviceType).toMatchObject({ datatype: 'singlevaluelist', required: true });
    expect(serviceType.values).toEqual(expect.arrayContaining([{ key: 'errand', name: '帮办代办' }]));

    const res = await get('/open311/v2/services/0101.xml');
    const root = assertXml('service_definition', xmlOf(res));
    expect(root.service_code).toBe('0101');
    expect(root.attributes.attribute.map((a: any) => a.code)).toEqual(['case_standard', 'componentId', 'selfHandled']);
    expect(root.attributes.attribute[0].values.value.map((v: any) => v.key)).toEqual(standard.values.map((v: any) => v.key));
  });

  it('errors are GeoReport error lists with 400, 403 and 404, in JSON and XML', async () => {
    const notFound = await get('/open311/v2/services/9999.json');
    expect(notFound.status).toBe(404);
    assertJson('errors', notFound.body);
    expect(notFound.body[0].code).toBe(404);
    const notFoundXml = await get('/open311/v2/services/9999.xml');
    expect(notFoundXml.status).toBe(404);
    expect(assertXml('errors', xmlOf(notFoundXml))[0].code).toBe('404');
    const dispute: Array<{ code: string }> = await t.ds.query(`SELECT code FROM categories WHERE platform = 'dispute_resolution' AND level <> 'major' LIMIT 1`);
    expect((await get(`/open311/v2/services/${dispute[0]!.code}.json`)).status).toBe(404);
    expect((await get('/open311/v2/requests/FX-20000101-000001.json')).status).toBe(404);
    expect((await get('/open311/v2/unknown.json')).status).toBe(404);
    const badFormat = await get('/open311/v2/services.csv');
    expect(badFormat.status).toBe(404);
    assertJson('errors', badFormat.body);
    expect((await get('/open311/v2/services.json?jurisdiction_id=999999')).status).toBe(404);

    const noKey = await postForm('/open311/v2/requests.json', { service_code: '0101', lat: '42.02698', long: '121.65952' });
    expect(noKey.status).toBe(403);
    assertJson('errors', noKey.body);
    const badKey = await postForm('/open311/v2/requests.xml', { api_key: 'not-a-key', service_code: '0101', lat: '42.02698', long: '121.65952' });
    expect(badKey.status).toBe(403);
    expect(assertXml('errors', xmlOf(badKey))[0]).toEqual({ code: '403', description: 'Invalid api_key / api_key 无效' });

    const bad = await postForm('/open311/v2/requests.json', { api_key: DEMO_OPEN311_KEY, service_code: '0101', lat: '91', long: 'east', __proto__x: '1' });
    expect(bad.status).toBe(400);
    assertJson('errors', bad.body);
    expect(bad.body.map((e: any) => e.description.split(':')[0])).toEqual(expect.arrayContaining(['lat', 'long', '__proto__x']));
    const noLocation = await postForm('/open311/v2/requests.xml', { api_key: DEMO_OPEN311_KEY, service_code: '0101' });
    expect(noLocation.status).toBe(400);
    assertXml('errors', xmlOf(noLocation));
    const badAttr = await postForm('/open311/v2/requests.json', { api_key: DEMO_OPEN311_KEY, service_code: '0101', ...str(MANHOLE_POINT), 'attribute[case_standard]': 'gone', 'attribute[colour]': 'red' });
    expect(badAttr.status).toBe(400);
    const range = await get('/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z');
    expect(range.status).toBe(400);
    assertJson('errors', range.body);
    expect((await get('/open311/v2/requests.json?status=pending')).status).toBe(400);
    expect((await get('/open311/v2/requests.xml?start_date=yesterday')).status).toBe(400);
    const far = await postForm('/open311/v2/requests.json', { api_key: DEMO_OPEN311_KEY, service_code: '0101', lat: '41.80', long: '123.43' });
    expect(far.status).toBe(400);
    expect(far.body[0].description).toContain('outside the jurisdiction');
    const nul = await t.request('POST', '/open311/v2/requests.xml', { raw: `api_key=${DEMO_OPEN311_KEY}&service_code=0101&description=a%00b`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    seen.push(nul.text);
    expect(nul.status).toBe(400);
    assertXml('errors', xmlOf(nul));
    const deep = await get('/open311/v2/services/0101/extra.json');
    expect(deep.status).toBe(404);
    assertJson('errors', deep.body);
    const huge = await t.request('POST', '/open311/v2/requests.json', { raw: `api_key=${DEMO_OPEN311_KEY}&description=${'x'.repeat(1024 * 1024 + 10)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(huge.status).toBe(413);
    assertJson('errors', huge.body);
    // A body of another type (the form's text as text/plain, a CSV) is 415, as a GeoReport error list, not "Invalid api_key".
    const form = new URLSearchParams({ api_key: DEMO_OPEN311_KEY, service_code: '0101', ...str(MANHOLE_POINT), description: '井盖缺失' }).toString();
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'text/csv', 'application/xml']) {
      const plain = await t.request('POST', '/open311/v2/requests.json', { raw: form, headers: { 'content-type': type } });
      seen.push(plain.text);
      expect([type, plain.status, plain.headers['content-type']]).toEqual([type, 415, 'application/json; charset=utf-8']);
      assertJson('errors', plain.body);
      expect([type, plain.body]).toEqual([type, [{ code: 415, description: expect.stringMatching(/^Unsupported content type \/ 不支持的内容类型/) }]]);
      if (type.startsWith('text/csv')) {
        expect(plain.body[0].description).toBe('Unsupported content type / 不支持的内容类型: This endpoint accepts application/x-www-form-urlencoded, application/json / 该接口仅接受 application/x-www-form-urlencoded、application/json 格式的请求体');
      }
    }
    const plainXml = await t.request('POST', '/open311/v2/requests.xml', { raw: form, headers: { 'content-type': 'text/plain' } });
    seen.push(plainXml.text);
    expect(plainXml.status).toBe(415);
    expect(assertXml('errors', xmlOf(plainXml))[0].code).toBe('415');
    // Bytes that are not UTF-8 in a form: 400, never stored as U+FFFD.
    const notUtf8 = await t.request('POST', '/open311/v2/requests.json', {
      raw: Buffer.concat([Buffer.from(`${form}&address_string=`), Buffer.from([0xff, 0xfe])]), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    seen.push(notUtf8.text);
    expect(notUtf8.status).toBe(400);
    assertJson('errors', notUtf8.body);
    // None of the refused filings changed anything.
    const count: Array<{ n: number }> = await t.ds.query(`SELECT count(*)::int AS n FROM tickets`);
    expect(count[0]!.n).toBe(0);
  });

  it('a leaf category without case standards (unfilable: STANDARD_REQUIRED) is not a service: not listed, 404 as unknown', async () => {
    const admin = await t.login('demo.admin');
    const standard = {
      code: 'standard', nameZh: '一般', nameEn: 'Standard', filingConditionZh: '发现即立案', closingConditionZh: '已处置',
      priority: 'normal', clockType: 'working_days', resolveLimitDays: 3, startNextWorkingDay: false, defaultUnitType: null,
    };
    const create = (code: string, nameZh: string, standards?: unknown[]) => t.request('POST', '/api/v1/admin/categories', {
      token: admin, body: { code, platform: 'community_governance', level: 'minor', parentCode: '01', nameZh, nameEn: nameZh, ...(standards ? { standards } : {}) },
    });
    const bare = await create('0198', '无标准类别');
    expect([bare.status, bare.body.standards]).toEqual([201, []]);
    const filable = await create('0197', '有标准类别', [standard]);
    expect(filable.status).toBe(201);

    const listed = await get('/open311/v2/services.json');
    assertJson('services', listed.body);
    const codes = listed.body.map((x: any) => x.service_code);
    expect(codes).toContain('0197');
    expect(codes).not.toContain('0198');
    const members = assertXml('services', xmlOf(await get('/open311/v2/services.xml')));
    expect(members.map((x: any) => x.service_code)).toContain('0197');
    expect(members.map((x: any) => x.service_code)).not.toContain('0198');
    expect(members).toEqual(asText(listed.body));

    // Its definition is not found, as for an unknown code, and a filing is refused the same way; nothing is filed.
    for (const path of ['services/0198.json', 'services/0198.xml']) expect((await get(`/open311/v2/${path}`)).status).toBe(404);
    const unknown = await get('/open311/v2/services/9999.json');
    const noStandards = await get('/open311/v2/services/0198.json');
    expect(noStandards.body).toEqual(unknown.body);
    const filing = await postForm('/open311/v2/requests.json', { api_key: DEMO_OPEN311_KEY, service_code: '0198', ...str(MANHOLE_POINT), description: '无标准类别测试' });
    expect(filing.status).toBe(404);
    expect(filing.body).toEqual(unknown.body);
    expect((await get('/open311/v2/services/0197.json')).status).toBe(200);
    const count: Array<{ n: number }> = await t.ds.query(`SELECT count(*)::int AS n FROM tickets`);
    expect(count[0]!.n).toBe(0);
  });

  it('a request filed through Open311 is triaged, handled, verified and then shows closed', async () => {
    const created = keep(await json.submit({
      service_code: '0101', ...MANHOLE_POINT, address_string: '阜新市海州区站前街道电务小区1号楼南侧',
      description: '1号楼南侧人行道上井盖丢失，有坠落危险', attributes: { case_standard: 'missing' }, ...REPORTER,
    }));
    assertJson('post_response', created);
    const number: string = created[0].service_request_id;
    expect(number).toMatch(/^FX-\d{8}-\d{6}$/);

    // Stored: channel open311, no filing user, located at the nearest building, reporter and e-mail encrypted.
    const [row] = await t.ds.query(
      `SELECT t.id, t.channel, t.filed_by, t.status, g.code AS node, t.reporter_phone_enc, r.email_enc, r.device_id_enc, k.is_demo
         FROM tickets t JOIN grid_nodes g ON g.id = t.grid_node_id JOIN open311_requests r ON r.ticket_id = t.id
         JOIN open311_api_keys k ON k.id = r.api_key_id WHERE t.number = $1`, [number]);
    expect(row).toMatchObject({ channel: 'open311', filed_by: null, status: 'reported', node: '210902001001001001', is_demo: true });
    expect(JSON.stringify(row)).not.toContain(REPORTER.email);
    expect(JSON.stringify(row)).not.toContain(REPORTER.phone);
    expect(row.email_enc).toBeTruthy();
    const events: Array<{ actor_role: string; actor_id: string | null }> = await t.ds.query(`SELECT actor_role, actor_id FROM ticket_events WHERE ticket_id = $1`, [row.id]);
    expect(events).toEqual([{ actor_role: 'resident', actor_id: null }]);
    // The request link (with the encrypted contact data) was written by the filing's own transaction: a crash
    // between the two cannot leave a ticket that reads as staff-filed with the resident's e-mail lost.
    const [same] = await t.ds.query(
      `SELECT e.xmin::text = r.xmin::text AS same FROM ticket_events e JOIN open311_requests r ON r.ticket_id = e.ticket_id WHERE e.ticket_id = $1 AND e.seq = 1`, [row.id]);
    expect(same).toEqual({ same: true });

    const dispatcher = await t.login('demo.dispatcher');
    const handler = await t.login('demo.handler');
    const grid = await t.login('demo.grid');
    const triage = await get('/api/v1/tickets?status=reported', { token: dispatcher });
    const listed = triage.body.items.find((i: any) => i.number === number);
    expect(listed).toMatchObject({ channel: 'open311', status: 'reported', reporter: { name: '张**', phone: '138****5678' } });
    const queue = await get('/api/v1/queues/triage', { token: dispatcher });
    expect(queue.status).toBe(200);
    expect(queue.body.items.some((i: any) => i.number === number)).toBe(true);

    const open = keep(await json.request(number));
    assertJson('service_requests', undate(open));
    expect(open[0]).toMatchObject({ service_request_id: number, status: 'open', service_code: '0101', service_name: '上水井盖', status_notes: '已受理，待立案' });
    expect(open[0].requested_datetime).toBeInstanceOf(Date); // the client parsed our ISO 8601 dates

    await mustAct(t, dispatcher, row.id, 'register');
    await mustAct(t, dispatcher, row.id, 'dispatch', { unitId: ids['FX-SZSS'] });
    await mustAct(t, handler, row.id, 'sign');
    const raw = await get(`/open311/v2/requests/${number}.json`);
    assertJson('service_requests', raw.body);
    const clock: Array<{ deadline: Date }> = await t.ds.query(
      `SELECT deadline FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve' AND state = 'running'`, [row.id]);
    expect(raw.body[0]).toMatchObject({ status: 'open', agency_responsible: '阜新市市政设施服务中心', status_notes: '承办单位处置中' });
    expect(raw.body[0].requested_datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(new Date(raw.body[0].expected_datetime).getTime()).toBe(Math.floor(clock[0]!.deadline.getTime() / 1000) * 1000);

    // Staff's `note` (it names the resident and their flat) is never published; the `publicNote` (公开答复) is, with
    // whatever looks like a phone number in it masked.
    await mustAct(t, handler, row.id, 'resolve', { note: '已电话联系张建国先生，住电务小区1号楼3单元502', publicNote: '已更换新井盖，联系电话 13900001111' });
    const resolved = await get(`/open311/v2/requests/${number}.json`);
    expect(resolved.body[0]).toMatchObject({ status: 'open', status_notes: '已办结，待核查：已更换新井盖，联系电话 ***' });
    expect(resolved.text).not.toContain('3单元502');
    await mustAct(t, grid, row.id, 'verify', { passed: true, note: '现场核查，张建国家门口井盖已安装' });

    const closed = keep(await json.request(number));
    assertJson('service_requests', undate(closed));
    // The verification wrote no public note: the state in words alone (the resolve's public note led to another state).
    expect(closed[0]).toMatchObject({ status: 'closed', status_notes: '已结案' });
    expect(closed[0].expected_datetime).toBeUndefined();
    const closedXml = await get(`/open311/v2/requests/${number}.xml`);
    const [member] = assertXml('service_requests', xmlOf(closedXml));
    expect(member).toMatchObject({ service_request_id: number, status: 'closed' });
    // The description's singular path answers what its own schema says: one Request object, XML root <request>.
    const closedJson = await get(`/open311/v2/request/${number}.json`);
    assertJson('request', closedJson.body);
    expect(() => assertJson('service_requests', closedJson.body)).toThrow();
    expect(closedJson.body).toMatchObject({ service_request_id: number, status: 'closed' });
    expect(asText(closedJson.body)).toEqual(member);
    const singularXml = await get(`/open311/v2/request/${number}.xml`);
    expect(assertXml('request', xmlOf(singularXml))).toEqual(member);
    const singularMissing = await get('/open311/v2/request/FX-20000101-000001.xml');
    expect(singularMissing.status).toBe(404);
    assertXml('errors', xmlOf(singularMissing));

    // The list filters: status, service_code, dates, several ids at once.
    const closedList = keep(await json.requests({ status: 'closed' }));
    assertJson('service_requests', undate(closedList));
    expect(closedList.map((r: any) => r.service_request_id)).toEqual([number]);
    const both = await get('/open311/v2/requests.json?status=open,closed');
    expect(both.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(both.body.map((r: any) => r.service_request_id)).toEqual([number]);
    expect(keep(await json.requests({ status: 'open' }))).toEqual([]);
    expect(keep(await json.requests({ service_code: '0102' }))).toEqual([]);
    const today = new Date();
    const inRange = await get(`/open311/v2/requests.json?start_date=${encodeURIComponent(new Date(today.getTime() - 3600e3).toISOString())}&end_date=${encodeURIComponent(new Date(today.getTime() + 3600e3).toISOString())}`);
    expect(inRange.body.map((r: any) => r.service_request_id)).toEqual([number]);
    const before = await get(`/open311/v2/requests.json?end_date=${encodeURIComponent(new Date(today.getTime() - 86400e3).toISOString())}`);
    expect(before.body).toEqual([]);
    const listXml = await get(`/open311/v2/requests.xml?service_request_id=${number},FX-20000101-000009`);
    expect(assertXml('service_requests', xmlOf(listXml)).map((r: any) => r.service_request_id)).toEqual([number]);
    const emptyXml = await get('/open311/v2/requests.xml?service_code=0102');
    expect(assertXml('service_requests', xmlOf(emptyXml))).toEqual([]);
  });

  it('locates by polygon first, by address text without coordinates, and files idempotently', async () => {
    const admin = await t.login('demo.admin');
    // A square far from every node's point: only the polygon can place a report there.
    const square = { type: 'Polygon', coordinates: [[[121.70, 42.05], [121.71, 42.05], [121.71, 42.06], [121.70, 42.06], [121.70, 42.05]]] };
    const patched = await t.request('PATCH', `/api/v1/admin/grid-nodes/${ids['210902001001002']}`, { token: admin, body: { polygon: square } });
    expect(patched.status).toBe(200);
    const inSquare = await postForm('/open311/v2/requests.json', { api_key: DEMO_OPEN311_KEY, service_code: 'SJ0101', lat: '42.055', long: '121.705', description: '路边暴露垃圾' });
    expect(inSquare.status).toBe(200);
    assertJson('post_response', inSquare.body);
    const [a] = await t.ds.query(`SELECT g.code FROM tickets t JOIN grid_nodes g ON g.id = t.grid_node_id WHERE t.number = $1`, [inSquare.body[0].service_request_id]);
    expect(a.code).toBe('210902001001002');

    const byAddress = await postForm('/open311/v2/requests.xml', { api_key: DEMO_OPEN311_KEY, service_code: 'SJ0101', address_string: '海州区电务小区3号楼东侧垃圾堆放' });
    expect(byAddress.status).toBe(200);
    const [created] = assertXml('post_response', xmlOf(byAddress));
    const [b] = await t.ds.query(`SELECT g.code, t.title FROM tickets t JOIN grid_nodes g ON g.id = t.grid_node_id WHERE t.number = $1`, [created.service_request_id]);
    expect(b).toEqual({ code: '210902001001001003', title: '暴露垃圾（海州区电务小区3号楼东侧垃圾堆放）' });

    const form = { api_key: DEMO_OPEN311_KEY, service_code: 'SJ0101', ...str(MANHOLE_POINT), description: '重复提交测试' };
    const first = await postForm('/open311/v2/requests.json', form, { 'idempotency-key': 'open311-retry-0001' });
    const again = await postForm('/open311/v2/requests.json', form, { 'idempotency-key': 'open311-retry-0001' });
    expect(again.body[0].service_request_id).toBe(first.body[0].service_request_id);
  });

  it('takes a JSON body as it takes a form; a first line that says nothing (zero-width, dots) is not the title', async () => {
    const posted = await t.request('POST', '/open311/v2/requests.json', {
      body: { api_key: DEMO_OPEN311_KEY, service_code: 'SJ0101', lat: MANHOLE_POINT.lat, long: MANHOLE_POINT.long, description: '\u200b\u200b…\n路边垃圾无人清理' },
    });
    seen.push(posted.text);
    expect(posted.status).toBe(200);
    assertJson('post_response', posted.body);
    const [row] = await t.ds.query(`SELECT title, lat::float8 AS lat, lng::float8 AS lng FROM tickets WHERE number = $1`, [posted.body[0].service_request_id]);
    expect(row).toEqual({ title: '暴露垃圾', lat: MANHOLE_POINT.lat, lng: MANHOLE_POINT.long });
  });

  it('takes POST fields in the query string (the official description declares them there), and the body wins', async () => {
    const q = new URLSearchParams({
      api_key: DEMO_OPEN311_KEY, service_code: 'SJ0101', lat: String(MANHOLE_POINT.lat), long: String(MANHOLE_POINT.long), description: '查询串提交：路边垃圾',
    });
    const posted = await t.request('POST', `/open311/v2/requests.json?${q.toString()}`, { raw: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    seen.push(posted.text);
    expect(posted.status).toBe(200);
    assertJson('post_response', posted.body);
    const [row] = await t.ds.query(`SELECT category_code, description FROM tickets WHERE number = $1`, [posted.body[0].service_request_id]);
    expect(row).toEqual({ category_code: 'SJ0101', description: '查询串提交：路边垃圾' });
    const mixed = await postForm(`/open311/v2/requests.json?${q.toString()}`, { description: '表单优先：路边垃圾' });
    expect(mixed.status).toBe(200);
    const [mixedRow] = await t.ds.query(`SELECT description FROM tickets WHERE number = $1`, [mixed.body[0].service_request_id]);
    expect(mixedRow.description).toBe('表单优先：路边垃圾');
    const unknown = await postForm(`/open311/v2/requests.json?colour=red&${q.toString()}`, {});
    expect(unknown.status).toBe(400);
    assertJson('errors', unknown.body);
    expect(unknown.body[0].description).toContain('colour');
  });

  it('reads an unencoded + in dates as the offset, ignores an empty service_request_id, escapes text in XML', async () => {
    const posted = await postForm('/open311/v2/requests.json', {
      api_key: DEMO_OPEN311_KEY, service_code: 'SJ0101', ...str(MANHOLE_POINT), description: '垃圾 & 杂物 <堆在> "门口" \'路边\'',
    });
    expect(posted.status).toBe(200);
    const number: string = posted.body[0].service_request_id;
    const day = (offsetDays: number) => iso8601(new Date(Date.now() + offsetDays * 86400e3)); // 2026-11-28T08:00:00+08:00
    // The + of each offset goes unencoded: it arrives as a space.
    const plain = await get(`/open311/v2/requests.json?start_date=${day(-1)}&end_date=${day(1)}&service_code=SJ0101`);
    expect(plain.status).toBe(200);
    expect(plain.body.map((r: any) => r.service_request_id)).toContain(number);
    const empty = await get(`/open311/v2/requests.json?service_request_id=&service_code=SJ0101`);
    expect(empty.status).toBe(200);
    expect(empty.body.map((r: any) => r.service_request_id)).toContain(number);
    const xmlRes = await get(`/open311/v2/requests/${number}.xml`);
    const text = xmlOf(xmlRes);
    expect(text).toContain('垃圾 &amp; 杂物 &lt;堆在&gt;');
    const [member] = assertXml('service_requests', text);
    expect(member.description).toBe('垃圾 & 杂物 <堆在> "门口" \'路边\'');
  });

  it('media_url: a client\'s photo URL is kept and published with the request, in JSON and XML; a bad one files nothing', async () => {
    const photo = 'https://app.example.org/media/2026/11/%E4%BA%95%E7%9B%96.jpg?v=2';
    const filed = await postForm('/open311/v2/requests.json', {
      api_key: DEMO_OPEN311_KEY, service_code: 'SJ0101', ...str(MANHOLE_POINT), description: '垃圾桶满溢（附照片）', media_url: photo,
    });
    expect(filed.status).toBe(200);
    const number: string = filed.body[0].service_request_id;
    const one = await get(`/open311/v2/requests/${number}.json`);
    assertJson('service_requests', one.body);
    expect(one.body[0].media_url).toBe(photo);
    const [fromXml] = assertXml('service_requests', xmlOf(await get(`/open311/v2/requests/${number}.xml`)));
    expect(fromXml.media_url).toBe(photo);
    const single = await get(`/open311/v2/request/${number}.json`);
    assertJson('request', single.body);
    expect(single.body.media_url).toBe(photo);
    // Staff see it as the ticket's media link.
    const [ticket] = await t.ds.query(`SELECT id FROM tickets WHERE number = $1`, [number]);
    const staff = await get(`/api/v1/tickets/${ticket.id}`, { token: await t.login('demo.dispatcher') });
    expect(staff.body.mediaUrls).toEqual([photo]);

    const before = (await t.ds.query(`SELECT count(*)::int AS n FROM tickets`))[0].n;
    for (const bad of ['javascript:alert(1)', 'https://user:secret@example.org/a.jpg', 'file:///etc/passwd', 'https://app.example.org/p.jpg?tel=13841815678']) {
      const refused = await postForm('/open311/v2/requests.json', { api_key: DEMO_OPEN311_KEY, service_code: 'SJ0101', ...str(MANHOLE_POINT), description: '坏链接', media_url: bad });
      assertJson('errors', refused.body);
      expect([refused.status, refused.body[0].description]).toEqual([400, expect.stringMatching(/^media_url: /)]);
    }
    expect((await t.ds.query(`SELECT count(*)::int AS n FROM tickets`))[0].n).toBe(before);
  });

  it('pages through GET requests with page and page_size; the pages together are the whole list, once each', async () => {
    const all = await get('/open311/v2/requests.json');
    assertJson('service_requests', all.body);
    const everything: string[] = all.body.map((r: { service_request_id: string }) => r.service_request_id);
    expect(everything.length).toBeGreaterThan(4);
    const walked: string[] = [];
    for (let page = 1; page <= Math.ceil(everything.length / 3) + 1; page += 1) {
      const res = await get(`/open311/v2/requests.json?page_size=3&page=${page}`);
      assertJson('service_requests', res.body);
      expect(res.body.length).toBeLessThanOrEqual(3);
      walked.push(...res.body.map((r: { service_request_id: string }) => r.service_request_id));
    }
    expect(walked).toEqual(everything);
    const xmlPage = assertXml('service_requests', xmlOf(await get('/open311/v2/requests.xml?page_size=2&page=2')));
    expect(xmlPage.map((r: { service_request_id: string }) => r.service_request_id)).toEqual(everything.slice(2, 4));
    for (const bad of ['page_size=0', 'page_size=1001', 'page=0', 'page=1001', 'page=1.5', 'page=-1', 'page_size=abc']) {
      const refused = await get(`/open311/v2/requests.json?${bad}`);
      assertJson('errors', refused.body);
      expect([bad, refused.status, refused.body[0].description]).toEqual([bad, 400, expect.stringMatching(new RegExp(`^${bad.split('=')[0]}: `))]);
    }
  });

  it('without dates lists the last 90 days; one date makes a 90-day window from or to it; at most 1000 without paging', async () => {
    const posted = await postForm('/open311/v2/requests.json', { api_key: DEMO_OPEN311_KEY, service_code: 'SJ0103', ...str(MANHOLE_POINT), description: '早已处理的旧诉求' });
    expect(posted.status).toBe(200);
    const old: string = posted.body[0].service_request_id;
    // Filed 100 days ago (written in place: the API files only now).
    await t.ds.query(`UPDATE tickets SET created_at = now() - interval '100 days', updated_at = now() - interval '100 days' WHERE number = $1`, [old]);
    const [{ filed }] = await t.ds.query(`SELECT created_at AS filed FROM tickets WHERE number = $1`, [old]);
    const at = (d: Date) => encodeURIComponent(iso8601(d));
    const listed = async (query: string) => {
      const res = await get(`/open311/v2/requests.json?service_code=SJ0103${query}`);
      expect(res.status).toBe(200);
      return res.body.map((r: any) => r.service_request_id) as string[];
    };
    expect(await listed('')).not.toContain(old);
    expect(await listed(`&start_date=${at(new Date(filed.getTime() - 86400e3))}`)).toContain(old);
    expect(await listed(`&end_date=${at(new Date(filed.getTime() + 86400e3))}`)).toContain(old);
    // From 95 days ago the window ends 5 days ago; up to now it starts 90 days ago: neither holds day −100.
    expect(await listed(`&start_date=${at(new Date(Date.now() - 95 * 86400e3))}`)).not.toContain(old);
    expect(await listed(`&end_date=${at(new Date())}`)).not.toContain(old);
    expect(await listed(`&service_request_id=${old}`)).toEqual([old]); // by number, no window

    // 1 001 more published requests (copies of this one, written in SQL without triggers): the list stops at 1 000.
    await t.ds.transaction(async (m) => {
      await m.query(`SET LOCAL session_replication_role = replica`);
      const cols: Array<{ c: string }> = await m.query(
        `SELECT quote_ident(column_name) AS c FROM information_schema.columns WHERE table_name = 'tickets' AND column_name NOT IN ('id', 'number', 'created_at', 'updated_at', 'category_code')
           AND is_generated = 'NEVER' ORDER BY ordinal_position`);
      const list = cols.map((x) => x.c).join(', ');
      await m.query(
        `WITH src AS (SELECT * FROM tickets WHERE number = $1), copies AS (
           INSERT INTO tickets (id, number, created_at, updated_at, category_code, ${list})
           SELECT gen_random_uuid(), 'COPY-' || lpad(g::text, 6, '0'), now() - make_interval(secs => g), now(), 'SJ0103', ${cols.map((x) => `src.${x.c}`).join(', ')}
             FROM src, generate_series(1, 1001) g RETURNING id)
         INSERT INTO open311_requests (ticket_id, api_key_id) SELECT c.id, o.api_key_id FROM copies c, open311_requests o JOIN tickets t ON t.id = o.ticket_id WHERE t.number = $1`,
        [old]);
    });
    const capped = await listed('');
    expect(capped).toHaveLength(1000);
    expect(capped[0]).toBe('COPY-000001'); // newest first
    expect(await listed('&page=2')).toHaveLength(1);
    await t.ds.transaction(async (m) => {
      await m.query(`SET LOCAL session_replication_role = replica`);
      await m.query(`DELETE FROM open311_requests WHERE ticket_id IN (SELECT id FROM tickets WHERE number LIKE 'COPY-%')`);
      await m.query(`DELETE FROM tickets WHERE number LIKE 'COPY-%'`);
    });
  });

  it('a merged request (并单) shows its parent\'s status; a voided parent closes both', async () => {
    const dispatcher = await t.login('demo.dispatcher');
    const file = async (description: string) => {
      const res = await postForm('/open311/v2/requests.json', { api_key: DEMO_OPEN311_KEY, service_code: 'SJ0102', ...str(MANHOLE_POINT), description });
      expect(res.status).toBe(200);
      const number: string = res.body[0].service_request_id;
      const [row] = await t.ds.query(`SELECT id FROM tickets WHERE number = $1`, [number]);
      return { number, id: row.id as string };
    };
    const parent = await file('电务小区门口渣土堆积');
    const child = await file('电务小区门口有一堆渣土');
    await mustAct(t, dispatcher, child.id, 'merge', { parentId: parent.id });
    const merged = await get(`/open311/v2/requests/${child.number}.json`);
    assertJson('service_requests', merged.body);
    expect(merged.body[0]).toMatchObject({ service_request_id: child.number, status: 'open', status_notes: `已并入其他工单处理（${parent.number}）` });
    const openOnes = await get('/open311/v2/requests.json?status=open&service_code=SJ0102');
    expect(openOnes.body.map((r: any) => r.service_request_id)).toEqual(expect.arrayContaining([parent.number, child.number]));
    expect((await get('/open311/v2/requests.json?status=closed&service_code=SJ0102')).body.map((r: any) => r.service_request_id))
      .not.toContain(child.number);
    await mustAct(t, dispatcher, parent.id, 'void', { reason: '已由环卫部门清理' });
    const both = await get(`/open311/v2/requests.json?service_request_id=${parent.number},${child.number}`);
    assertJson('service_requests', both.body);
    const byNumber = new Map(both.body.map((r: any) => [r.service_request_id, r]));
    expect(byNumber.get(parent.number)).toMatchObject({ status: 'closed' });
    expect(byNumber.get(child.number)).toMatchObject({ status: 'closed', status_notes: `已并入其他工单处理（${parent.number}）` });
    // The status filter follows the merge root too.
    const closedOnes = await get('/open311/v2/requests.json?status=closed&service_code=SJ0102');
    expect(closedOnes.body.map((r: any) => r.service_request_id).sort()).toEqual([parent.number, child.number].sort());
    expect((await get('/open311/v2/requests.json?status=open&service_code=SJ0102')).body).toEqual([]);
  });

  it('a request merged into a ticket Open311 does not publish (a hotline call) says merged, without that ticket\'s number', async () => {
    const dispatcher = await t.login('demo.dispatcher');
    const grid = await t.login('demo.grid');
    const call = await fileTicket(t, grid, {
      categoryCode: 'RH0101', title: '暖气不热', description: '来电反映电务小区2号楼暖气不热', lat: 42.02702, lng: 121.65951, channel: 'hotline',
      attributes: { requestType: 'complaint' },
    });
    expect(call.status).toBe(201);
    const posted = await postForm('/open311/v2/requests.json', {
      api_key: DEMO_OPEN311_KEY, service_code: 'RH0101', ...str(MANHOLE_POINT), description: '电务小区暖气一直不热', 'attribute[requestType]': 'complaint',
    });
    expect(posted.status).toBe(200);
    const number: string = posted.body[0].service_request_id;
    const [row] = await t.ds.query(`SELECT id FROM tickets WHERE number = $1`, [number]);
    await mustAct(t, dispatcher, row.id, 'merge', { parentId: call.body.id });
    for (const res of [await get(`/open311/v2/requests/${number}.json`), await get(`/open311/v2/requests.json?service_request_id=${number}`)]) {
      expect(res.status).toBe(200);
      expect(res.body[0]).toMatchObject({ service_request_id: number, status: 'open', status_notes: '已并入其他工单处理' });
      expect(res.text).not.toContain(call.body.number);
    }
    expect((await get(`/open311/v2/requests/${call.body.number}.json`)).status).toBe(404);
  });

  it('admins create, list and revoke keys; a key is scoped and rate-limited; every change is audited', async () => {
    const admin = await t.login('demo.admin');
    const dispatcher = await t.login('demo.dispatcher');
    const refused = await t.request('POST', '/api/v1/admin/open311-keys', { token: dispatcher, body: { name: 'x', jurisdictionNodeId: ids['210902'] } });
    expect(refused.status).toBe(403);
    const invalid = await t.request('POST', '/api/v1/admin/open311-keys', { token: admin, body: { name: '', jurisdictionNodeId: 'nope', extra: 1 } });
    expect(invalid.status).toBe(400);
    // A number in a body is a JSON number: "3" is refused, not converted.
    const text = await t.request('POST', '/api/v1/admin/open311-keys', { token: admin, body: { name: '文本限额', jurisdictionNodeId: ids['210911'], rateLimitPerMinute: '3' } });
    expect([text.status, text.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(text.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'rateLimitPerMinute', constraint: 'isInt', zh: 'rateLimitPerMinute 须为整数' })]));
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM open311_api_keys WHERE name = '文本限额'`)).toEqual([{ n: 0 }]);
    const created = await t.request('POST', '/api/v1/admin/open311-keys', { token: admin, body: { name: '细河区测试客户端', jurisdictionNodeId: ids['210911'], rateLimitPerMinute: 3 } });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^o311_[A-Za-z0-9_-]{43}$/);
    const stored: Array<{ key_hash: string }> = await t.ds.query(`SELECT key_hash FROM open311_api_keys WHERE id = $1`, [created.body.id]);
    expect(stored[0]!.key_hash).not.toContain(key);
    const listed = await t.request('GET', '/api/v1/admin/open311-keys', { token: admin });
    expect(listed.body.map((k: any) => k.name)).toEqual(expect.arrayContaining(['细河区测试客户端', '演示客户端 Demo client']));
    expect(listed.text).not.toContain(key);

    // 细河区's nodes have no coordinates: a point in 海州区 is outside this key's jurisdiction.
    const outside = await postForm('/open311/v2/requests.json', { api_key: key, service_code: 'SJ0101', ...str(MANHOLE_POINT) });
    expect(outside.status).toBe(400);
    expect(outside.body[0].description).toContain('outside the jurisdiction');
    // Three calls a minute: the fourth is refused with 429 and Retry-After.
    expect((await get(`/open311/v2/services.json?api_key=${key}`)).status).toBe(200);
    expect((await get(`/open311/v2/services.json?api_key=${key}`)).status).toBe(200);
    const limited = await get(`/open311/v2/services.json?api_key=${key}`);
    expect(limited.status).toBe(429);
    assertJson('errors', limited.body);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    const revoked = await t.request('DELETE', `/api/v1/admin/open311-keys/${created.body.id}`, { token: admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ active: false });
    expect((await t.request('DELETE', '/api/v1/admin/open311-keys/00000000-0000-0000-0000-000000000000', { token: admin })).status).toBe(404);
    await t.ds.query(`DELETE FROM open311_rate_windows`);
    const afterRevoke = await postForm('/open311/v2/requests.json', { api_key: key, service_code: 'SJ0101', ...str(MANHOLE_POINT) });
    expect(afterRevoke.status).toBe(403);
    // A revoked key given on a read is refused too (a read without a key is still answered).
    for (const path of [`requests.json?api_key=${key}`, `services.xml?api_key=${key}`]) {
      const read = await get(`/open311/v2/${path}`);
      expect([path, read.status]).toEqual([path, 403]);
      if (path.includes('.xml')) assertXml('errors', xmlOf(read));
      else assertJson('errors', read.body);
    }

    const audit: Array<{ action: string; actor_username: string }> = await t.ds.query(
      `SELECT action, actor_username FROM audit_log WHERE action LIKE 'open311.key.%' ORDER BY at`);
    expect(audit).toEqual([{ action: 'open311.key.create', actor_username: 'demo.admin' }, { action: 'open311.key.revoke', actor_username: 'demo.admin' }]);
  });

  it('anonymous readers are rate-limited per IP; old windows are purged by the worker job', async () => {
    const subject = `ip:${createHash('sha256').update('127.0.0.1').digest('hex').slice(0, 40)}`;
    await t.ds.query(
      `INSERT INTO open311_rate_windows (subject, window_start, hits) VALUES ($1, date_trunc('minute', now()), 100000)
       ON CONFLICT (subject, window_start) DO UPDATE SET hits = 100000`, [subject]);
    const limited = await get('/open311/v2/services.xml');
    expect(limited.status).toBe(429);
    expect(assertXml('errors', xmlOf(limited))[0].code).toBe('429');
    // A key has its own counter: the same IP with a key still gets through.
    expect((await get(`/open311/v2/services.json?api_key=${DEMO_OPEN311_KEY}`)).status).toBe(200);
    await t.ds.query(`INSERT INTO open311_rate_windows (subject, window_start, hits) VALUES ('ip:old', now() - interval '1 hour', 3)`);
    const purged = await t.app.get(Open311RatePurgeJob).handle();
    expect(purged.deleted).toBeGreaterThanOrEqual(1);
    const left: Array<{ subject: string }> = await t.ds.query(`SELECT subject FROM open311_rate_windows`);
    expect(left.map((r) => r.subject)).not.toContain('ip:old');
    expect(left.map((r) => r.subject)).toContain(subject);
    await t.ds.query(`DELETE FROM open311_rate_windows`);
  });

  it('the point-in-polygon test handles holes, multipolygons and malformed polygons', async () => {
    const ring = (x0: number, y0: number, x1: number, y1: number) => [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
    const withHole = { type: 'Polygon', coordinates: [ring(0, 0, 10, 10), ring(4, 4, 6, 6)] };
    const multi = { type: 'MultiPolygon', coordinates: [[ring(0, 0, 1, 1)], [ring(20, 20, 21, 21)]] };
    const cases: Array<[unknown, number, number, boolean]> = [
      [withHole, 2, 2, true], [withHole, 5, 5, false], [withHole, 11, 5, false],
      [multi, 20.5, 20.5, true], [multi, 10, 10, false],
      [{ type: 'Polygon', coordinates: 'x' }, 1, 1, false], [{ type: 'Polygon', coordinates: [[['a', 1]]] }, 1, 1, false],
      [{ type: 'Point', coordinates: [1, 1] }, 1, 1, false], [[1, 2], 1, 1, false],
    ];
    for (const [g, lat, lng, expected] of cases) {
      const [r] = await t.ds.query(`SELECT open311_point_in_geojson($1::jsonb, $2, $3) AS inside`, [JSON.stringify(g), lat, lng]);
      expect([g, lat, lng, r.inside]).toEqual([g, lat, lng, expected]);
    }
  });

  describe('publication policy: what staff filed is not published, or published without free text', () => {
    let grid: string;
    const staff: Record<'welfare' | 'wish' | 'hotline' | 'light', { id: string; number: string }> = {} as never;
    const openRead: string[] = [];

    /** Every Open311 read path (list, filters, both single paths; JSON and XML; anonymous and keyed); all answers kept. */
    async function everyRead(numbers: string[], serviceCodes: string[]): Promise<HttpResponse[]> {
      const paths = [
        'requests.json', 'requests.xml', 'requests.json?status=open', 'requests.xml?status=open&jurisdiction_id=210900',
        `requests.json?service_request_id=${numbers.join(',')}`, `requests.xml?service_request_id=${numbers.join(',')}`,
        ...serviceCodes.flatMap((c) => [`requests.json?service_code=${c}`, `requests.xml?service_code=${c}&jurisdiction_id=210902`]),
        ...numbers.flatMap((n) => [`requests/${n}.json`, `requests/${n}.xml`, `request/${n}.json`, `request/${n}.xml`]),
      ];
      const answers: HttpResponse[] = [];
      for (const path of paths) answers.push(await get(`/open311/v2/${path}`));
      for (const path of [`requests.json?service_request_id=${numbers.join(',')}`, `request/${numbers[0]}.json`]) {
        answers.push(await get(`/open311/v2/${path}${path.includes('?') ? '&' : '?'}api_key=${DEMO_OPEN311_KEY}`));
      }
      return answers;
    }

    beforeAll(async () => {
      await t.ds.query(`DELETE FROM open311_rate_windows`);
      grid = await t.login('demo.grid');
      const file = async (body: Record<string, unknown>) => {
        const res = await fileTicket(t, grid, body);
        if (res.status !== 201) throw new Error(`filing failed: ${res.status} ${res.text}`);
        seen.push(res.text);
        return { id: res.body.id as string, number: res.body.number as string };
      };
      // 残疾人证 errand with the resident's name, disability and illness, at her flat.
      staff.welfare = await file({
        categoryCode: 'CS05', title: '李秀兰换领残疾人证', description: '李秀兰，二级肢体残疾，患糖尿病，行动不便，委托社区代办换领残疾人证',
        address: '海州区站前街道电务小区2号楼3单元501', ...{ lat: 42.02701, lng: 121.65949 }, channel: 'walk_in',
        attributes: { serviceType: 'errand' }, reporter: { name: '李秀兰', phone: '13941817777' },
      });
      staff.wish = await file({
        categoryCode: 'PB01', title: '独居老人微心愿', description: '3号楼独居老人赵桂芝的微心愿：一台助听器', channel: 'patrol',
        attributes: { wishType: 'micro_wish', beneficiaryCount: 1 },
      });
      staff.hotline = await file({
        categoryCode: 'RH0102', title: '夜间装修噪声', description: '来电人反映楼上孙志强家每晚装修到十一点', address: '电务小区4号楼',
        lat: 42.02702, lng: 121.65951, channel: 'hotline', attributes: { requestType: 'complaint' },
      });
      // Public space, but staff text naming a resident; filed as channel `open311` to show the channel is not what counts.
      staff.light = await file({
        categoryCode: '0115', title: '路灯不亮', description: '电务小区2号楼王建军家门口路灯不亮', address: '电务小区2号楼2单元门口',
        lat: 42.026984, lng: 121.659526, channel: 'open311', reporter: { name: '王建军', phone: '13941816666' },
      });
    });

    it('staff-filed welfare, party-building and hotline tickets appear in no Open311 read, in JSON or XML', async () => {
      const hidden = [staff.welfare, staff.wish, staff.hotline];
      // They exist, and an identical request filed through Open311 on the hotline platform is published.
      const [stored] = await t.ds.query(`SELECT count(*)::int AS n FROM tickets WHERE number = ANY($1::text[])`, [hidden.map((h) => h.number)]);
      expect(stored.n).toBe(3);
      const viaOpen311 = await postForm('/open311/v2/requests.json', {
        api_key: DEMO_OPEN311_KEY, service_code: 'RH0102', ...str(MANHOLE_POINT), description: '电务小区夜间施工噪声', 'attribute[requestType]': 'complaint',
      });
      expect(viaOpen311.status).toBe(200);
      const published: string = viaOpen311.body[0].service_request_id;
      openRead.push(published);

      // The read model itself (first of the two checks; the mapper is the second) never selects them.
      const rows = await t.app.get(Open311Repository).requests({ numbers: [...hidden.map((h) => h.number), staff.light.number], limit: 10 });
      expect(rows.map((r) => [r.number, r.description, r.address, r.public_note])).toEqual([[staff.light.number, null, null, null]]);

      const answers = await everyRead(hidden.map((h) => h.number), ['CS05', 'PB01', 'RH0102']);
      for (const res of answers) {
        for (const h of hidden) expect(res.text).not.toContain(h.number);
        for (const secret of STAFF_SECRETS) expect(res.text).not.toContain(secret);
      }
      for (const h of hidden) {
        for (const path of [`requests/${h.number}.json`, `request/${h.number}.xml`]) {
          const res = await get(`/open311/v2/${path}`);
          expect(res.status).toBe(404); // as for an unknown number: not even the existence is told
        }
      }
      const byCode = await get('/open311/v2/requests.json?service_code=RH0102');
      assertJson('service_requests', byCode.body);
      expect(byCode.body).toEqual([expect.objectContaining({ service_request_id: published, description: '电务小区夜间施工噪声' })]);
      const viaClient = keep(await json.requests({ service_request_id: [...hidden.map((h) => h.number), published].join(',') }));
      expect(viaClient.map((r: any) => r.service_request_id)).toEqual([published]);
      await expect(json.request(staff.welfare.number)).rejects.toThrow();

      // Welfare filed through Open311 is accepted (and triaged) but not published either; the answer says so.
      const errand = await postForm('/open311/v2/requests.xml', {
        api_key: DEMO_OPEN311_KEY, service_code: 'CS0101', ...str(MANHOLE_POINT), description: '行动不便，委托代办社保卡', 'attribute[serviceType]': 'errand',
      });
      expect(errand.status).toBe(200);
      const [created] = assertXml('post_response', xmlOf(errand));
      expect(created.service_notice).toContain('不公开查询');
      expect((await get(`/open311/v2/request/${created.service_request_id}.json`)).status).toBe(404);
      expect((await get('/open311/v2/requests.json?service_code=CS0101')).body).toEqual([]);
      const services = await get('/open311/v2/services.json');
      expect(services.body.find((x: any) => x.service_code === 'CS0101').description).toContain('不公开查询');
      expect(services.body.find((x: any) => x.service_code === '0115').description).not.toContain('不公开查询');
    });

    it('a staff-filed community governance ticket is published without description, address or staff notes, at rounded coordinates', async () => {
      const listed = await get('/open311/v2/requests.json?service_code=0115');
      assertJson('service_requests', listed.body);
      const expected = {
        service_request_id: staff.light.number, status: 'open', service_code: '0115', service_name: '路灯', status_notes: '已受理，待立案',
        lat: 42.027, long: 121.66,
      };
      expect(listed.body).toEqual([expect.objectContaining(expected)]);
      const single = await get(`/open311/v2/request/${staff.light.number}.json`);
      assertJson('request', single.body);
      expect(single.body).toMatchObject(expected);
      for (const field of ['description', 'address']) {
        expect(listed.body[0]).not.toHaveProperty(field);
        expect(single.body).not.toHaveProperty(field);
      }
      const xmlMember = assertXml('request', xmlOf(await get(`/open311/v2/request/${staff.light.number}.xml`)));
      expect(xmlMember).toEqual(asText(single.body));
      expect(xmlMember).not.toHaveProperty('description');
      expect(xmlMember).not.toHaveProperty('address');

      // Handled and resolved with a note naming the resident: the state is published, the note is not.
      const dispatcher = await t.login('demo.dispatcher');
      const handler = await t.login('demo.handler');
      await mustAct(t, dispatcher, staff.light.id, 'register');
      await mustAct(t, dispatcher, staff.light.id, 'dispatch', { unitId: ids['FX-SZSS'] });
      await mustAct(t, handler, staff.light.id, 'sign');
      await mustAct(t, handler, staff.light.id, 'resolve', { note: '已为王建军家门口更换灯泡' });
      const resolved = await get(`/open311/v2/requests/${staff.light.number}.json`);
      assertJson('service_requests', resolved.body);
      expect(resolved.body[0]).toMatchObject({ status: 'open', status_notes: '已办结，待核查', agency_responsible: '阜新市市政设施服务中心' });

      const answers = await everyRead([staff.light.number], ['0115']);
      expect(answers.filter((r) => r.status === 200).length).toBe(answers.length);
      for (const res of answers) for (const secret of STAFF_SECRETS) expect(res.text).not.toContain(secret);
    });
  });

  it('never outputs the reporter personal data (every response of this suite checked)', async () => {
    // Raw answers, the client's parsed answers and the staff API's masked views: none holds the full values.
    expect(seen.length).toBeGreaterThan(30);
    for (const text of seen) for (const secret of SECRETS) expect(text).not.toContain(secret);
    for (const text of seen) expect(text).not.toContain('13900001111');
  });

  it('the migration reverts and re-applies cleanly (last: it drops the Open311 tables)', async () => {
    const runner = t.ds.createQueryRunner();
    try {
      const column = `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'tickets' AND column_name = 'media_urls'`;
      await new TicketMediaUrls1764300430000().down(runner);
      expect((await t.ds.query(column))[0].n).toBe(0);
      await new TicketMediaUrls1764300430000().up(runner);
      expect((await t.ds.query(column))[0].n).toBe(1);
      await new Open3111764230900000().down(runner);
      const [gone] = await t.ds.query(`SELECT to_regclass('open311_api_keys') AS t, to_regprocedure('open311_point_in_geojson(jsonb,float8,float8)') AS f`);
      expect(gone).toEqual({ t: null, f: null });
      await new Open3111764230900000().up(runner);
      const [back] = await t.ds.query(`SELECT to_regclass('open311_api_keys')::text AS t`);
      expect(back.t).toBe('open311_api_keys');
    } finally {
      await runner.release();
    }
  });
});

/** The demo key (`is_demo`, seeded as by `npm run demo`) must not work in production mode; a real key does. */
describe('Open311 demo key in production mode 生产模式下的演示密钥', () => {
  let p: TestApp;
  beforeAll(async () => {
    p = await createTestApp({
      env: {
        APP_MODE: 'production', JWT_SECRET: randomBytes(48).toString('base64url'), PII_KEY: Buffer.alloc(32, 7).toString('base64'),
        PUBLIC_BASE_URL: 'https://12345.fuxin.example.gov.cn/',
      },
    });
  });
  afterAll(async () => {
    await p?.close();
  });
  const form = (fields: Record<string, string>) => ({
    raw: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const filing = { service_code: 'SJ0101', ...str(MANHOLE_POINT), description: '生产模式演示密钥测试' };

  it('runs in production mode, with the demo key seeded', async () => {
    expect(p.config.mode).toBe('production');
    expect(await p.ds.query(`SELECT is_demo, active FROM open311_api_keys`)).toEqual([{ is_demo: true, active: true }]);
  });

  it('discovery names the endpoint under PUBLIC_BASE_URL, whatever Host header a caller sends', async () => {
    for (const host of [undefined, 'evil.example']) {
      const res = await p.request('GET', '/open311/v2/discovery.json', { headers: host ? { host } : {} });
      expect(res.status).toBe(200);
      assertJson('discovery', res.body);
      expect(res.body.endpoints[0].url).toBe('https://12345.fuxin.example.gov.cn/open311/v2/');
    }
  });

  it('refuses the demo key with the answer of an unknown key, for POST and for keyed reads; nothing is filed', async () => {
    for (const path of ['/open311/v2/requests.json', '/open311/v2/requests.xml']) {
      const demo = await p.request('POST', path, form({ api_key: DEMO_OPEN311_KEY, ...filing }));
      const unknown = await p.request('POST', path, form({ api_key: 'not-a-key', ...filing }));
      expect([demo.status, demo.text]).toEqual([403, unknown.text]);
      const viaQuery = await p.request('POST', `${path}?api_key=${DEMO_OPEN311_KEY}`, form(filing));
      expect([viaQuery.status, viaQuery.text]).toEqual([403, unknown.text]);
    }
    const json = await p.request('POST', '/open311/v2/requests.json', form({ api_key: DEMO_OPEN311_KEY, ...filing }));
    expect(json.body).toEqual([{ code: 403, description: 'Invalid api_key / api_key 无效' }]);
    const read = await p.request('GET', `/open311/v2/services.json?api_key=${DEMO_OPEN311_KEY}`);
    expect(read.status).toBe(403);
    expect(await p.ds.query(`SELECT count(*)::int AS n FROM tickets`)).toEqual([{ n: 0 }]);
    expect(await p.ds.query(`SELECT count(*)::int AS n FROM open311_requests`)).toEqual([{ n: 0 }]);
    // Refused before counting: the demo key's rate window was never touched.
    expect(await p.ds.query(`SELECT count(*)::int AS n FROM open311_rate_windows WHERE subject LIKE 'key:%'`)).toEqual([{ n: 0 }]);
  });

  it('a key that is not a demo key files as usual; anonymous reads still work', async () => {
    const key = 'o311_production-test-key-0123456789abcdefghijklmnopq';
    await p.ds.query(
      `INSERT INTO open311_api_keys (key_hash, key_prefix, name, jurisdiction_node_id, rate_limit_per_minute)
       SELECT $1, $2, '生产客户端', id, 60 FROM grid_nodes WHERE code = '210900'`, [createHash('sha256').update(key, 'utf8').digest('hex'), key.slice(0, 9)]);
    const res = await p.request('POST', '/open311/v2/requests.json', form({ api_key: key, ...filing }));
    expect(res.status).toBe(200);
    assertJson('post_response', res.body);
    expect(await p.ds.query(`SELECT count(*)::int AS n FROM open311_requests`)).toEqual([{ n: 1 }]);
    expect((await p.request('GET', '/open311/v2/services.json')).status).toBe(200);
  });
});

function str(p: { lat: number; long: number }): { lat: string; long: string } {
  return { lat: String(p.lat), long: String(p.long) };
}
