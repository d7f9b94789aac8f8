import type {
  CalendarDay,
  CalendarDefinition,
  Closure,
  ResolvedCalendar,
  ResolvedClosure,
  ResolvedDay,
  WorkingPeriod,
} from './calendar.types';
import { ISO_WEEKDAYS, type IsoWeekday, parseInstant, parseLocalDate, parseTimeOfDay } from './shanghai-time';
import { SlaCalendarError, SlaCalendarErrorCode, type SlaCalendarErrorDetail } from './sla-calendar.exception';

/**
 * Merges an inheritance chain, root first (national → city → district), into one effective calendar.
 *
 * Rules:
 * - each element's `parentCode` must be the code of the element before it; the root has none;
 * - `weekPeriods`: a child replaces the periods of each weekday it lists (an empty array removes that
 *   weekday); weekdays it does not list are inherited; the root must define `weekPeriods`;
 * - `makeupTemplateWeekday`: the most specific value wins (default Monday);
 * - holidays and workdays are unioned; where two calendars name the same date, the more specific one wins,
 *   so a child's workday cancels a parent's holiday and a child's holiday cancels a parent's workday;
 *   one calendar may not list the same date as both;
 * - closures are unioned (a child cannot re-open a parent's closure);
 * - `versions` records the version of every element, so a clock can keep which versions it used.
 *
 * @throws SlaCalendarError INVALID_CHAIN or INVALID_CALENDAR
 */
export function resolveCalendar(chain: readonly CalendarDefinition[]): ResolvedCalendar {
  if (chain.length === 0) {
    throw new SlaCalendarError(SlaCalendarErrorCode.InvalidChain, 'calendar chain is empty');
  }
  const versions: Record<string, number> = {};
  const weekPeriods = {} as Record<IsoWeekday, WorkingPeriod[]>;
  const days: Record<string, ResolvedDay> = {};
  const closures: ResolvedClosure[] = [];
  let makeupTemplateWeekday: IsoWeekday = 1;

  chain.forEach((def, index) => {
    validateHeader(def, index === 0 ? undefined : chain[index - 1]);
    if (def.code in versions) {
      throw new SlaCalendarError(SlaCalendarErrorCode.InvalidChain, `calendar ${def.code} appears twice in the chain`);
    }
    versions[def.code] = def.version;
    const problems: SlaCalendarErrorDetail[] = [];

    if (index === 0 && def.weekPeriods === undefined) {
      problems.push({ message: 'the root calendar must define weekPeriods' });
    }
    for (const [key, periods] of Object.entries(def.weekPeriods ?? {})) {
      const weekday = Number(key) as IsoWeekday;
      if (!ISO_WEEKDAYS.includes(weekday)) {
        problems.push({ message: `weekPeriods key ${key} is not an ISO weekday 1-7` });
        continue;
      }
      const checked = checkPeriods(periods, `weekday ${key}`, problems);
      weekPeriods[weekday] = checked;
    }
    if (def.makeupTemplateWeekday !== undefined) {
      if (!ISO_WEEKDAYS.includes(def.makeupTemplateWeekday)) {
        problems.push({ message: `makeupTemplateWeekday ${JSON.stringify(def.makeupTemplateWeekday)} is not 1-7` });
      } else {
        makeupTemplateWeekday = def.makeupTemplateWeekday;
      }
    }

    const own = new Map<string, ResolvedDay>();
    // Definitions come from admins as JSON: every list is checked to be one before it is walked.
    const listOf = <T>(value: T[] | undefined, field: string): T[] => {
      if (value === undefined || value === null) return [];
      if (Array.isArray(value)) return value;
      problems.push({ message: `${field} must be a list` });
      return [];
    };
    const addDays = (entries: Array<string | CalendarDay> | undefined, kind: ResolvedDay['kind']): void => {
      for (const entry of listOf(entries, kind === 'holiday' ? 'holidays' : 'workdays')) {
        const day: CalendarDay = typeof entry === 'string' ? { date: entry } : entry;
        if (typeof day?.date !== 'string' || parseLocalDate(day.date) === undefined) {
          problems.push({ message: `${kind} ${JSON.stringify(entry)} is not a valid YYYY-MM-DD date` });
          continue;
        }
        const previous = own.get(day.date);
        if (previous && previous.kind !== kind) {
          problems.push({ message: `${day.date} is listed both as holiday and as workday` });
          continue;
        }
        own.set(day.date, day.name ? { kind, source: def.code, name: { ...day.name } } : { kind, source: def.code });
      }
    };
    addDays(def.holidays, 'holiday');
    addDays(def.workdays, 'workday');
    for (const [date, resolved] of own) days[date] = resolved;

    for (const closure of listOf(def.closures, 'closures')) {
      if (checkClosure(closure, problems)) closures.push({ ...closure, source: def.code });
    }

    if (problems.length > 0) {
      throw new SlaCalendarError(
        SlaCalendarErrorCode.InvalidCalendar,
        `calendar ${def.code}@${def.version} is invalid: ${problems.map((p) => p.message).join('; ')}`,
        problems,
      );
    }
  });

  for (const weekday of ISO_WEEKDAYS) weekPeriods[weekday] ??= [];
  const sortedDays: Record<string, ResolvedDay> = {};
  for (const date of Object.keys(days).sort()) sortedDays[date] = days[date] as ResolvedDay;

  return deepFreeze({
    code: (chain[chain.length - 1] as CalendarDefinition).code,
    chain: chain.map((d) => d.code),
    versions,
    weekPeriods,
    makeupTemplateWeekday,
    days: sortedDays,
    closures,
  });
}

