import type { ClockLimit, ClockPause, ClockType, ResolvedCalendar } from './calendar.types';
import {
  compile,
  type CompiledCalendar,
  type Interval,
  mergeIntervals,
  subtract,
  wholeDay,
  workingIntervalsOfDay,
} from './compiled-calendar';
import { localDayNumber, localDayStartMs, parseLocalDate, requireInstant } from './shanghai-time';
import { SlaCalendarError, SlaCalendarErrorCode } from './sla-calendar.exception';

/** How far ahead (in calendar days, about ten years) a deadline or a working instant is searched. */
export const HORIZON_DAYS = 3653;
/** Longest span `elapsed*` functions accept, in calendar days (about a hundred years). */
const ELAPSED_SPAN_DAYS = 36_525;
// Tolerances for floating-point sums of day fractions (working_days clocks); far below one millisecond.
const DAY_EPSILON = 1e-9;
const MS_EPSILON = 1e-6;

const CLOCK_TYPES: readonly ClockType[] = ['natural', 'working_hours', 'working_days'];

interface Segment {
  start: number;
  end: number;
  /** Local day number the segment belongs to. */
  day: number;
  /** Counting ms of the whole local day the segment belongs to, before pauses (unit of working_days). */
  dayTotal: number;
}

interface NormalisedLimit {
  type: ClockType;
  /** ms for natural and working_hours; working days for working_days. */
  amount: number;
  startNext: boolean;
}

interface NormalisedPauses {
  intervals: Interval[];
  /** Start of a pause that has not ended, if any. */
  openFrom: number | undefined;
}

/**
 * The deadline of a clock: the earliest instant at which the clock has counted `limit`, i.e. the instant
 * the last required second ends. For working clocks it is never inside non-working time: a limit used up
 * exactly at 12:00 gives 12:00, not 13:30. Pauses (`[from, to)`) stop every clock type, natural included.
 *
 * @param cal a calendar from `resolveCalendar`
 * @param start the clock's start instant
 * @param limit the limit; `startNextWorkingDay` (次日起算) starts counting at the next local midnight
 * @param pauses suspensions of this clock; overlapping pauses are merged
 * @throws SlaCalendarError OPEN_PAUSE when an unfinished pause begins before the limit is reached,
 *   HORIZON_EXCEEDED when the limit is not reached within about ten years, INVALID_* on bad input
 */
export function addBusinessDuration(
  cal: ResolvedCalendar,
  start: Date,
  limit: ClockLimit,
  pauses?: readonly ClockPause[],
): Date {
  return instantAtFraction(cal, start, limit, 1, pauses);
}

/**
 * The instant at which `fraction` of the limit has been counted (e.g. 0.5 for 催办, 0.8 for a warning,
 * 1 for the deadline itself; values above 1 extend the same clock past its limit). Never early: the result
 * is rounded up to the millisecond. `instantAtFraction(…, 1)` equals `addBusinessDuration(…)`.
 */
export function instantAtFraction(
  cal: ResolvedCalendar,
  start: Date,
  limit: ClockLimit,
  fraction: number,
  pauses?: readonly ClockPause[],
): Date {
  const c = compile(cal);
  const l = normaliseLimit(limit);
  if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0) {
    throw new SlaCalendarError(SlaCalendarErrorCode.InvalidArgument, `fraction must be a finite number >= 0`);
  }
  const from = countingStartMs(requireInstant(start, 'start'), l.startNext);
  return new Date(addUnits(c, l.type, from, l.amount * fraction, normalisePauses(pauses)));
}

/**
 * An escalation step after a breach (e.g. supervision "breach + 2 h"): the instant `offset` after
 * `breachAt`, counted with the offset's own clock type (usually `{ type: 'natural', seconds: 7200 }`).
 */
export function escalationInstant(
  cal: ResolvedCalendar,
  breachAt: Date,
  offset: ClockLimit,
  pauses?: readonly ClockPause[],
): Date {
  return addBusinessDuration(cal, breachAt, offset, pauses);
}

