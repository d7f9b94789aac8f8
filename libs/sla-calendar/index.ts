/**
 * libs/sla-calendar — working calendars and deadline maths for SLA clocks (时限计算).
 * Pure TypeScript: no framework, no I/O, no date library. Time zone Asia/Shanghai (fixed +08:00).
 */
export type {
  CalendarDay,
  CalendarDefinition,
  ClockLimit,
  ClockPause,
  ClockType,
  Closure,
  DayKind,
  DayName,
  ResolvedCalendar,
  ResolvedClosure,
  ResolvedDay,
  WeekPeriods,
  WorkingPeriod,
} from './src/calendar.types';
export { SlaCalendarError, SlaCalendarErrorCode, type SlaCalendarErrorDetail } from './src/sla-calendar.exception';
export { SHANGHAI_OFFSET_MS, type IsoWeekday, shanghaiInstant, toShanghaiDate } from './src/shanghai-time';
export { calendarVersionKey, resolveCalendar } from './src/resolve-calendar';
export {
  HORIZON_DAYS,
  addBusinessDuration,
  addNatural,
  countingStart,
  elapsedBusinessSeconds,
  elapsedFraction,
  elapsedWorkingDays,
  escalationInstant,
  instantAtFraction,
  isWorkingDay,
  isWorkingInstant,
  nextWorkingInstant,
  workingPeriodsOn,
} from './src/business-time';
export { type HolidaySchedule, applyHolidaySchedule, parseHolidaySchedule } from './src/holiday-schedule';
export { CN_NATIONAL_2025_2026 } from './data/cn-national-2025-2026';
