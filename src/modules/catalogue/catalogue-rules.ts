import type { PlatformCode } from '../platforms/platform.types';
import type { CaseStandardView, CategoryLevel, CategoryView, ClockType, Priority } from './catalogue.types';

/** Category and standard codes: letters, digits and underscore. */
export const CATALOGUE_CODE = /^[0-9A-Za-z_]{1,40}$/;
export const PRIORITIES: readonly Priority[] = ['extra_urgent', 'urgent', 'normal'];
export const CLOCK_TYPES: readonly ClockType[] = ['natural', 'working_hours', 'working_days'];
export const LEVELS: readonly CategoryLevel[] = ['major', 'minor', 'detail'];
/** Handling unit types a standard may route to by default (the `units.type` values). */
export const UNIT_TYPES = ['command_centre', 'bureau', 'utility', 'street_office', 'mediation_committee', 'party_branch', 'service_centre', 'community'] as const;
export const MAX_LIMIT_SECONDS = 366 * 24 * 3600;
export const MAX_LIMIT_DAYS = 366;
export const MAX_STANDARDS = 20;
export const MAX_MATERIALS = 30;

/** 大类 hang under the platform, 小类 under a 大类, 细类 under a 小类. */
export const PARENT_LEVEL: Record<CategoryLevel, CategoryLevel | null> = { major: null, minor: 'major', detail: 'minor' };

export type StandardDraft = Omit<CaseStandardView, 'id'>;

/** The content of a category version, before it has an id. */
export interface CategoryDraft {
  code: string;
  platform: PlatformCode;
  level: CategoryLevel;
  parentCode: string | null;
  nameZh: string;
  nameEn: string;
  materials: string[];
  standards: StandardDraft[];
}

/** What is wrong with a set of standards: the limit that matches the clock, and unique codes. */
export function standardProblems(standards: readonly StandardDraft[]): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (standards.length > MAX_STANDARDS) problems.push({ field: 'standards', message: `at most ${MAX_STANDARDS} standards / 最多 ${MAX_STANDARDS} 个立案标准` });
  const seen = new Set<string>();
  standards.forEach((s, i) => {
    const at = `standards[${i}]`;
    if (seen.has(s.code)) problems.push({ field: `${at}.code`, message: 'duplicate standard code / 标准编码重复' });
    seen.add(s.code);
    if (s.clockType === 'working_days') {
      if (s.resolveLimitDays === null || !(s.resolveLimitDays > 0) || s.resolveLimitDays > MAX_LIMIT_DAYS) {
        problems.push({ field: `${at}.resolveLimitDays`, message: `a working_days clock needs 0 < days ≤ ${MAX_LIMIT_DAYS} / 按工作日计时须填写处置天数` });
      }
      if (s.resolveLimitSeconds !== null) problems.push({ field: `${at}.resolveLimitSeconds`, message: 'only for natural and working_hours clocks / 仅用于自然时与工作时计时' });
    } else {
      if (s.resolveLimitSeconds === null || !Number.isInteger(s.resolveLimitSeconds) || s.resolveLimitSeconds <= 0 || s.resolveLimitSeconds > MAX_LIMIT_SECONDS) {
        problems.push({ field: `${at}.resolveLimitSeconds`, message: `a ${s.clockType} clock needs a limit in whole seconds / 须填写以秒计的处置时限` });
      }
      if (s.resolveLimitDays !== null) problems.push({ field: `${at}.resolveLimitDays`, message: 'only for working_days clocks / 仅用于工作日计时' });
    }
  });
  return problems;
}

const standardKey = (s: StandardDraft) => JSON.stringify([s.code, s.nameZh, s.nameEn, s.filingConditionZh, s.closingConditionZh, s.priority,
  s.clockType, s.resolveLimitSeconds, s.resolveLimitDays, s.startNextWorkingDay, s.defaultUnitType]);

/** True when a draft would write a version identical to the current one (so no new version is needed). */
export function sameContent(draft: CategoryDraft, current: CategoryView): boolean {
  const a = [...draft.standards].sort((x, y) => x.code.localeCompare(y.code)).map(standardKey);
  const b = [...current.standards].sort((x, y) => x.code.localeCompare(y.code)).map(standardKey);
  return draft.nameZh === current.nameZh && draft.nameEn === current.nameEn && draft.parentCode === current.parentCode &&
    JSON.stringify(draft.materials) === JSON.stringify(current.materials) && JSON.stringify(a) === JSON.stringify(b);
}
