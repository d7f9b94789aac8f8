import { PLATFORM_CODES } from './platform.types';
import { PLATFORM_DEFINITIONS, PLATFORM_DEMO_CATEGORIES, personalAttributePaths, platformDefinition, validatePlatformAttributes } from './platform-registry';

const parties = [
  { role: 'applicant', name: '张三', phone: '13800000000', idNumber: '21090219800101001x' },
  { role: 'respondent', name: '李四' },
];

describe('platform registry 平台', () => {
  it('defines the five platforms once each, with names in both languages', () => {
    expect(PLATFORM_DEFINITIONS.map((p) => p.code)).toEqual([...PLATFORM_CODES]);
    for (const p of PLATFORM_DEFINITIONS) {
      expect(p.nameZh).toMatch(/\p{Script=Han}/u);
      expect(p.nameEn).toMatch(/^[A-Z]/);
      expect(platformDefinition(p.code)).toBe(p);
    }
    expect(platformDefinition('nope')).toBeUndefined();
    expect(platformDefinition('__proto__')).toBeUndefined();
  });

  it('demo categories have valid codes, known parents and at least five per platform', () => {
    const all = PLATFORM_CODES.flatMap((p) => PLATFORM_DEMO_CATEGORIES[p]);
    const codes = new Set(all.map((c) => c.code));
    expect(codes.size).toBe(all.length);
    for (const p of PLATFORM_CODES) expect(PLATFORM_DEMO_CATEGORIES[p].length).toBeGreaterThanOrEqual(5);
    for (const c of all) {
      expect(c.code).toMatch(/^[0-9A-Za-z_]{1,40}$/);
      expect(c.level === 'major').toBe(c.parentCode === undefined);
      if (c.parentCode) expect(codes.has(c.parentCode)).toBe(true);
      for (const s of c.standards ?? []) {
        if (s.clockType === 'working_days') expect(s.resolveLimitDays).toBeGreaterThan(0);
        else expect(s.resolveLimitSeconds).toBeGreaterThan(0);
      }
    }
  });
});

describe('validatePlatformAttributes 平台属性校验', () => {
  it('accepts valid attributes of every platform and keeps only declared keys, trimmed', () => {
    expect(validatePlatformAttributes('community_governance', { componentId: ' 0101-000123 ', selfHandled: false }))
      .toEqual({ ok: true, value: { componentId: '0101-000123', selfHandled: false }, errors: [] });
    expect(validatePlatformAttributes('community_governance', undefined)).toEqual({ ok: true, value: {}, errors: [] });
    const dr = validatePlatformAttributes('dispute_resolution', { disputeType: 'neighbour', parties });
    expect(dr.ok).toBe(true);
    expect(dr.value.parties).toEqual([
      { role: 'applicant', name: '张三', phone: '13800000000', idNumber: '21090219800101001X' },
      { role: 'respondent', name: '李四' },
    ]);
    expect(validatePlatformAttributes('request_handling', { requestType: 'complaint', anonymous: true }).ok).toBe(true);
    expect(validatePlatformAttributes('convenience_services', { serviceType: 'home_visit', appointmentDate: '2028-02-29' }).ok).toBe(true);
    expect(validatePlatformAttributes('party_building', { wishType: 'micro_wish', beneficiaryCount: 3 }).ok).toBe(true);
  });

  it('refuses an unknown platform and a non-object', () => {
    expect(validatePlatformAttributes('nope', {}).errors[0]!.field).toBe('platform');
    for (const bad of [null, [], 'x', 3, true]) {
      const r = validatePlatformAttributes('request_handling', bad);
      expect([r.ok, r.errors[0]!.field]).toEqual([false, 'attributes']);
    }
  });

  const refused: Array<[string, string, unknown, string]> = [
    ['unknown key', 'request_handling', { requestType: 'complaint', isAdmin: true }, 'isAdmin'],
    ['__proto__-like key', 'request_handling', JSON.parse('{"requestType":"complaint","__proto__":{"x":1}}'), '__proto__'],
    ['missing required', 'request_handling', { anonymous: true }, 'requestType'],
    ['wrong enum', 'request_handling', { requestType: 'praise' }, 'requestType'],
    ['enum of wrong type', 'request_handling', { requestType: 1 }, 'requestType'],
    ['boolean as string', 'request_handling', { requestType: 'complaint', anonymous: 'yes' }, 'anonymous'],
    ['string as number', 'community_governance', { componentId: 42 }, 'componentId'],
    ['too long', 'community_governance', { componentId: 'x'.repeat(65) }, 'componentId'],
    ['empty string', 'community_governance', { componentId: '   ' }, 'componentId'],
    ['NUL', 'community_governance', { componentId: 'a\u0000b' }, 'componentId'],
    ['control char', 'community_governance', { componentId: 'a\u001bb' }, 'componentId'],
    ['lone surrogate', 'community_governance', { componentId: 'a\ud800b' }, 'componentId'],
    ['bad date', 'convenience_services', { serviceType: 'errand', appointmentDate: '2027-02-29' }, 'appointmentDate'],
    ['date format', 'convenience_services', { serviceType: 'errand', appointmentDate: '2027/01/02' }, 'appointmentDate'],
    ['number as string', 'party_building', { wishType: 'micro_wish', beneficiaryCount: '3' }, 'beneficiaryCount'],
    ['NaN-like number', 'party_building', { wishType: 'micro_wish', beneficiaryCount: 1.5 }, 'beneficiaryCount'],
    ['negative number', 'party_building', { wishType: 'micro_wish', beneficiaryCount: -1 }, 'beneficiaryCount'],
    ['parties missing', 'dispute_resolution', { disputeType: 'family' }, 'parties'],
    ['parties not a list', 'dispute_resolution', { disputeType: 'family', parties: { role: 'applicant' } }, 'parties'],
    ['no respondent', 'dispute_resolution', { disputeType: 'family', parties: [parties[0]] }, 'parties'],
    ['bad party role', 'dispute_resolution', { disputeType: 'family', parties: [...parties, { role: 'witness', name: '王五' }] }, 'parties[2].role'],
    ['unknown party key', 'dispute_resolution', { disputeType: 'family', parties: [{ ...parties[0], address: 'x' }, parties[1]] }, 'parties[0].address'],
    ['party name NUL', 'dispute_resolution', { disputeType: 'family', parties: [{ role: 'applicant', name: 'a\u0000' }, parties[1]] }, 'parties[0].name'],
    ['bad id number', 'dispute_resolution', { disputeType: 'family', parties: [{ role: 'applicant', name: '张三', idNumber: '123' }, parties[1]] }, 'parties[0].idNumber'],
    ['bad phone', 'dispute_resolution', { disputeType: 'family', parties: [{ role: 'applicant', name: '张三', phone: 'call me' }, parties[1]] }, 'parties[0].phone'],
    ['party not an object', 'dispute_resolution', { disputeType: 'family', parties: ['张三', parties[1]] }, 'parties[0]'],
  ];

  it.each(refused)('refuses %s', (_name, platform, input, field) => {
    const r = validatePlatformAttributes(platform, input);
    expect(r.ok).toBe(false);
    expect(r.value).toEqual({});
    expect(r.errors.map((e) => e.field)).toContain(field);
  });

  it('names the personal data paths', () => {
    expect(personalAttributePaths('dispute_resolution')).toEqual(['parties']);
    expect(personalAttributePaths('community_governance')).toEqual([]);
    expect(personalAttributePaths('nope')).toEqual([]);
  });
});
