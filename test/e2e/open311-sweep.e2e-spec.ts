import { XMLValidator } from 'fast-xml-parser';
import { DEMO_OPEN311_KEY } from '../../src/database/seeds/demo-open311';
import { createApiTestApp, type ApiTestApp } from '../support/api-test-app';
import { BAD_DATES, BAD_IDS, BAD_NUMBERS, BAD_STRINGS } from '../support/hostile';
import { SCHEMAS, assertXml, loadGeoReportSpec } from '../support/open311';

/**
 * Open311 under hostile input: every parameter the official GeoReport v2 description lists for each operation
 * (test/fixtures/open311/georeport_v2-1.yaml), plus the fields a filing takes, given malformed, boundary and
 * hostile values, in JSON and in XML. Each answer must be a 200 or a GeoReport error list (JSON: an array of
 * {code, description}; XML: <errors>) with the HTTP status as its code — never a 5xx, never a problem+json.
 */
describe('Open311 sweep: hostile input on every operation, JSON and XML 接口非法输入扫描', () => {
  let t: ApiTestApp;
  const spec = loadGeoReportSpec();
  const POINT = { lat: '42.02698', long: '121.65952' };
  const FILING_FIELDS = ['service_code', 'lat', 'long', 'address_string', 'address_id', 'attribute[requestType]', 'attribute', 'email', 'device_id',
    'account_id', 'first_name', 'last_name', 'phone', 'description', 'media_url', 'jurisdiction_id', 'api_key'];
  const VALUES = [...new Set<string>([...BAD_STRINGS, ...BAD_DATES, ...BAD_NUMBERS.map(String), '-91', '181', 'NaN', '1,2'])];

  beforeAll(async () => {
    // Anonymous reads are rate-limited per IP (60 a minute by default): high enough here that the sweep reaches the handlers.
    t = await createApiTestApp({ env: { OPEN311_ANON_PER_MINUTE: '1000000' } });
    await t.ds.query(`UPDATE open311_api_keys SET rate_limit_per_minute = 100000`);
  });
  afterAll(async () => { await t?.close(); });

  it('answers every probe with a 200 or a GeoReport error list, never a 5xx', async () => {
    const failures: string[] = [];
    const statuses: Record<string, number> = {};
    let probes = 0;
    const check = async (what: string, method: 'GET' | 'POST', url: string, form?: Record<string, string>) => {
      probes += 1;
      const raw = form ? new URLSearchParams(form).toString() : undefined;
      const res = await t.request(method, url, { raw, headers: raw === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' } });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const xml = /\.xml(\?|$)/.test(url);
      let wellFormed = true;
      if (res.status >= 400) {
        try {
          if (xml) {
            const errors = assertXml('errors', res.text) as Array<{ code: string }>;
            wellFormed = errors.every((e) => e.code === String(res.status));
          } else {
            wellFormed = SCHEMAS.errors!(res.body) === true && (res.body as Array<{ code: number }>).every((e) => e.code === res.status);
          }
        } catch {
          wellFormed = false;
        }
      } else if (xml) {
        wellFormed = XMLValidator.validate(res.text) === true;
      }
      if (res.status >= 500 || !wellFormed) failures.push(`${what}: ${method} ${url.slice(0, 140)} ${raw?.slice(0, 120) ?? ''} → ${res.status} ${res.text.slice(0, 160)}`);
    };

    for (const format of ['json', 'xml']) {
      for (const [path, item] of Object.entries(spec.paths)) {
        const get = item.get as unknown as { parameters?: Array<{ in?: string; name?: string }> } | undefined;
        if (!get) continue;
        const plain = path.replace('{response_format}', format).replace('{service_request_id}', '1').replace('{service_code}', 'SJ0101').replace('{token_id}', 'x');
        for (const prm of get.parameters ?? []) {
          if (prm.in === 'query' && prm.name) {
            for (const v of VALUES) await check(`query ${prm.name}`, 'GET', `/open311/v2${plain}?${prm.name}=${encodeURIComponent(v)}`);
            await check(`query ${prm.name} twice`, 'GET', `/open311/v2${plain}?${prm.name}=1&${prm.name}=2`);
          } else if (prm.in === 'path' && prm.name) {
            for (const bad of BAD_IDS) {
              await check(`path ${prm.name}`, 'GET', `/open311/v2${path.replace(`{${prm.name}}`, bad).replace(/\{\w+\}/g, (m) => (m === '{response_format}' ? format : '1'))}`);
            }
          }
        }
        for (const v of ['', 'yaml', 'JSON', 'json.xml', '%00']) await check('format', 'GET', `/open311/v2${path.replace('{response_format}', v).replace(/\{\w+\}/g, '1')}`);
      }
      const base = { api_key: DEMO_OPEN311_KEY, service_code: 'SJ0101', ...POINT, description: '路边暴露垃圾 sweep' };
      for (const field of FILING_FIELDS) {
        for (const v of VALUES) await check(`form ${field}`, 'POST', `/open311/v2/requests.${format}`, { ...base, [field]: v });
      }
      await check('form without location', 'POST', `/open311/v2/requests.${format}`, { api_key: DEMO_OPEN311_KEY, service_code: 'SJ0101' });
    }

    expect(failures).toEqual([]);
    expect(probes).toBeGreaterThan(1500);
    expect((statuses[400] ?? 0) + (statuses[404] ?? 0)).toBeGreaterThan(probes / 3);
    expect(statuses[429]).toBeUndefined();
  }, 600_000);
});