/** `t` plus `seconds` of natural time (no calendar, no pauses). */
export function addNatural(t: Date, seconds: number): Date {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
    throw new SlaCalendarError(SlaCalendarErrorCode.InvalidArgument, 'seconds must be a finite number');
  }
  return new Date(requireInstant(t, 't') + Math.round(seconds * 1000));
}

/**
 * The instant at which a clock starts counting: `start` itself, or with `startNextWorkingDay` (次日起算)
 * the local midnight after `start` (working time only accrues in working periods, so for working clocks
 * this is in effect the beginning of the next working day).
 */
export function countingStart(start: Date, limit: Pick<ClockLimit, 'startNextWorkingDay'>): Date {
  return new Date(countingStartMs(requireInstant(start, 'start'), limit.startNextWorkingDay === true));
}

/**
 * Counted seconds between two instants, pauses excluded: wall-clock seconds for `natural`, working seconds
 * for `working_hours` and `working_days`. Negative when `to` is before `from`.
 */
export function elapsedBusinessSeconds(
  cal: ResolvedCalendar,
  from: Date,
  to: Date,
  type: ClockType,
  pauses?: readonly ClockPause[],
): number {
  checkType(type);
  const unitType = type === 'natural' ? 'natural' : 'working_hours';
  return elapsedSigned(compile(cal), unitType, from, to, normalisePauses(pauses)) / 1000;
}

/**
 * Counted working days between two instants, pauses excluded: each working day counts as 1, spread evenly
 * over its working time (after closures), so 10:00 Tuesday → 10:00 Wednesday is 1 on a uniform week.
 * Negative when `to` is before `from`.
 */
export function elapsedWorkingDays(
  cal: ResolvedCalendar,
  from: Date,
  to: Date,
  pauses?: readonly ClockPause[],
): number {
  return elapsedSigned(compile(cal), 'working_days', from, to, normalisePauses(pauses));
}

/**
 * The fraction of `limit` a clock started at `start` has counted at instant `at` (0 before counting
 * starts; 1 at the deadline; above 1 after it). A zero limit gives 1 from its counting start.
 */
export function elapsedFraction(
  cal: ResolvedCalendar,
  start: Date,
  limit: ClockLimit,
  at: Date,
  pauses?: readonly ClockPause[],
): number {
  const c = compile(cal);
  const l = normaliseLimit(limit);
  const from = countingStartMs(requireInstant(start, 'start'), l.startNext);
  const atMs = requireInstant(at, 'at');
  if (atMs <= from) return l.amount === 0 && atMs === from ? 1 : 0;
  if (l.amount === 0) return 1;
  return elapsedUnits(c, l.type, from, atMs, normalisePauses(pauses)) / l.amount;
}

/** Whether `t` is inside a working period (periods are half-open, so 12:00 of 08:30–12:00 is not). */
export function isWorkingInstant(cal: ResolvedCalendar, t: Date): boolean {
  const ms = requireInstant(t, 't');
  return workingIntervalsOfDay(compile(cal), localDayNumber(ms)).some(([s, e]) => s <= ms && ms < e);
}

/** `t` itself when it is working time, otherwise the start of the next working period. */
export function nextWorkingInstant(cal: ResolvedCalendar, t: Date): Date {
  const c = compile(cal);
  const ms = requireInstant(t, 't');
  const first = localDayNumber(ms);
  for (let day = first; day <= first + HORIZON_DAYS; day++) {
    for (const [s, e] of workingIntervalsOfDay(c, day)) {
      if (e > ms) return new Date(Math.max(s, ms));
    }
  }
  throw horizonError();
}

/** Whether a local date ('YYYY-MM-DD') has any working time. */
export function isWorkingDay(cal: ResolvedCalendar, date: string): boolean {
  return workingPeriodsOn(cal, date).length > 0;
}

