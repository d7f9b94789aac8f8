import { DEMO_OPEN311_KEY } from '../../src/database/seeds/demo-open311';
import { assertJson, assertXml } from '../support/open311';
import { createTestApp, type HttpResponse, type TestApp } from '../support/test-app';
import { codeIds } from '../support/tickets';

const MANHOLE_POINT = { lat: '42.02698', long: '121.65952' }; // 电务小区1号楼, 海州区

/**
 * Open311 `jurisdiction_id` (docs/open311.md, Endpoints): a grid node code. Reads are public and, with it, limited
 * to that subtree; on POST it must lie inside the API key's jurisdiction (else 404, as an unknown one, and nothing
 * is filed) and narrows the filing to it.
 */
describe('Open311 jurisdiction_id 辖区', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let haizhouKey: string;
  let haizhouRequest: string;
  let xiheRequest: string;

  const get = (path: string) => t.request('GET', path);
  async function post(form: Record<string, string>): Promise<HttpResponse> {
    return t.request('POST', '/open311/v2/requests.json', {
      raw: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }
  const ticketCount = async (): Promise<number> => (await t.ds.query(`SELECT count(*)::int AS n FROM tickets`))[0].n;
  const filedAt = async (number: string): Promise<{ code: string; path: string }> =>
    (await t.ds.query(`SELECT g.code, t.grid_path::text AS path FROM tickets t JOIN grid_nodes g ON g.id = t.grid_node_id WHERE t.number = $1`, [number]))[0];

  beforeAll(async () => {
    t = await createTestApp({ env: { OPEN311_ANON_PER_MINUTE: '100000' } });
    ids = await codeIds(t);
    const admin = await t.login('demo.admin');
    const key = await t.request('POST', '/api/v1/admin/open311-keys', {
      token: admin, body: { name: '海州区客户端', jurisdictionNodeId: ids['210902'], rateLimitPerMinute: 1000 },
    });
    if (key.status !== 201) throw new Error(key.text);
    haizhouKey = key.body.key;
  });
  afterAll(async () => { await t?.close(); });

  it('the demo key (阜新市) with a district jurisdiction_id files inside that district', async () => {
    const haizhou = await post({ api_key: DEMO_OPEN311_KEY, jurisdiction_id: '210902', service_code: '0101', ...MANHOLE_POINT, description: '海州区井盖' });
    expect(haizhou.status).toBe(200);
    assertJson('post_response', haizhou.body);
    haizhouRequest = haizhou.body[0].service_request_id;
    expect((await filedAt(haizhouRequest)).path.split('.')).toContain('210902');

    const xihe = await post({ api_key: DEMO_OPEN311_KEY, jurisdiction_id: '210911', service_code: '0101', address_string: '细河区四合社区门口井盖缺失', description: '细河区井盖' });
    expect(xihe.status).toBe(200);
    xiheRequest = xihe.body[0].service_request_id;
    expect(await filedAt(xiheRequest)).toEqual({ code: '210911001001', path: '210900.210911.210911001.210911001001' });

    // Narrowed: an address naming a building of 海州区 is not looked for outside 细河区 (the district itself is the node),
    // and a point in 海州区 is outside 细河区.
    const named = await post({ api_key: DEMO_OPEN311_KEY, jurisdiction_id: '210911', service_code: '0101', address_string: '电务小区3号楼东侧' });
    expect(named.status).toBe(200);
    expect((await filedAt(named.body[0].service_request_id)).code).toBe('210911');
    const before = await ticketCount();
    // An address that names another district or street of the city is outside too (it names nothing inside 细河区).
    for (const address of ['海州区站前街道电务小区3号楼东侧', '阜新市海州区某路口']) {
      const elsewhere = await post({ api_key: DEMO_OPEN311_KEY, jurisdiction_id: '210911', service_code: '0101', address_string: address });
      expect([address, elsewhere.status]).toEqual([address, 400]);
      assertJson('errors', elsewhere.body);
      expect(elsewhere.body[0].description).toContain('海州区');
    }
    // Naming the city above the jurisdiction is no contradiction: filed at 细河区's node found in the text.
    const above = await post({ api_key: DEMO_OPEN311_KEY, jurisdiction_id: '210911', service_code: '0101', address_string: '阜新市细河区四合社区门口' });
    expect(above.status).toBe(200);
    expect((await filedAt(above.body[0].service_request_id)).code).toBe('210911001001');
    const afterAbove = await ticketCount();
    expect(afterAbove).toBe(before + 1);
    const point = await post({ api_key: DEMO_OPEN311_KEY, jurisdiction_id: '210911', service_code: '0101', ...MANHOLE_POINT });
    expect(point.status).toBe(400);
    expect(point.body[0].description).toContain('outside the jurisdiction');
    expect(await ticketCount()).toBe(afterAbove);
  });

  it('GET requests with a district jurisdiction_id lists only that district; reads need no key', async () => {
    const numbers = (res: HttpResponse): string[] => (res.body as Array<{ service_request_id: string }>).map((r) => r.service_request_id);
    const all = await get('/open311/v2/requests.json');
    expect(all.status).toBe(200);
    expect(numbers(all)).toEqual(expect.arrayContaining([haizhouRequest, xiheRequest]));

    const haizhou = await get('/open311/v2/requests.json?jurisdiction_id=210902');
    expect(haizhou.status).toBe(200);
    assertJson('service_requests', haizhou.body);
    expect(numbers(haizhou)).toContain(haizhouRequest);
    expect(numbers(haizhou)).not.toContain(xiheRequest);
    for (const n of numbers(haizhou)) expect((await filedAt(n)).path.split('.')).toContain('210902');

    const xihe = await get('/open311/v2/requests.json?jurisdiction_id=210911');
    expect(numbers(xihe)).toContain(xiheRequest);
    expect(numbers(xihe)).not.toContain(haizhouRequest);
    const xml = assertXml('service_requests', (await get('/open311/v2/requests.xml?jurisdiction_id=210911')).text);
    expect(JSON.stringify(xml)).not.toContain(haizhouRequest);

    // By id too: another district's request is not found under this jurisdiction.
    expect((await get(`/open311/v2/requests.json?service_request_id=${haizhouRequest}&jurisdiction_id=210911`)).body).toEqual([]);
    const other = await get(`/open311/v2/requests/${haizhouRequest}.json?jurisdiction_id=210911`);
    expect(other.status).toBe(404);
    assertJson('errors', other.body);
    expect((await get(`/open311/v2/requests/${haizhouRequest}.json?jurisdiction_id=210902`)).status).toBe(200);

    // A key on a read is counted, not a filter: the 海州区 key still reads 细河区's request; a bad key is 403.
    expect(numbers(await get(`/open311/v2/requests.json?api_key=${haizhouKey}`))).toContain(xiheRequest);
    expect((await get('/open311/v2/requests.json?api_key=not-a-key')).status).toBe(403);

    const unknown = await get('/open311/v2/requests.json?jurisdiction_id=999999');
    expect(unknown.status).toBe(404);
    assertJson('errors', unknown.body);
  });

  it('a key of one district cannot file into another: 404, as an unknown jurisdiction, and nothing is filed', async () => {
    const before = await ticketCount();
    const outside = await post({ api_key: haizhouKey, jurisdiction_id: '210911', service_code: '0101', address_string: '细河区四合社区门口' });
    expect(outside.status).toBe(404);
    assertJson('errors', outside.body);
    expect(outside.body[0]).toEqual({ code: 404, description: expect.stringContaining('jurisdiction_id not found') });
    const unknown = await post({ api_key: haizhouKey, jurisdiction_id: '999999', service_code: '0101', ...MANHOLE_POINT });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(outside.body);
    // Not upwards either: the city contains the key's district but is not inside it.
    expect((await post({ api_key: haizhouKey, jurisdiction_id: '210900', service_code: '0101', ...MANHOLE_POINT })).status).toBe(404);
    expect(await ticketCount()).toBe(before);

    // Inside its own subtree it files, there.
    const inside = await post({ api_key: haizhouKey, jurisdiction_id: '210902001001', service_code: '0101', ...MANHOLE_POINT });
    expect(inside.status).toBe(200);
    expect((await filedAt(inside.body[0].service_request_id)).path.split('.')).toContain('210902001001');
    expect(await ticketCount()).toBe(before + 1);
  });
});
