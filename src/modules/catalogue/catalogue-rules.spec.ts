import { sameContent, standardProblems, type CategoryDraft, type StandardDraft } from './catalogue-rules';
import type { CategoryView } from './catalogue.types';

const s = (over: Partial<StandardDraft> = {}): StandardDraft => ({
  code: 'missing', nameZh: '缺失', nameEn: 'Missing', filingConditionZh: '缺失', closingConditionZh: '补装', priority: 'urgent',
  clockType: 'natural', resolveLimitSeconds: 14400, resolveLimitDays: null, startNextWorkingDay: false, defaultUnitType: 'bureau', ...over,
});

describe('catalogue rules 立案标准规则', () => {
  it('wants the limit that matches the clock, and only that one', () => {
    expect(standardProblems([s(), s({ code: 'damaged', clockType: 'working_hours', resolveLimitSeconds: 57600 })])).toEqual([]);
    expect(standardProblems([s({ clockType: 'working_days', resolveLimitSeconds: null, resolveLimitDays: 30 })])).toEqual([]);
    expect(standardProblems([s({ resolveLimitSeconds: null })]).map((p) => p.field)).toEqual(['standards[0].resolveLimitSeconds']);
    expect(standardProblems([s({ resolveLimitDays: 2 })]).map((p) => p.field)).toEqual(['standards[0].resolveLimitDays']);
    expect(standardProblems([s({ clockType: 'working_days' })]).map((p) => p.field))
      .toEqual(['standards[0].resolveLimitDays', 'standards[0].resolveLimitSeconds']);
    expect(standardProblems([s({ resolveLimitSeconds: 0.5 })])).toHaveLength(1);
    expect(standardProblems([s(), s()]).map((p) => p.field)).toEqual(['standards[1].code']);
  });

  it('sees identical content regardless of standard order', () => {
    const draft: CategoryDraft = { code: '0101', platform: 'community_governance', level: 'minor', parentCode: '01', nameZh: '上水井盖', nameEn: 'x', materials: [],
      standards: [s(), s({ code: 'damaged' })] };
    const view: CategoryView = { ...draft, id: 'a', version: 1, current: true, standards: [{ ...s({ code: 'damaged' }), id: 'b' }, { ...s(), id: 'c' }] };
    expect(sameContent(draft, view)).toBe(true);
    expect(sameContent({ ...draft, nameEn: 'y' }, view)).toBe(false);
    expect(sameContent({ ...draft, standards: [s()] }, view)).toBe(false);
    expect(sameContent({ ...draft, standards: [s(), s({ code: 'damaged', priority: 'normal' })] }, view)).toBe(false);
  });
});