/**
 * A compact, stable text of the versions a resolved calendar was built from, e.g. 'cn-national@3>fuxin@1',
 * suitable for a clock column or a timer job id.
 */
export function calendarVersionKey(cal: Pick<ResolvedCalendar, 'chain' | 'versions'>): string {
  return cal.chain.map((code) => `${code}@${cal.versions[code]}`).join('>');
}

function validateHeader(def: CalendarDefinition, parent: CalendarDefinition | undefined): void {
  if (typeof def?.code !== 'string' || def.code.trim() === '') {
    throw new SlaCalendarError(SlaCalendarErrorCode.InvalidCalendar, 'calendar code must be a non-empty string');
  }
  if (!Number.isInteger(def.version) || def.version < 1) {
    throw new SlaCalendarError(
      SlaCalendarErrorCode.InvalidCalendar,
      `calendar ${def.code} version must be a positive integer`,
    );
  }
  if (parent === undefined && def.parentCode !== undefined) {
    throw new SlaCalendarError(
      SlaCalendarErrorCode.InvalidChain,
      `calendar ${def.code} inherits from ${def.parentCode}, which must come before it in the chain`,
    );
  }
  if (parent !== undefined && def.parentCode !== parent.code) {
    throw new SlaCalendarError(
      SlaCalendarErrorCode.InvalidChain,
      `calendar ${def.code} has parentCode ${String(def.parentCode)} but follows ${parent.code} in the chain`,
    );
  }
}

/** Validates periods of one weekday; returns copies sorted by start. */
export function checkPeriods(
  periods: readonly WorkingPeriod[] | undefined,
  where: string,
  problems: SlaCalendarErrorDetail[],
): WorkingPeriod[] {
  if (!Array.isArray(periods)) {
    problems.push({ message: `${where}: periods must be an array` });
    return [];
  }
  const parsed: Array<{ p: WorkingPeriod; s: number; e: number }> = [];
  for (const p of periods) {
    const s = parseTimeOfDay(p?.start);
    const e = parseTimeOfDay(p?.end);
    if (s === undefined || e === undefined || s >= e) {
      problems.push({ message: `${where}: period ${JSON.stringify(p)} must be HH:MM-HH:MM with start < end` });
      continue;
    }
    parsed.push({ p: { start: p.start, end: p.end }, s, e });
  }
  parsed.sort((a, b) => a.s - b.s);
  for (let i = 1; i < parsed.length; i++) {
    const prev = parsed[i - 1] as (typeof parsed)[number];
    const cur = parsed[i] as (typeof parsed)[number];
    if (cur.s < prev.e) {
      problems.push({ message: `${where}: periods ${prev.p.start}-${prev.p.end} and ${cur.p.start}-${cur.p.end} overlap` });
    }
  }
  return parsed.map((x) => x.p);
}

function checkClosure(closure: Closure, problems: SlaCalendarErrorDetail[]): boolean {
  const from = parseInstant(closure?.from);
  const to = parseInstant(closure?.to);
  if (from === undefined || to === undefined || from >= to) {
    problems.push({
      message: `closure ${JSON.stringify(closure)} needs ISO instants with an offset and from < to`,
    });
    return false;
  }
  return true;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
