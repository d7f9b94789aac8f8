import { categoryMatches, inSubtree, inWindow, minutesOf, route, type RoutingRule } from './routing-rules';

const base: RoutingRule = {
  id: 'a', name: 'r', platform: 'community_governance', categoryCodes: [], categoryPrefix: null, gridPath: '210900.210902',
  window: null, unitId: 'u1', position: 10, autoRegister: true, autoDispatch: true, active: true, unitActive: true,
};
const ticket = { platform: 'community_governance', categoryCode: '0101', gridPath: '210900.210902.210902001.210902001001' };

describe('routing rules 派单目录', () => {
  it('subtree matching is by whole labels, not string prefixes', () => {
    expect(inSubtree('210900.210902', '210900.210902')).toBe(true);
    expect(inSubtree('210900.210902.1', '210900.210902')).toBe(true);
    expect(inSubtree('210900.2109021', '210900.210902')).toBe(false);
    expect(inSubtree('210900', '210900.210902')).toBe(false);
  });

  it('time windows, including ones past midnight', () => {
    expect(minutesOf('08:30')).toBe(510);
    expect(minutesOf('23:59:00')).toBe(1439);
    expect(minutesOf('24:00')).toBeNull();
    expect(minutesOf('8:30')).toBeNull();
    const day = { start: 510, end: 1050 };
    expect(inWindow(day, 510)).toBe(true);
    expect(inWindow(day, 1049)).toBe(true);
    expect(inWindow(day, 1050)).toBe(false);
    const night = { start: 1320, end: 360 };
    expect(inWindow(night, 1380)).toBe(true);
    expect(inWindow(night, 0)).toBe(true);
    expect(inWindow(night, 359)).toBe(true);
    expect(inWindow(night, 360)).toBe(false);
    expect(inWindow(night, 720)).toBe(false);
  });

  it('category by list, by prefix, or any', () => {
    expect(categoryMatches({ categoryCodes: [], categoryPrefix: null }, '0505')).toBe(true);
    expect(categoryMatches({ categoryCodes: ['0101', '0114'], categoryPrefix: null }, '0114')).toBe(true);
    expect(categoryMatches({ categoryCodes: ['0101', '0114'], categoryPrefix: null }, '0115')).toBe(false);
    expect(categoryMatches({ categoryCodes: [], categoryPrefix: '01' }, '0115')).toBe(true);
    expect(categoryMatches({ categoryCodes: [], categoryPrefix: '01' }, '0201')).toBe(false);
  });

  it('first rule in explicit order wins; every rule gets a verdict with the first failing criterion', () => {
    const rules: RoutingRule[] = [
      { ...base, id: 'late', position: 50, unitId: 'late' },
      { ...base, id: 'night', position: 5, window: { start: 1320, end: 360 }, unitId: 'night' },
      { ...base, id: 'other-platform', position: 1, platform: 'request_handling' },
      { ...base, id: 'other-grid', position: 2, gridPath: '210900.210911' },
      { ...base, id: 'off', position: 3, active: false },
      { ...base, id: 'gone-unit', position: 3, unitActive: false },
      { ...base, id: 'wrong-cat', position: 4, categoryCodes: ['0201'] },
      { ...base, id: 'early', position: 20, unitId: 'early' },
    ];
    const noon = route(rules, ticket, 720);
    expect(noon.match?.id).toBe('early');
    expect(noon.verdicts.map((v) => [v.rule.id, v.miss])).toEqual([
      ['other-platform', 'platform'], ['other-grid', 'grid'], ['gone-unit', 'unit-inactive'], ['off', 'inactive'], ['wrong-cat', 'category'],
      ['night', 'window'], ['early', null], ['late', null],
    ]);
    expect(route(rules, ticket, 30).match?.id).toBe('night');
    expect(route([], ticket, 30).match).toBeNull();
  });

  it('equal positions fall back to the id, so the order is stable', () => {
    const rules = [{ ...base, id: 'b', position: 1 }, { ...base, id: 'a', position: 1 }];
    expect(route(rules, ticket, 0).match?.id).toBe('a');
  });
});
