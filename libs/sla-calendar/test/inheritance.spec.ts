import {
  CN_NATIONAL_2025_2026,
  type CalendarDefinition,
  SlaCalendarErrorCode,
  addBusinessDuration,
  isWorkingDay,
  resolveCalendar,
  workingPeriodsOn,
} from '../index';
import { HOUR, sh } from './fixtures';

// Scenario: national → Fuxin city → a district that keeps a Saturday service desk.
describe('inheritance national → city → district', () => {
  const fuxin: CalendarDefinition = {
    code: 'fuxin',
    version: 1,
    parentCode: 'cn-national',
    // Summer hours: the afternoon starts at 14:00 on every weekday.
    weekPeriods: Object.fromEntries(
      [1, 2, 3, 4, 5].map((d) => [d, [{ start: '08:30', end: '12:00' }, { start: '14:00', end: '17:30' }]]),
    ),
    holidays: [{ date: '2026-03-12', name: { zh: '市级停工日', en: 'City closure day' } }],
    // The city works on 清明 Monday 2026-04-06 (cancels the national holiday).
    workdays: ['2026-04-06'],
    closures: [],
  };
  const district: CalendarDefinition = {
    code: 'fuxin-haizhou',
    version: 3,
    parentCode: 'fuxin',
    weekPeriods: { 6: [{ start: '09:00', end: '12:00' }] },
    // The district cancels the city's workday again and its own Saturday desk on 2026-03-14.
    holidays: ['2026-04-06', '2026-03-14'],
    workdays: [],
    closures: [],
  };

  it('overrides the weekday template per weekday and keeps the others', () => {
    const cal = resolveCalendar([CN_NATIONAL_2025_2026, fuxin, district]);
    expect(cal.weekPeriods[1]).toEqual([{ start: '08:30', end: '12:00' }, { start: '14:00', end: '17:30' }]);
    expect(cal.weekPeriods[6]).toEqual([{ start: '09:00', end: '12:00' }]);
    expect(cal.weekPeriods[7]).toEqual([]);
    expect(cal.chain).toEqual(['cn-national', 'fuxin', 'fuxin-haizhou']);
    expect(cal.versions).toEqual({ 'cn-national': 1, fuxin: 1, 'fuxin-haizhou': 3 });
  });

  it('lets the more specific calendar win on a date', () => {
    const city = resolveCalendar([CN_NATIONAL_2025_2026, fuxin]);
    const haizhou = resolveCalendar([CN_NATIONAL_2025_2026, fuxin, district]);
    expect(isWorkingDay(city, '2026-04-06')).toBe(true);
    expect(city.days['2026-04-06']).toEqual({ kind: 'workday', source: 'fuxin' });
    expect(isWorkingDay(haizhou, '2026-04-06')).toBe(false);
    expect(haizhou.days['2026-04-06']).toEqual({ kind: 'holiday', source: 'fuxin-haizhou' });
    expect(isWorkingDay(haizhou, '2026-03-12')).toBe(false);
    expect(isWorkingDay(haizhou, '2026-03-07')).toBe(true);
    expect(isWorkingDay(haizhou, '2026-03-14')).toBe(false);
    // The national make-up Saturday uses the district's own Saturday periods.
    expect(workingPeriodsOn(haizhou, '2026-02-28')).toEqual([{ from: sh('2026-02-28T09:00'), to: sh('2026-02-28T12:00') }]);
  });

  it('computes deadlines with the merged calendar', () => {
    const haizhou = resolveCalendar([CN_NATIONAL_2025_2026, fuxin, district]);
    // Friday 03-06 16:00: 1.5 h Friday, 3 h Saturday desk, 2.5 h Monday morning.
    expect(addBusinessDuration(haizhou, sh('2026-03-06T16:00'), { type: 'working_hours', seconds: 7 * HOUR })).toEqual(
      sh('2026-03-09T11:00'),
    );
  });

  it('rejects a chain out of order and a date that is both holiday and workday', () => {
    expect(() => resolveCalendar([fuxin, CN_NATIONAL_2025_2026])).toThrow(
      expect.objectContaining({ code: SlaCalendarErrorCode.InvalidChain }),
    );
    expect(() => resolveCalendar([CN_NATIONAL_2025_2026, district])).toThrow(
      expect.objectContaining({ code: SlaCalendarErrorCode.InvalidChain }),
    );
    expect(() => resolveCalendar([])).toThrow(expect.objectContaining({ code: SlaCalendarErrorCode.InvalidChain }));
    expect(() => resolveCalendar([CN_NATIONAL_2025_2026, { ...fuxin, workdays: ['2026-03-12'] }])).toThrow(
      expect.objectContaining({ code: SlaCalendarErrorCode.InvalidCalendar }),
    );
  });

  it('rejects bad periods, dates and closures with the problems listed', () => {
    const bad: CalendarDefinition = {
      code: 'bad',
      version: 1,
      weekPeriods: { 1: [{ start: '12:00', end: '08:30' }], 2: [{ start: '08:00', end: '12:00' }, { start: '11:00', end: '13:00' }] },
      holidays: ['2026-02-30'],
      workdays: [],
      closures: [{ from: '2026-03-01T08:00', to: '2026-03-02T08:00+08:00' }],
    };
    let caught: unknown;
    try {
      resolveCalendar([bad]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: SlaCalendarErrorCode.InvalidCalendar });
    expect((caught as { details: unknown[] }).details).toHaveLength(4);
  });
});
