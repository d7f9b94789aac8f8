import {
  CN_NATIONAL_2025_2026,
  SlaCalendarError,
  SlaCalendarErrorCode,
  addBusinessDuration,
  applyHolidaySchedule,
  isWorkingDay,
  parseHolidaySchedule,
  resolveCalendar,
} from '../index';
import { HOUR, sh } from './fixtures';

// Scenario: an admin imports the (hypothetical) 2027 schedule and a corrected 2026 schedule.
describe('yearly holiday schedule import', () => {
  const text2027 = [
    '\uFEFF# 2027 schedule',
    'date,kind,name_zh,name_en',
    '2027-01-01,holiday,元旦,New Year\'s Day',
    '',
    '2027-02-06,holiday,春节,Spring Festival',
    '2027-02-20 , workday , 春节调休上班',
    '2027-02-21,workday',
  ].join('\r\n');

  it('parses dates, kinds and names, skipping comments, blanks and the header', () => {
    expect(parseHolidaySchedule(text2027)).toEqual({
      year: 2027,
      years: [2027],
      holidays: [
        { date: '2027-01-01', name: { zh: '元旦', en: "New Year's Day" } },
        { date: '2027-02-06', name: { zh: '春节', en: 'Spring Festival' } },
      ],
      workdays: [{ date: '2027-02-20', name: { zh: '春节调休上班' } }, { date: '2027-02-21' }],
    });
  });

  it('reports every bad line with its number', () => {
    const bad = ['2027-01-01,holiday,元旦', '2027-13-01,holiday', '2027-01-02,vacation', '2027-01-01,workday', 'oops'].join('\n');
    let caught: unknown;
    try {
      parseHolidaySchedule(bad);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SlaCalendarError);
    const error = caught as SlaCalendarError;
    expect(error.code).toBe(SlaCalendarErrorCode.InvalidSchedule);
    expect(error.details.map((d) => d.line)).toEqual([2, 3, 4, 5]);
    expect(error.message).toContain('line 3: kind "vacation" must be holiday or workday');
    expect(error.message).toContain('2027-01-01 already appears on line 1');
  });

  it('adds a new year as a new calendar version and keeps the other years', () => {
    const v2 = applyHolidaySchedule(CN_NATIONAL_2025_2026, parseHolidaySchedule(text2027), 2);
    expect(v2.version).toBe(2);
    expect(CN_NATIONAL_2025_2026.version).toBe(1);
    const cal = resolveCalendar([v2]);
    expect(isWorkingDay(cal, '2027-01-01')).toBe(false);
    expect(isWorkingDay(cal, '2027-02-20')).toBe(true);
    expect(isWorkingDay(cal, '2026-02-16')).toBe(false);
  });

  it('replaces the entries of a re-imported year', () => {
    const corrected2026 = parseHolidaySchedule('2026-01-01,holiday,元旦,New Year\'s Day\n');
    const v2 = resolveCalendar([applyHolidaySchedule(CN_NATIONAL_2025_2026, corrected2026, 2)]);
    expect(isWorkingDay(v2, '2026-01-02')).toBe(true);
    expect(isWorkingDay(v2, '2026-01-04')).toBe(false);
    expect(isWorkingDay(v2, '2025-10-08')).toBe(false);
    expect(addBusinessDuration(v2, sh('2025-12-31T16:00'), { type: 'working_hours', seconds: 8 * HOUR })).toEqual(
      sh('2026-01-02T16:30'),
    );
    expect(() => applyHolidaySchedule(CN_NATIONAL_2025_2026, corrected2026, 1)).toThrow(SlaCalendarError);
  });

  it('a notice that lists days of the year before replaces its own year whole and only those days of the other', () => {
    // As the 2019 notice did: 2018-12-29 a make-up working day, 2018-12-30 and 31 holidays, then 2019's own days.
    const notice2027 = parseHolidaySchedule([
      '2026-12-26,workday,元旦调休上班', '2026-12-31,holiday,元旦', '2027-01-01,holiday,元旦', '2027-02-06,holiday,春节', '2027-02-07,holiday,春节',
    ].join('\n'));
    expect([notice2027.year, notice2027.years]).toEqual([2027, [2026, 2027]]);
    const v2 = resolveCalendar([applyHolidaySchedule(CN_NATIONAL_2025_2026, notice2027, 2)]);
    expect(isWorkingDay(v2, '2026-12-26')).toBe(true); // a Saturday made a working day
    expect(isWorkingDay(v2, '2026-12-31')).toBe(false);
    // The rest of 2026 is as it was: the Spring Festival, National Day, their make-up days.
    for (const d of ['2026-02-16', '2026-10-01', '2026-10-07']) expect(isWorkingDay(v2, d)).toBe(false);
    expect(isWorkingDay(v2, '2026-02-14')).toBe(true);
    expect(isWorkingDay(v2, '2027-02-06')).toBe(false);
  });

  it('an import with no dates is refused', () => {
    expect(() => parseHolidaySchedule('# nothing yet\ndate,kind\n')).toThrow(SlaCalendarError);
  });
});
