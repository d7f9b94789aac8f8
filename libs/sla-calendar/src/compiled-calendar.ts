import type { ResolvedCalendar } from './calendar.types';
import { checkPeriods } from './resolve-calendar';
import {
  DAY_MS,
  ISO_WEEKDAYS,
  isoWeekdayOfDay,
  type IsoWeekday,
  localDayStartMs,
  parseInstant,
  parseLocalDate,
  parseTimeOfDay,
} from './shanghai-time';
import { SlaCalendarError, SlaCalendarErrorCode, type SlaCalendarErrorDetail } from './sla-calendar.exception';

/** Half-open interval of UTC epoch ms. `end` may be Infinity for an open pause. */
export type Interval = readonly [start: number, end: number];

/** Lookup form of a ResolvedCalendar (internal). */
export interface CompiledCalendar {
  /** Index 1..7: periods as ms after local midnight. */
  readonly week: ReadonlyArray<readonly Interval[]>;
  readonly makeupWeekday: IsoWeekday;
  readonly dayKinds: ReadonlyMap<number, 'holiday' | 'workday'>;
  /** Sorted, merged. */
  readonly closures: readonly Interval[];
}

const cache = new WeakMap<ResolvedCalendar, CompiledCalendar>();

export function compile(cal: ResolvedCalendar): CompiledCalendar {
  const hit = cache.get(cal);
  if (hit) return hit;
  const problems: SlaCalendarErrorDetail[] = [];
  const week: Interval[][] = [[]];
  for (const weekday of ISO_WEEKDAYS) {
    const periods = checkPeriods(cal.weekPeriods?.[weekday] ?? [], `weekday ${weekday}`, problems);
    week.push(periods.map((p) => [parseTimeOfDay(p.start) as number, parseTimeOfDay(p.end) as number] as const));
  }
  const dayKinds = new Map<number, 'holiday' | 'workday'>();
  for (const [date, day] of Object.entries(cal.days ?? {})) {
    const n = parseLocalDate(date);
    if (n === undefined || (day.kind !== 'holiday' && day.kind !== 'workday')) {
      problems.push({ message: `day ${date} is invalid` });
      continue;
    }
    dayKinds.set(n, day.kind);
  }
  const raw: Interval[] = [];
  for (const c of cal.closures ?? []) {
    const from = parseInstant(c.from);
    const to = parseInstant(c.to);
    if (from === undefined || to === undefined || from >= to) {
      problems.push({ message: `closure ${JSON.stringify(c)} is invalid` });
      continue;
    }
    raw.push([from, to]);
  }
  const makeupWeekday = cal.makeupTemplateWeekday ?? 1;
  if (!ISO_WEEKDAYS.includes(makeupWeekday)) problems.push({ message: 'makeupTemplateWeekday must be 1-7' });
  if (problems.length > 0) {
    throw new SlaCalendarError(
      SlaCalendarErrorCode.InvalidCalendar,
      `resolved calendar ${String(cal.code)} is invalid: ${problems.map((p) => p.message).join('; ')}`,
      problems,
    );
  }
  const compiled: CompiledCalendar = { week, makeupWeekday, dayKinds, closures: mergeIntervals(raw) };
  cache.set(cal, compiled);
  return compiled;
}

/** Sorts and merges overlapping or touching intervals. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Index of the first interval whose end is after `t` (intervals sorted and disjoint). */
function firstEndingAfter(intervals: readonly Interval[], t: number): number {
  let lo = 0;
  let hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((intervals[mid] as Interval)[1] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `base` (sorted, disjoint) minus `cuts` (sorted, merged). */
export function subtract(base: readonly Interval[], cuts: readonly Interval[]): Interval[] {
  if (cuts.length === 0 || base.length === 0) return [...base];
  const out: Interval[] = [];
  let i = firstEndingAfter(cuts, (base[0] as Interval)[0]);
  for (const [bs, be] of base) {
    let cursor = bs;
    while (i < cuts.length && (cuts[i] as Interval)[0] < be) {
      const [cs, ce] = cuts[i] as Interval;
      if (ce <= cursor) {
        i++;
        continue;
      }
      if (cs > cursor) out.push([cursor, cs]);
      cursor = Math.max(cursor, ce);
      if (ce > be) break;
      i++;
    }
    if (cursor < be) out.push([cursor, be]);
  }
  return out;
}

/** Working time of one local day as UTC intervals, after holidays, 调休 and closures. */
export function workingIntervalsOfDay(c: CompiledCalendar, day: number): Interval[] {
  const kind = c.dayKinds.get(day);
  if (kind === 'holiday') return [];
  let periods = c.week[isoWeekdayOfDay(day)] as readonly Interval[];
  if (kind === 'workday' && periods.length === 0) periods = c.week[c.makeupWeekday] as readonly Interval[];
  if (periods.length === 0) return [];
  const start = localDayStartMs(day);
  const base = periods.map(([s, e]) => [start + s, start + e] as const);
  return subtract(base, c.closures);
}

/** The whole local day as one interval (natural clocks). */
export function wholeDay(day: number): Interval[] {
  const start = localDayStartMs(day);
  return [[start, start + DAY_MS]];
}
