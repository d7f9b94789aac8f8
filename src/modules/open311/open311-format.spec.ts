import { XMLValidator } from 'fast-xml-parser';
import { formatOfPath, iso8601, parseIsoDate, render, renderErrors, splitFormat } from './open311-format';

describe('open311 formats', () => {
  it('splits a path segment into name and format, and refuses other extensions', () => {
    expect(splitFormat('services.json')).toEqual({ name: 'services', format: 'json' });
    expect(splitFormat('FX-20261127-000123.XML')).toEqual({ name: 'FX-20261127-000123', format: 'xml' });
    expect(splitFormat('services.csv')).toBeUndefined();
    expect(splitFormat('services')).toBeUndefined();
    expect(splitFormat('.json')).toBeUndefined();
    expect(formatOfPath('/open311/v2/requests/x.xml?api_key=1')).toBe('xml');
    expect(formatOfPath('/open311/v2/requests/x.json')).toBe('json');
    expect(formatOfPath('/open311/v2/nothing')).toBe('json');
  });

  it('writes ISO 8601 in Asia/Shanghai time with its offset', () => {
    expect(iso8601(new Date('2026-11-27T16:30:05.123Z'))).toBe('2026-11-28T00:30:05+08:00');
  });

  it('reads ISO 8601 with Z, an offset, or none (then Shanghai time), and refuses impossible dates', () => {
    expect(parseIsoDate('2026-11-27T08:00:00Z')?.toISOString()).toBe('2026-11-27T08:00:00.000Z');
    expect(parseIsoDate('2026-11-27T08:00:00+08:00')?.toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect(parseIsoDate('2026-11-27T08:00:00-0500')?.toISOString()).toBe('2026-11-27T13:00:00.000Z');
    expect(parseIsoDate('2026-11-27')?.toISOString()).toBe('2026-11-26T16:00:00.000Z');
    expect(parseIsoDate('2026-11-27T08:00:00.250Z')?.toISOString()).toBe('2026-11-27T08:00:00.250Z');
    expect(parseIsoDate('2026-02-30T00:00:00Z')).toBeUndefined();
    expect(parseIsoDate('2026-11-27T24:00:00Z')).toBeUndefined();
    expect(parseIsoDate('yesterday')).toBeUndefined();
    expect(parseIsoDate('1764230400')).toBeUndefined();
  });

  it('reads an offset whose + arrived as a space (sent unencoded in a query string), and only after a time', () => {
    expect(parseIsoDate('2026-11-27T08:00:00 08:00')?.toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect(parseIsoDate('2026-11-27T08:00 0800')?.toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect(parseIsoDate('2026-11-27 08:00')?.toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect(parseIsoDate('2026-11-27 08:00 05:00')?.toISOString()).toBe('2026-11-27T03:00:00.000Z');
    expect(parseIsoDate('2026-11-27T08:00:00 08:00+08:00')).toBeUndefined();
    expect(parseIsoDate('2026-11-27T08:00:00 8:00')).toBeUndefined();
  });

  it('renders lists as repeated member elements, drops nulls, escapes text, and keeps JSON as given', () => {
    const doc = [{ service_code: '0101', service_name: '井盖 & <盖板>', metadata: true, group: null }];
    const xml = render('xml', 'services', doc);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toBe('<?xml version="1.0" encoding="utf-8"?><services><service><service_code>0101</service_code>'
      + '<service_name>井盖 &amp; &lt;盖板&gt;</service_name><metadata>true</metadata></service></services>');
    expect(JSON.parse(render('json', 'services', doc))).toEqual([{ service_code: '0101', service_name: '井盖 & <盖板>', metadata: true }]);
    expect(render('xml', 'service_requests', [])).toBe('<?xml version="1.0" encoding="utf-8"?><service_requests></service_requests>');
    const nested = render('xml', 'service_definition', { service_code: '1', attributes: [{ code: 'a', values: [{ key: 'k', name: 'n' }] }] });
    expect(nested).toContain('<attributes><attribute><code>a</code><values><value><key>k</key><name>n</name></value></values></attribute></attributes>');
  });

  it('strips characters XML 1.0 cannot carry', () => {
    const xml = render('xml', 'service_requests', [{ description: 'a\u0001b\u000bc\nd' }]);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<description>abc\nd</description>');
  });

  it('renders error lists in both formats', () => {
    expect(JSON.parse(renderErrors('json', [{ code: 403, description: 'Invalid api_key' }]))).toEqual([{ code: 403, description: 'Invalid api_key' }]);
    expect(renderErrors('xml', [{ code: 404, description: 'x' }])).toBe('<?xml version="1.0" encoding="utf-8"?><errors><error><code>404</code><description>x</description></error></errors>');
  });
});
