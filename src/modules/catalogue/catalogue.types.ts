import type { PlatformCode } from '../platforms/platform.types';

/** 特急 / 紧急 / 一般 */
export type Priority = 'extra_urgent' | 'urgent' | 'normal';
export type ClockType = 'natural' | 'working_hours' | 'working_days';
/** 大类 / 小类 / 细类 */
export type CategoryLevel = 'major' | 'minor' | 'detail';

/** A case standard (立案条件 → 处置时限 + clock type + 结案条件) of one category version. */
export interface CaseStandardView {
  id: string;
  code: string;
  nameZh: string;
  nameEn: string;
  filingConditionZh: string;
  closingConditionZh: string;
  priority: Priority;
  clockType: ClockType;
  /** Limit to resolve, for natural and working_hours clocks. */
  resolveLimitSeconds: number | null;
  /** Limit to resolve, for working_days clocks. */
  resolveLimitDays: number | null;
  /** 次日起算 */
  startNextWorkingDay: boolean;
  defaultUnitType: string | null;
}

/** One version of a category. Tickets point at the version they were filed under; it never changes. */
export interface CategoryView {
  id: string;
  code: string;
  version: number;
  platform: PlatformCode;
  level: CategoryLevel;
  parentCode: string | null;
  nameZh: string;
  nameEn: string;
  /** convenience_services: the materials a resident must bring (所需材料). */
  materials: string[];
  current: boolean;
  standards: CaseStandardView[];
}
