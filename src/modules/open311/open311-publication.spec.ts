import { PLATFORM_DEFINITIONS } from '../platforms/platform-registry';
import { PUBLICATION_POLICY, publicationOf, publishedPlatforms, roundCoordinate } from './open311-publication';

describe('open311 publication policy', () => {
  it('never publishes welfare, party building or disputes, however filed', () => {
    for (const platform of ['convenience_services', 'party_building', 'dispute_resolution']) {
      expect([publicationOf(platform, true), publicationOf(platform, false)]).toEqual(['none', 'none']);
    }
  });

  it('publishes community governance (staff-filed redacted) and only Open311-filed resident requests', () => {
    expect(publicationOf('community_governance', true)).toBe('full');
    expect(publicationOf('community_governance', false)).toBe('redacted');
    expect(publicationOf('request_handling', true)).toBe('full');
    expect(publicationOf('request_handling', false)).toBe('none');
    expect(publishedPlatforms(true)).toEqual(['community_governance', 'request_handling']);
    expect(publishedPlatforms(false)).toEqual(['community_governance']);
  });

  it('denies by default: a platform without a policy, or a prototype key, is never published', () => {
    expect(publicationOf('new_platform', true)).toBe('none');
    expect(publicationOf('__proto__', true)).toBe('none');
    expect(publicationOf('constructor', false)).toBe('none');
  });

  it('has a policy for every registered platform', () => {
    expect(Object.keys(PUBLICATION_POLICY).sort()).toEqual(PLATFORM_DEFINITIONS.map((p) => p.code).sort());
  });

  it('rounds redacted coordinates to three decimals', () => {
    expect(roundCoordinate(42.026984)).toBe(42.027);
    expect(roundCoordinate(121.659526)).toBe(121.66);
    expect(roundCoordinate(null)).toBeNull();
  });
});