/** The working periods of a local date ('YYYY-MM-DD') as instants, after holidays, 调休 and closures. */
export function workingPeriodsOn(cal: ResolvedCalendar, date: string): Array<{ from: Date; to: Date }> {
  const day = parseLocalDate(date);
  if (day === undefined) {
    throw new SlaCalendarError(SlaCalendarErrorCode.InvalidArgument, `${date} is not a valid YYYY-MM-DD date`);
  }
  return workingIntervalsOfDay(compile(cal), day).map(([s, e]) => ({ from: new Date(s), to: new Date(e) }));
}

function countingStartMs(startMs: number, startNext: boolean): number {
  return startNext ? localDayStartMs(localDayNumber(startMs) + 1) : startMs;
}

function checkType(type: ClockType): void {
  if (!CLOCK_TYPES.includes(type)) {
    throw new SlaCalendarError(SlaCalendarErrorCode.InvalidLimit, `unknown clock type ${String(type)}`);
  }
}

function amountOf(value: number | undefined, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new SlaCalendarError(SlaCalendarErrorCode.InvalidLimit, `${what} must be a finite number >= 0`);
  }
  return value;
}

function normaliseLimit(limit: ClockLimit): NormalisedLimit {
  checkType(limit?.type);
  const startNext = limit.startNextWorkingDay === true;
  switch (limit.type) {
    case 'natural': {
      if (limit.seconds === undefined && limit.days === undefined) {
        throw new SlaCalendarError(SlaCalendarErrorCode.InvalidLimit, 'a natural limit needs seconds or days');
      }
      const seconds = limit.seconds === undefined ? 0 : amountOf(limit.seconds, 'seconds');
      const days = limit.days === undefined ? 0 : amountOf(limit.days, 'days');
      return { type: 'natural', amount: (seconds + days * 86_400) * 1000, startNext };
    }
    case 'working_hours':
      if (limit.days !== undefined) {
        throw new SlaCalendarError(SlaCalendarErrorCode.InvalidLimit, 'a working_hours limit takes seconds, not days');
      }
      return { type: 'working_hours', amount: amountOf(limit.seconds, 'seconds') * 1000, startNext };
    case 'working_days':
      if (limit.seconds !== undefined) {
        throw new SlaCalendarError(SlaCalendarErrorCode.InvalidLimit, 'a working_days limit takes days, not seconds');
      }
      return { type: 'working_days', amount: amountOf(limit.days, 'days'), startNext };
  }
}

function normalisePauses(pauses: readonly ClockPause[] | undefined): NormalisedPauses {
  const raw: Interval[] = [];
  for (const p of pauses ?? []) {
    const from = requireInstant(p?.from, 'pause.from');
    const to = p.to === null ? Number.POSITIVE_INFINITY : requireInstant(p.to, 'pause.to');
    if (to < from) {
      throw new SlaCalendarError(
        SlaCalendarErrorCode.InvalidPause,
        `pause ends (${new Date(to).toISOString()}) before it starts (${new Date(from).toISOString()})`,
      );
    }
    if (to > from) raw.push([from, to]);
  }
  const intervals = mergeIntervals(raw);
  const last = intervals[intervals.length - 1];
  return { intervals, openFrom: last && last[1] === Number.POSITIVE_INFINITY ? last[0] : undefined };
}

/**
 * Counting segments from `fromMs`, in order, day by day (never per minute), until `untilMs` or the
 * horizon. Each segment is a working period (or a whole day for natural clocks) minus pauses.
 */
