import { addBusinessDuration, countingStart, elapsedFraction, instantAtFraction } from '../index';
import { national, sh } from './fixtures';

// Scenario: 次日起算 — working days counted from the next working day (week of 2026-03-02).
describe('次日起算 working days', () => {
  const threeDays = { type: 'working_days' as const, days: 3, startNextWorkingDay: true };

  it('does not count the start day and ends at the end of the N-th working day', () => {
    expect(addBusinessDuration(national, sh('2026-03-03T10:00'), threeDays)).toEqual(sh('2026-03-06T17:30'));
    expect(addBusinessDuration(national, sh('2026-03-03T07:00'), threeDays)).toEqual(sh('2026-03-06T17:30'));
    expect(countingStart(sh('2026-03-03T10:00'), threeDays)).toEqual(sh('2026-03-04T00:00'));
  });

  it('differs from counting from the start instant', () => {
    expect(addBusinessDuration(national, sh('2026-03-03T10:00'), { type: 'working_days', days: 3 })).toEqual(
      sh('2026-03-06T10:00'),
    );
    // Started before office hours without 次日起算, the start day itself is day 1.
    expect(addBusinessDuration(national, sh('2026-03-03T07:00'), { type: 'working_days', days: 3 })).toEqual(
      sh('2026-03-05T17:30'),
    );
  });

  it('skips the weekend for the next working day', () => {
    const oneDay = { type: 'working_days' as const, days: 1, startNextWorkingDay: true };
    expect(addBusinessDuration(national, sh('2026-03-06T15:00'), oneDay)).toEqual(sh('2026-03-09T17:30'));
    expect(addBusinessDuration(national, sh('2026-03-07T11:00'), oneDay)).toEqual(sh('2026-03-09T17:30'));
  });

  it('places thresholds on working-day fractions', () => {
    const twoDays = { type: 'working_days' as const, days: 2, startNextWorkingDay: true };
    const start = sh('2026-03-03T10:00');
    expect(instantAtFraction(national, start, twoDays, 0.5)).toEqual(sh('2026-03-04T17:30'));
    expect(instantAtFraction(national, start, twoDays, 0.25)).toEqual(sh('2026-03-04T13:45'));
    expect(elapsedFraction(national, start, twoDays, sh('2026-03-03T16:00'))).toBe(0);
    expect(elapsedFraction(national, start, twoDays, sh('2026-03-04T17:30'))).toBeCloseTo(0.5, 12);
  });
});
