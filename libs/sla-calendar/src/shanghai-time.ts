import { SlaCalendarError, SlaCalendarErrorCode } from './sla-calendar.exception';

/**
 * Offset of Asia/Shanghai from UTC. China has observed no daylight saving time since 1991, so for every
 * instant this library handles a fixed +08:00 offset is exact and no time-zone database is needed.
 */
export const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
export const DAY_MS = 86_400_000;

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const ISO_WEEKDAYS: readonly IsoWeekday[] = [1, 2, 3, 4, 5, 6, 7];

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;
// Instants in definitions must carry an explicit offset: a bare "2026-01-01T08:00" would be read in the
// host's time zone by Date.parse, which differs between a developer laptop and a UTC container.
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Local (Shanghai) day number: days since 1970-01-01 in local time. */
export function localDayNumber(ms: number): number {
  return Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS);
}

/** UTC epoch ms of local midnight starting the given local day. */
export function localDayStartMs(day: number): number {
  return day * DAY_MS - SHANGHAI_OFFSET_MS;
}

export function isoWeekdayOfDay(day: number): IsoWeekday {
  // Local day 0 (1970-01-01) was a Thursday.
  return ((((day + 3) % 7) + 7) % 7 + 1) as IsoWeekday;
}

export function dayToDateString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Parses 'YYYY-MM-DD' to a local day number, or undefined when it is not a real calendar date. */
export function parseLocalDate(text: string): number | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const day = ms / DAY_MS;
  return dayToDateString(day) === text ? day : undefined;
}

/** Parses 'HH:MM' or 'HH:MM:SS' (00:00 … 24:00) to ms after local midnight, or undefined. */
export function parseTimeOfDay(text: string): number | undefined {
  const m = TIME_RE.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = m[3] === undefined ? 0 : Number(m[3]);
  if (min > 59 || s > 59 || h > 24) return undefined;
  const ms = ((h * 60 + min) * 60 + s) * 1000;
  return ms > DAY_MS ? undefined : ms;
}

/** Parses an ISO-8601 instant that carries 'Z' or an explicit offset; undefined otherwise. */
export function parseInstant(text: string): number | undefined {
  if (!INSTANT_RE.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

export function requireInstant(value: Date, what: string): number {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new SlaCalendarError(SlaCalendarErrorCode.InvalidArgument, `${what} is not a valid Date`);
  }
  return ms;
}

/** The Shanghai local date ('YYYY-MM-DD') of an instant. */
export function toShanghaiDate(t: Date): string {
  return dayToDateString(localDayNumber(requireInstant(t, 'instant')));
}

/**
 * The instant of a Shanghai wall-clock time, e.g. `shanghaiInstant('2026-02-14', '08:30')`
 * is 2026-02-14T00:30:00Z.
 */
export function shanghaiInstant(date: string, time = '00:00'): Date {
  const day = parseLocalDate(date);
  const tod = parseTimeOfDay(time);
  if (day === undefined || tod === undefined) {
    throw new SlaCalendarError(SlaCalendarErrorCode.InvalidArgument, `invalid local date/time ${date} ${time}`);
  }
  return new Date(localDayStartMs(day) + tod);
}
