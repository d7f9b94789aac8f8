import type { CalendarDay, CalendarDefinition, DayKind } from './calendar.types';
import { parseLocalDate } from './shanghai-time';
import { SlaCalendarError, SlaCalendarErrorCode, type SlaCalendarErrorDetail } from './sla-calendar.exception';

/** A parsed yearly holiday schedule (国务院办公厅 节假日安排), ready to merge into a calendar definition. */
export interface HolidaySchedule {
  /**
   * The year the schedule is for: the year most of its lines fall in (the later one on a tie). A State Council notice
   * may also list a few days of the years beside it (the 2019 notice: 2018-12-29 a make-up working day, 2018-12-30
   * and 31 holidays); those are merged day by day, while the schedule's own year is replaced whole.
   */
  year: number;
  /** Years that the schedule has lines in, ascending. */
  years: number[];
  holidays: CalendarDay[];
  workdays: CalendarDay[];
}

const KINDS: readonly DayKind[] = ['holiday', 'workday'];

/**
 * Parses the yearly import format, one day per line:
 *
 * ```
 * # date,kind,name_zh,name_en        (comment lines start with '#'; blank lines are ignored)
 * date,kind,name_zh,name_en          (optional header line)
 * 2026-02-16,holiday,春节,Spring Festival
 * 2026-02-14,workday,春节调休上班,Spring Festival make-up working day
 * ```
 *
 * `date` is a local 'YYYY-MM-DD'; `kind` is `holiday` (non-working) or `workday` (调休 make-up working day);
 * the names are optional and may not contain commas. A date may appear only once.
 *
 * @throws SlaCalendarError INVALID_SCHEDULE listing every bad line (1-based) in `details`
 */
export function parseHolidaySchedule(text: string): HolidaySchedule {
  const problems: SlaCalendarErrorDetail[] = [];
  const seen = new Map<string, number>();
  const holidays: CalendarDay[] = [];
  const workdays: CalendarDay[] = [];
  const perYear = new Map<number, number>();
  const lines = String(text ?? '').replace(/^\uFEFF/, '').split(/\r?\n/);
  let sawData = false;

  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(',').map((f) => f.trim());
    if (!sawData && fields[0]?.toLowerCase() === 'date' && fields[1]?.toLowerCase() === 'kind') {
      sawData = true;
      return;
    }
    sawData = true;
    if (fields.length < 2 || fields.length > 4) {
      problems.push({ line, message: `expected 2 to 4 comma-separated fields (date,kind[,name_zh[,name_en]]), got ${fields.length}` });
      return;
    }
    const [date = '', kind = '', zh = '', en = ''] = fields;
    if (parseLocalDate(date) === undefined) {
      problems.push({ line, message: `"${date}" is not a valid YYYY-MM-DD date` });
      return;
    }
    if (!KINDS.includes(kind as DayKind)) {
      problems.push({ line, message: `kind "${kind}" must be holiday or workday` });
      return;
    }
    const earlier = seen.get(date);
    if (earlier !== undefined) {
      problems.push({ line, message: `${date} already appears on line ${earlier}` });
      return;
    }
    seen.set(date, line);
    const y = Number(date.slice(0, 4));
    perYear.set(y, (perYear.get(y) ?? 0) + 1);
    const day: CalendarDay = zh === '' && en === '' ? { date } : { date, name: en === '' ? { zh } : { zh, en } };
    (kind === 'holiday' ? holidays : workdays).push(day);
  });

  if (problems.length > 0) {
    throw new SlaCalendarError(
      SlaCalendarErrorCode.InvalidSchedule,
      `holiday schedule has ${problems.length} bad line(s): ${problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}`,
      problems,
    );
  }
  if (perYear.size === 0) {
    throw new SlaCalendarError(SlaCalendarErrorCode.InvalidSchedule, 'holiday schedule has no date lines', [{ message: 'no date lines / 没有日期行' }]);
  }
  const years = [...perYear.keys()].sort((a, b) => a - b);
  const year = years.reduce((best, y) => (perYear.get(y)! >= perYear.get(best)! ? y : best), years[0]!);
  const byDate = (a: CalendarDay, b: CalendarDay): number => a.date.localeCompare(b.date);
  return { year, years, holidays: holidays.sort(byDate), workdays: workdays.sort(byDate) };
}

/**
 * A new version of `def` with the schedule applied: every holiday and workday of the schedule's `year` is replaced
 * by the schedule's; a line of another year replaces only that date (whatever kind it had); everything else is
 * kept. `version` must be greater than `def.version`; `def` is not modified.
 */
export function applyHolidaySchedule(
  def: CalendarDefinition,
  schedule: HolidaySchedule,
  version: number,
): CalendarDefinition {
  if (!Number.isInteger(version) || version <= def.version) {
    throw new SlaCalendarError(
      SlaCalendarErrorCode.InvalidCalendar,
      `new version ${version} of ${def.code} must be an integer greater than ${def.version}`,
    );
  }
  const dateOf = (entry: string | CalendarDay): string => (typeof entry === 'string' ? entry : entry.date);
  const listed = new Set([...schedule.holidays, ...schedule.workdays].map(dateOf));
  const keep = (entry: string | CalendarDay): boolean =>
    Number(dateOf(entry).slice(0, 4)) !== schedule.year && !listed.has(dateOf(entry));
  const byDate = (a: string | CalendarDay, b: string | CalendarDay): number => dateOf(a).localeCompare(dateOf(b));
  return {
    ...def,
    version,
    holidays: [...(def.holidays ?? []).filter(keep), ...schedule.holidays].sort(byDate),
    workdays: [...(def.workdays ?? []).filter(keep), ...schedule.workdays].sort(byDate),
    closures: [...(def.closures ?? [])],
  };
}