function* segments(
  c: CompiledCalendar,
  type: ClockType,
  fromMs: number,
  untilMs: number,
  pauses: readonly Interval[],
): Generator<Segment, void> {
  const firstDay = localDayNumber(fromMs);
  const lastDay = Math.min(firstDay + HORIZON_DAYS, Number.isFinite(untilMs) ? localDayNumber(untilMs) : Infinity);
  for (let day = firstDay; day <= lastDay; day++) {
    const base = type === 'natural' ? wholeDay(day) : workingIntervalsOfDay(c, day);
    if (base.length === 0) continue;
    let dayTotal = 0;
    for (const [s, e] of base) dayTotal += e - s;
    const clipped: Interval[] = [];
    for (const [s, e] of base) {
      const a = Math.max(s, fromMs);
      const b = Math.min(e, untilMs);
      if (a < b) clipped.push([a, b]);
    }
    for (const [start, end] of subtract(clipped, pauses)) yield { start, end, day, dayTotal };
  }
}

function addUnits(c: CompiledCalendar, type: ClockType, fromMs: number, amount: number, p: NormalisedPauses): number {
  if (amount === 0) return fromMs;
  let remaining = amount;
  const until = p.openFrom ?? Number.POSITIVE_INFINITY;
  for (const seg of segments(c, type, fromMs, until, p.intervals)) {
    const len = seg.end - seg.start;
    if (type === 'working_days') {
      const capacity = len / seg.dayTotal;
      if (remaining <= capacity + DAY_EPSILON) {
        return seg.start + clampOffset(Math.ceil(remaining * seg.dayTotal - MS_EPSILON), len);
      }
      remaining -= capacity;
    } else {
      if (remaining <= len + MS_EPSILON) return seg.start + clampOffset(Math.ceil(remaining - MS_EPSILON), len);
      remaining -= len;
    }
  }
  if (p.openFrom !== undefined && localDayNumber(p.openFrom) <= localDayNumber(fromMs) + HORIZON_DAYS) {
    throw new SlaCalendarError(
      SlaCalendarErrorCode.OpenPause,
      `the clock is paused since ${new Date(p.openFrom).toISOString()} before its limit is reached`,
    );
  }
  throw horizonError();
}

// A positive amount always ends at least 1 ms into a segment, so the instant before it is counting time.
function clampOffset(offset: number, len: number): number {
  return Math.min(len, Math.max(1, offset));
}

function elapsedUnits(c: CompiledCalendar, type: ClockType, fromMs: number, toMs: number, p: NormalisedPauses): number {
  if (localDayNumber(toMs) - localDayNumber(fromMs) > ELAPSED_SPAN_DAYS) throw horizonError();
  let total = 0;
  // segments() stops at the horizon, so walk in horizon-sized windows.
  for (let windowStart = fromMs; windowStart < toMs; ) {
    const windowEnd = Math.min(toMs, localDayStartMs(localDayNumber(windowStart) + HORIZON_DAYS));
    // Working days: sum each day's ms before dividing, so a full day counts exactly 1.
    let day = Number.NaN;
    let dayMs = 0;
    let dayTotal = 1;
    for (const seg of segments(c, type, windowStart, windowEnd, p.intervals)) {
      if (type !== 'working_days') {
        total += seg.end - seg.start;
        continue;
      }
      if (seg.day !== day) {
        total += dayMs / dayTotal;
        day = seg.day;
        dayMs = 0;
        dayTotal = seg.dayTotal;
      }
      dayMs += seg.end - seg.start;
    }
    total += dayMs / dayTotal;
    windowStart = windowEnd;
  }
  return total;
}

function elapsedSigned(c: CompiledCalendar, type: ClockType, from: Date, to: Date, p: NormalisedPauses): number {
  const fromMs = requireInstant(from, 'from');
  const toMs = requireInstant(to, 'to');
  return toMs >= fromMs ? elapsedUnits(c, type, fromMs, toMs, p) : -elapsedUnits(c, type, toMs, fromMs, p);
}

function horizonError(): SlaCalendarError {
  return new SlaCalendarError(
    SlaCalendarErrorCode.HorizonExceeded,
    `no result within ${HORIZON_DAYS} days; does the calendar have working time?`,
  );
}
