import {
  CN_NATIONAL_2025_2026,
  type CalendarDefinition,
  addBusinessDuration,
  calendarVersionKey,
  resolveCalendar,
} from '../index';
import { HOUR, sh } from './fixtures';

// Scenario: Fuxin publishes version 2 of its calendar with a snow-storm closure on Tuesday 2026-03-10.
describe('calendar version change', () => {
  const fuxinV1: CalendarDefinition = {
    code: 'fuxin',
    version: 1,
    parentCode: 'cn-national',
    holidays: [],
    workdays: [],
    closures: [],
  };
  const fuxinV2: CalendarDefinition = {
    ...fuxinV1,
    version: 2,
    closures: [{ from: '2026-03-10T00:00:00+08:00', to: '2026-03-11T00:00:00+08:00', note: '暴雪停工 snow storm' }],
  };
  const store: Record<string, CalendarDefinition> = { 'fuxin@1': fuxinV1, 'fuxin@2': fuxinV2 };
  const start = sh('2026-03-09T16:00');
  const limit = { type: 'working_hours' as const, seconds: 8 * HOUR };

  it('records the versions of the whole chain', () => {
    const v1 = resolveCalendar([CN_NATIONAL_2025_2026, fuxinV1]);
    const v2 = resolveCalendar([CN_NATIONAL_2025_2026, fuxinV2]);
    expect(v1.versions).toEqual({ 'cn-national': 1, fuxin: 1 });
    expect(v2.versions).toEqual({ 'cn-national': 1, fuxin: 2 });
    expect(calendarVersionKey(v2)).toBe('cn-national@1>fuxin@2');
  });

  it('gives two deadlines for the two versions', () => {
    const d1 = addBusinessDuration(resolveCalendar([CN_NATIONAL_2025_2026, fuxinV1]), start, limit);
    const d2 = addBusinessDuration(resolveCalendar([CN_NATIONAL_2025_2026, fuxinV2]), start, limit);
    expect(d1).toEqual(sh('2026-03-10T16:30'));
    expect(d2).toEqual(sh('2026-03-11T16:30'));
  });

  it('lets a clock keep the version it was computed with', () => {
    const cal = resolveCalendar([CN_NATIONAL_2025_2026, fuxinV1]);
    const clock = { calendarVersions: { ...cal.versions }, deadline: addBusinessDuration(cal, start, limit) };

    // Version 2 is published later; recomputing with the versions the clock kept gives the same deadline.
    const kept = resolveCalendar([CN_NATIONAL_2025_2026, store[`fuxin@${clock.calendarVersions.fuxin}`] as CalendarDefinition]);
    expect(addBusinessDuration(kept, start, limit)).toEqual(clock.deadline);
    const latest = resolveCalendar([CN_NATIONAL_2025_2026, fuxinV2]);
    expect(addBusinessDuration(latest, start, limit)).not.toEqual(clock.deadline);
  });

  it('survives a JSON round trip of the resolved calendar', () => {
    const cal = resolveCalendar([CN_NATIONAL_2025_2026, fuxinV2]);
    const copy = JSON.parse(JSON.stringify(cal)) as typeof cal;
    expect(copy).toEqual(cal);
    expect(addBusinessDuration(copy, start, limit)).toEqual(addBusinessDuration(cal, start, limit));
  });
});
