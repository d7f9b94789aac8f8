import type { PlatformCode } from '../platforms/platform.types';
import type { CaseStandardRow, CategoryRow } from './catalogue.repository';
import type { CaseStandardView, CategoryLevel, CategoryView, ClockType, Priority } from './catalogue.types';

/** Whitelists the columns of a standard row into the view the other modules use. */
export function toStandardView(r: CaseStandardRow): CaseStandardView {
  return {
    id: r.id, code: r.code, nameZh: r.name_zh, nameEn: r.name_en,
    filingConditionZh: r.filing_condition_zh, closingConditionZh: r.closing_condition_zh,
    priority: r.priority as Priority, clockType: r.clock_type as ClockType,
    resolveLimitSeconds: r.resolve_limit_seconds, resolveLimitDays: r.resolve_limit_days === null ? null : Number(r.resolve_limit_days),
    startNextWorkingDay: r.start_next_working_day, defaultUnitType: r.default_unit_type,
  };
}

export function toCategoryView(r: CategoryRow, standards: CaseStandardRow[]): CategoryView {
  return {
    id: r.id, code: r.code, version: r.version, platform: r.platform as PlatformCode, level: r.level as CategoryLevel,
    parentCode: r.parent_code, nameZh: r.name_zh, nameEn: r.name_en, materials: r.materials,
    current: r.superseded_at === null, standards: standards.map(toStandardView),
  };
}
