import type { CategoryLevel, ClockType, Priority } from '../catalogue/catalogue.types';

/** A case standard of a demo category (立案条件 → 处置时限 + 计时方式 + 结案条件). */
export interface CaseStandardSeed {
  code: string;
  nameZh: string;
  nameEn: string;
  filingConditionZh: string;
  closingConditionZh: string;
  priority: Priority;
  clockType: ClockType;
  /** natural and working_hours clocks. */
  resolveLimitSeconds?: number;
  /** working_days clocks. */
  resolveLimitDays?: number;
  /** 次日起算 */
  startNextWorkingDay?: boolean;
  defaultUnitType?: string;
}

/** A demo category of one platform; seeded as version 1 by src/database/seeds/demo-catalogue.ts. */
export interface CategorySeed {
  code: string;
  level: CategoryLevel;
  parentCode?: string;
  nameZh: string;
  nameEn: string;
  /** 所需材料 */
  materials?: string[];
  standards?: CaseStandardSeed[];
}

export const HOUR = 3600;
