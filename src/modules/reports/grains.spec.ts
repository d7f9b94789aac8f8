import { COARSE_GRAINS, GRAINS, coarseKey, coarseKeys, grainSpec, smallestGrain, type GrainNeeds, type RollupKey } from './grains';

const DAY: RollupKey = {
  grain: 'day', day: '2026-06-17', path: '210900.210902.210902001.210902001001.210902001001002', unitId: 'u-1', platform: 'community_governance',
  categoryCode: '010101', channel: 'patrol',
};
const NOTHING: GrainNeeds = { wholeMonths: true, depth: 1, unit: false, platform: false, category: false, channel: false };

describe('rollup grains', () => {
  it('derives each coarse key from the day key, keeping only the dimensions of its grain', () => {
    expect(coarseKey(DAY, grainSpec('month_street'))).toEqual({
      grain: 'month_street', day: '2026-06-01', path: '210900.210902.210902001', unitId: null, platform: '', categoryCode: '', channel: '',
    });
    expect(coarseKey(DAY, grainSpec('month_category'))).toMatchObject({ day: '2026-06-01', platform: 'community_governance', categoryCode: '010101', channel: '', unitId: null });
    expect(coarseKey(DAY, grainSpec('month_grid'))).toMatchObject({ path: DAY.path, platform: '', categoryCode: '' });
    expect(coarseKey(DAY, grainSpec('day_street'))).toMatchObject({ day: '2026-06-17', path: '210900.210902.210902001', channel: '' });
    expect(coarseKey(DAY, grainSpec('day_unit'))).toEqual({
      grain: 'day_unit', day: '2026-06-17', path: '210900.210902', unitId: 'u-1', platform: 'community_governance', categoryCode: '', channel: '',
    });
    expect(coarseKey(DAY, grainSpec('day_category'))).toEqual({
      grain: 'day_category', day: '2026-06-17', path: '210900.210902', unitId: null, platform: 'community_governance', categoryCode: '010101', channel: '',
    });
    expect(coarseKey(DAY, grainSpec('month_unit'))).toMatchObject({ unitId: 'u-1', platform: 'community_governance', categoryCode: '', channel: '' });
    // A ticket filed on a node above the street keeps its shorter path.
    expect(coarseKey({ ...DAY, path: '210900.210902' }, grainSpec('month_street')).path).toBe('210900.210902');
  });

  it('derives one coarse key per grain but day', () => {
    expect(coarseKeys(DAY).map((k) => k.grain)).toEqual(COARSE_GRAINS.map((g) => g.name));
    expect(new Set(COARSE_GRAINS.map((g) => g.name))).toEqual(new Set(GRAINS.filter((g) => g.name !== 'day').map((g) => g.name)));
  });

  it('picks the smallest grain that keeps what a report needs', () => {
    expect(smallestGrain({ ...NOTHING, depth: 3 })).toBe('month_street');
    expect(smallestGrain({ ...NOTHING, platform: true })).toBe('month');
    expect(smallestGrain({ ...NOTHING, channel: true })).toBe('month_channel');
    expect(smallestGrain({ ...NOTHING, depth: 4 })).toBe('month_grid');
    expect(smallestGrain({ ...NOTHING, unit: true })).toBe('month_unit');
    // A month by unit within one platform (the 12345 units ranked).
    expect(smallestGrain({ ...NOTHING, unit: true, platform: true })).toBe('month_unit');
    expect(smallestGrain({ ...NOTHING, category: true, platform: true })).toBe('month_category');
    expect(smallestGrain({ ...NOTHING, wholeMonths: false })).toBe('day_street');
    // This month so far by unit, also within one platform, for the city or a district.
    expect(smallestGrain({ ...NOTHING, wholeMonths: false, unit: true })).toBe('day_unit');
    expect(smallestGrain({ ...NOTHING, wholeMonths: false, depth: 2, unit: true, platform: true })).toBe('day_unit');
    expect(smallestGrain({ ...NOTHING, wholeMonths: false, depth: 3, unit: true })).toBe('day');
    // This month so far by category (or platform, or under a category filter), for the city or a district.
    expect(smallestGrain({ ...NOTHING, wholeMonths: false, category: true })).toBe('day_category');
    expect(smallestGrain({ ...NOTHING, wholeMonths: false, depth: 2, platform: true, category: true })).toBe('day_category');
    expect(smallestGrain({ ...NOTHING, wholeMonths: false, depth: 3, category: true })).toBe('day');
    expect(smallestGrain({ ...NOTHING, wholeMonths: false, category: true, unit: true })).toBe('day');
    // No coarse grain keeps these together: the day grain does.
    expect(smallestGrain({ ...NOTHING, unit: true, category: true })).toBe('day');
    expect(smallestGrain({ ...NOTHING, depth: 4, platform: true })).toBe('day');
    expect(smallestGrain({ ...NOTHING, wholeMonths: false, category: true, channel: true })).toBe('day');
    expect(smallestGrain({ ...NOTHING, wholeMonths: false, depth: 5, unit: true, platform: true, category: true, channel: true })).toBe('day');
  });

  it('every covering grain keeps what was asked for (exhaustive over the needs)', () => {
    for (const wholeMonths of [true, false]) for (const depth of [1, 2, 3, 4, 5]) for (let bits = 0; bits < 16; bits++) {
      const n: GrainNeeds = { wholeMonths, depth, unit: (bits & 1) > 0, platform: (bits & 2) > 0, category: (bits & 4) > 0, channel: (bits & 8) > 0 };
      const g = grainSpec(smallestGrain(n));
      expect(!g.month || n.wholeMonths).toBe(true);
      expect(g.depth).toBeGreaterThanOrEqual(n.depth);
      for (const d of ['unit', 'platform', 'category', 'channel'] as const) if (n[d]) expect(g[d]).toBe(true);
    }
  });
});
