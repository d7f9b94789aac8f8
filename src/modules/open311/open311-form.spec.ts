import { COMMUNITY_GOVERNANCE } from '../platforms/community-governance/community-governance.platform';
import { CONVENIENCE_SERVICES } from '../platforms/convenience-services/convenience-services.platform';
import { PARTY_BUILDING } from '../platforms/party-building/party-building.platform';
import { convertAttributes, parsePostForm, reporterName } from './open311-form';

describe('open311 POST form', () => {
  const base = { api_key: 'k', service_code: '0101', lat: '42.02698', long: '121.65952' };

  it('reads the GeoReport fields, attribute[code] included, with the query string as a fallback', () => {
    const r = parsePostForm({ ...base, description: ' 井盖丢失\n有危险 ', 'attribute[case_standard]': 'missing', 'attribute[tags][]': ['a', 'b'], email: 'a@b.cn', phone: '13841815678' }, { jurisdiction_id: '210900', api_key: 'ignored' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      apiKey: 'k', jurisdictionId: '210900', serviceCode: '0101', lat: 42.02698, lng: 121.65952, description: '井盖丢失\n有危险',
      attributes: { case_standard: 'missing', tags: ['a', 'b'] }, personal: { email: 'a@b.cn', phone: '13841815678' },
    });
  });

  it('takes every field from the query string too, as the official description declares them (the body wins)', () => {
    const r = parsePostForm(undefined, { ...base, 'attribute[case_standard]': 'missing', description: '井盖丢失' });
    expect(r.ok && r.value).toMatchObject({ apiKey: 'k', serviceCode: '0101', lat: 42.02698, description: '井盖丢失', attributes: { case_standard: 'missing' } });
    const mixed = parsePostForm({ service_code: '0102' }, { ...base, colour: 'red' });
    expect(mixed.ok || mixed.errors.map((e) => e.field)).toEqual(['colour']);
    const both = parsePostForm({ service_code: '0102', description: 'body' }, { ...base, description: 'query' });
    expect(both.ok && [both.value.serviceCode, both.value.description]).toEqual(['0102', 'body']);
    // A `__proto__` field is refused as unknown, wherever it comes from, and sets no prototype.
    for (const [body, query] of [[JSON.parse('{"__proto__":{"x":1},"service_code":"0101"}'), base], [{}, { ...base, ['__proto__']: 'x' }]] as const) {
      const p = parsePostForm(body, JSON.parse(JSON.stringify(query)));
      expect(p.ok).toBe(false);
    }
  });

  it('names every bad field: unknown ones, half a location, wrong numbers, control characters, repeated values', () => {
    const r = parsePostForm({ api_key: 'k', service_code: '01 01', lat: '1e999', colour: 'red', first_name: 'a\u0007', email: 'nope', phone: 'call me', description: ['a', 'b'] }, {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([...new Set(r.errors.map((e) => e.field))].sort()).toEqual(['colour', 'description', 'email', 'first_name', 'lat', 'phone', 'service_code'].sort());
    const noLocation = parsePostForm({ api_key: 'k', service_code: '0101', address_id: '17' }, {});
    expect(noLocation.ok).toBe(false);
    if (!noLocation.ok) expect(noLocation.errors[0]!.message).toContain('address_id is not supported');
    const half = parsePostForm({ api_key: 'k', service_code: '0101', long: '121' }, {});
    expect(half.ok || half.errors.map((e) => e.field)).toEqual(['lat']);
    expect(parsePostForm('text', {}).ok).toBe(false);
  });

  it('accepts a JSON body with numbers for the coordinates', () => {
    const r = parsePostForm({ api_key: 'k', service_code: '0101', lat: 42.02698, long: 121.65952 }, {});
    expect(r.ok && [r.value.lat, r.value.lng]).toEqual([42.02698, 121.65952]);
    expect(parsePostForm({ api_key: 'k', service_code: '0101', lat: { x: 1 }, long: 1 }, {}).ok).toBe(false);
  });

  it('takes an http(s) media_url and refuses any other (scheme, credentials, spaces, no host)', () => {
    const r = parsePostForm({ ...base, media_url: ' https://cdn.example.org/p/638344.jpg?s=1 ' }, {});
    expect(r.ok && r.value.mediaUrl).toBe('https://cdn.example.org/p/638344.jpg?s=1');
    expect(parsePostForm(base, {}).ok && (parsePostForm(base, {}) as { value: { mediaUrl?: string } }).value.mediaUrl).toBeUndefined();
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'ftp://example.org/a.jpg', 'https://user:pw@example.org/a.jpg', 'https://exa mple.org/a.jpg',
      'http://', '//example.org/a.jpg', 'https://例子.中国/照片.jpg', 'data:image/png;base64,AAAA']) {
      const refused = parsePostForm({ ...base, media_url: bad }, {});
      expect([bad, refused.ok || refused.errors.map((e) => e.field)]).toEqual([bad, ['media_url']]);
    }
  });

  it('accepts an address without coordinates', () => {
    const r = parsePostForm({ api_key: 'k', service_code: '0101', address_string: '电务小区1号楼' }, {});
    expect(r.ok && r.value.addressString).toBe('电务小区1号楼');
  });

  it('converts attribute texts to the platform types and takes the case standard out', () => {
    expect(convertAttributes(COMMUNITY_GOVERNANCE.attributes, { case_standard: 'missing', selfHandled: 'true', componentId: ' A-1 ' }))
      .toEqual({ standardCode: 'missing', attributes: { selfHandled: true, componentId: 'A-1' } });
    expect(convertAttributes(PARTY_BUILDING.attributes, { beneficiaryCount: '12', wishType: 'micro_wish' }).attributes).toEqual({ beneficiaryCount: 12, wishType: 'micro_wish' });
    // What does not convert stays text, so the platform validator names the field.
    expect(convertAttributes(PARTY_BUILDING.attributes, { beneficiaryCount: 'many' }).attributes).toEqual({ beneficiaryCount: 'many' });
    expect(convertAttributes(COMMUNITY_GOVERNANCE.attributes, { selfHandled: 'yes' }).attributes).toEqual({ selfHandled: 'yes' });
  });

  it('takes a datetime attribute as its date in Beijing time; a bad one stays text for the validator', () => {
    const date = (v: string) => convertAttributes(CONVENIENCE_SERVICES.attributes, { appointmentDate: v }).attributes.appointmentDate;
    expect(date('2026-12-01')).toBe('2026-12-01');
    expect(date('2026-12-01T09:30:00+08:00')).toBe('2026-12-01');
    expect(date('2026-11-30T17:00:00Z')).toBe('2026-12-01'); // 01:00 on 1 December in Beijing
    expect(date('2026-02-30')).toBe('2026-02-30'); // the platform validator refuses it, naming the field
    expect(date('next week')).toBe('next week');
  });

  it('writes Chinese names family name first', () => {
    expect(reporterName('建国', '张')).toBe('张建国');
    expect(reporterName('Ada', 'Lovelace')).toBe('Ada Lovelace');
    expect(reporterName(undefined, undefined)).toBeUndefined();
  });
});
