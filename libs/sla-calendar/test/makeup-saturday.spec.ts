import { addBusinessDuration, isWorkingDay, isWorkingInstant, workingPeriodsOn } from '../index';
import { HOUR, national, sh } from './fixtures';

// Scenario: Saturday 2026-02-28 is a make-up working day (调休) using the Monday periods.
describe('调休 Saturday 2026-02-28', () => {
  it('is a working day with the Monday periods while an ordinary Saturday is not', () => {
    expect(isWorkingDay(national, '2026-02-28')).toBe(true);
    expect(isWorkingDay(national, '2026-03-07')).toBe(false);
    expect(workingPeriodsOn(national, '2026-02-28')).toEqual([
      { from: sh('2026-02-28T08:30'), to: sh('2026-02-28T12:00') },
      { from: sh('2026-02-28T13:30'), to: sh('2026-02-28T17:30') },
    ]);
    expect(isWorkingInstant(national, sh('2026-02-28T09:00'))).toBe(true);
  });

  it('lets a Friday-afternoon limit end on the 调休 Saturday', () => {
    const deadline = addBusinessDuration(national, sh('2026-02-27T16:00'), { type: 'working_hours', seconds: 4 * HOUR });
    expect(deadline).toEqual(sh('2026-02-28T11:00'));
  });

  it('counts the 调休 Saturday as one working day', () => {
    const deadline = addBusinessDuration(national, sh('2026-02-27T10:00'), { type: 'working_days', days: 1 });
    expect(deadline).toEqual(sh('2026-02-28T10:00'));
  });
});
