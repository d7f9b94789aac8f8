import { addBusinessDuration, elapsedBusinessSeconds, elapsedWorkingDays, isWorkingDay } from '../index';
import { HOUR, national, sh } from './fixtures';

// Scenario: 2025-12-31 (Wednesday) → 2026-01-05 (Monday) over 元旦 (01-01…01-03) and the make-up Sunday 01-04.
describe('year boundary with 元旦 2026', () => {
  it('knows which days of the span work', () => {
    expect(isWorkingDay(national, '2025-12-31')).toBe(true);
    expect(isWorkingDay(national, '2026-01-01')).toBe(false);
    expect(isWorkingDay(national, '2026-01-02')).toBe(false);
    expect(isWorkingDay(national, '2026-01-03')).toBe(false);
    expect(isWorkingDay(national, '2026-01-04')).toBe(true);
    expect(isWorkingDay(national, '2026-01-05')).toBe(true);
  });

  it('lands on the make-up Sunday 01-04', () => {
    const deadline = addBusinessDuration(national, sh('2025-12-31T16:00'), { type: 'working_hours', seconds: 8 * HOUR });
    expect(deadline).toEqual(sh('2026-01-04T16:30'));
  });

  it('continues to Monday 01-05 for a longer limit', () => {
    const deadline = addBusinessDuration(national, sh('2025-12-31T16:00'), { type: 'working_hours', seconds: 16 * HOUR });
    // 1.5 h + 7.5 h (Sunday) + 7 h on Monday: 3.5 h before lunch, 3.5 h after.
    expect(deadline).toEqual(sh('2026-01-05T17:00'));
  });

  it('counts three working days in the span', () => {
    expect(elapsedBusinessSeconds(national, sh('2025-12-31T08:30'), sh('2026-01-05T17:30'), 'working_hours')).toBe(22.5 * HOUR);
    expect(elapsedWorkingDays(national, sh('2025-12-31T08:30'), sh('2026-01-05T17:30'))).toBe(3);
    expect(
      addBusinessDuration(national, sh('2025-12-31T10:00'), { type: 'working_days', days: 2, startNextWorkingDay: true }),
    ).toEqual(sh('2026-01-05T17:30'));
  });
});
