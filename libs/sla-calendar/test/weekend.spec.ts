import { addBusinessDuration, elapsedBusinessSeconds, isWorkingDay, nextWorkingInstant } from '../index';
import { HOUR, national, sh } from './fixtures';

// Scenario: an ordinary weekend, Saturday 2026-03-07 and Sunday 2026-03-08.
describe('weekend', () => {
  it('carries a Friday-evening working-hours limit over to Monday', () => {
    const deadline = addBusinessDuration(national, sh('2026-03-06T17:00'), { type: 'working_hours', seconds: 2 * HOUR });
    expect(deadline).toEqual(sh('2026-03-09T10:00'));
  });

  it('counts no working time on Saturday and Sunday', () => {
    expect(isWorkingDay(national, '2026-03-07')).toBe(false);
    expect(isWorkingDay(national, '2026-03-08')).toBe(false);
    expect(elapsedBusinessSeconds(national, sh('2026-03-06T17:00'), sh('2026-03-09T10:00'), 'working_hours')).toBe(2 * HOUR);
    expect(elapsedBusinessSeconds(national, sh('2026-03-06T17:00'), sh('2026-03-09T10:00'), 'natural')).toBe(65 * HOUR);
  });

  it('finds Monday 08:30 as the next working instant from Saturday', () => {
    expect(nextWorkingInstant(national, sh('2026-03-07T10:00'))).toEqual(sh('2026-03-09T08:30'));
  });

  it('keeps natural clocks running over the weekend', () => {
    const deadline = addBusinessDuration(national, sh('2026-03-06T17:00'), { type: 'natural', days: 1 });
    expect(deadline).toEqual(sh('2026-03-07T17:00'));
  });
});
