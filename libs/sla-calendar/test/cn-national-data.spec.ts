import { CN_NATIONAL_2025_2026, type CalendarDay, shanghaiInstant } from '../index';

// Scenario: the bundled State Council schedules for 2025 and 2026 are complete and consistent.
describe('cn-national 2025–2026 data', () => {
  const dates = (entries: Array<string | CalendarDay>, year: string): string[] =>
    entries.map((e) => (typeof e === 'string' ? e : e.date)).filter((d) => d.startsWith(year));
  const isoWeekday = (date: string): number => ((shanghaiInstant(date, '12:00').getUTCDay() + 6) % 7) + 1;

  it('lists 28 holidays and 5 make-up days in 2025, 33 and 6 in 2026', () => {
    expect(dates(CN_NATIONAL_2025_2026.holidays, '2025')).toHaveLength(28);
    expect(dates(CN_NATIONAL_2025_2026.holidays, '2026')).toHaveLength(33);
    expect(dates(CN_NATIONAL_2025_2026.workdays, '2025')).toEqual(['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11']);
    expect(dates(CN_NATIONAL_2025_2026.workdays, '2026')).toEqual([
      '2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10',
    ]);
  });

  it('puts every make-up day on a weekend and names every entry in Chinese and English', () => {
    for (const day of CN_NATIONAL_2025_2026.workdays) {
      expect(isoWeekday(typeof day === 'string' ? day : day.date)).toBeGreaterThanOrEqual(6);
    }
    for (const day of [...CN_NATIONAL_2025_2026.holidays, ...CN_NATIONAL_2025_2026.workdays]) {
      expect(typeof day).toBe('object');
      expect((day as CalendarDay).name?.zh).toBeTruthy();
      expect((day as CalendarDay).name?.en).toBeTruthy();
    }
  });

  it('is plain JSON data', () => {
    expect(JSON.parse(JSON.stringify(CN_NATIONAL_2025_2026))).toEqual(CN_NATIONAL_2025_2026);
  });
});
