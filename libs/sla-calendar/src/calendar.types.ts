import type { IsoWeekday } from './shanghai-time';

/** A working period of one day in Shanghai local time, half-open: `[start, end)`, e.g. 08:30–12:00. */
export interface WorkingPeriod {
  /** 'HH:MM' or 'HH:MM:SS', local time. */
  start: string;
  /** 'HH:MM' or 'HH:MM:SS', local time, after `start`; '24:00' ends the day. */
  end: string;
}

/**
 * Working periods per ISO weekday (1 = Monday … 7 = Sunday). A missing or empty weekday has no working time.
 * JSON object keys are strings, so `{"1": [...]}` is accepted as well.
 */
export type WeekPeriods = Partial<Record<IsoWeekday, WorkingPeriod[]>>;

/** Name of a holiday or make-up day in Chinese and English, e.g. `{ zh: '春节', en: 'Spring Festival' }`. */
export interface DayName {
  zh: string;
  en?: string;
}

/** A local date ('YYYY-MM-DD') with an optional name. */
export interface CalendarDay {
  date: string;
  name?: DayName;
}

/** A local closure (e.g. flood emergency office closure): non-working time between two instants. */
export interface Closure {
  /** ISO-8601 instant with 'Z' or an explicit offset, e.g. '2026-07-01T08:30:00+08:00'. */
  from: string;
  /** ISO-8601 instant with 'Z' or an explicit offset, after `from`. */
  to: string;
  note?: string;
}

/**
 * A working calendar (工作日历) as plain, JSON-serialisable data. Calendars form an inheritance chain
 * national → city → district, each versioned independently.
 */
export interface CalendarDefinition {
  /** Stable code, e.g. 'cn-national', 'fuxin', 'fuxin-haizhou'. */
  code: string;
  /** Positive integer; bump it whenever the definition changes. */
  version: number;
  /** Code of the calendar this one inherits from; absent only for the root of the chain. */
  parentCode?: string;
  /** Weekday template. Required on the root; a child overrides only the weekdays it lists. */
  weekPeriods?: WeekPeriods;
  /** Weekday whose periods a make-up working day (调休) uses when its own weekday has none. Default 1 (Monday). */
  makeupTemplateWeekday?: IsoWeekday;
  /** Non-working local dates (法定节假日), as 'YYYY-MM-DD' or named entries. */
  holidays: Array<string | CalendarDay>;
  /** Make-up working days (调休上班日), as 'YYYY-MM-DD' or named entries. */
  workdays: Array<string | CalendarDay>;
  /** Local closures: non-working time. */
  closures: Closure[];
}

/** Kind of a dated exception to the weekday template. */
export type DayKind = 'holiday' | 'workday';

/** A dated exception after inheritance, with the calendar code that decided it. */
export interface ResolvedDay {
  kind: DayKind;
  /** Code of the calendar in the chain whose entry won. */
  source: string;
  name?: DayName;
}

/** A closure after inheritance, with the calendar code that declared it. */
export interface ResolvedClosure extends Closure {
  source: string;
}

/**
 * One effective calendar merged from an inheritance chain (see `resolveCalendar`). Plain JSON data;
 * treat it as immutable (the library caches a compiled form per object).
 */
export interface ResolvedCalendar {
  /** Code of the most specific calendar (the last of the chain). */
  code: string;
  /** Codes of the chain, root first. */
  chain: string[];
  /** Version of every calendar of the chain, e.g. `{ 'cn-national': 3, fuxin: 1 }`. Keep it on each clock. */
  versions: Record<string, number>;
  /** Effective periods of all seven weekdays (keys '1' … '7'). */
  weekPeriods: Record<IsoWeekday, WorkingPeriod[]>;
  makeupTemplateWeekday: IsoWeekday;
  /** Dated exceptions keyed by 'YYYY-MM-DD'. */
  days: Record<string, ResolvedDay>;
  closures: ResolvedClosure[];
}

/** Clock types (计时方式): natural time (自然时), working hours (工作时), working days (工作日). */
export type ClockType = 'natural' | 'working_hours' | 'working_days';

/**
 * A clock limit. `natural` takes `seconds` and/or `days` (1 day = 86 400 s); `working_hours` takes
 * `seconds` of working time; `working_days` takes `days` (may be fractional). `startNextWorkingDay`
 * (次日起算) moves the counting start to the next local midnight; see README.
 */
export interface ClockLimit {
  type: ClockType;
  seconds?: number;
  days?: number;
  startNextWorkingDay?: boolean;
}

/** A pause (挂起/中止) of a clock; `to: null` means still paused. Half-open `[from, to)`. */
export interface ClockPause {
  from: Date;
  to: Date | null;
}
