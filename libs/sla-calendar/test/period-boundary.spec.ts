import {
  addBusinessDuration,
  elapsedBusinessSeconds,
  instantAtFraction,
  isWorkingInstant,
} from '../index';
import { HOUR, national, sh } from './fixtures';

// Scenario: limits that are used up exactly at the end of a working period (Monday 2026-03-02).
describe('limit ending exactly at a period boundary', () => {
  it('ends at 12:00, not at 13:30, when the last working second ends at noon', () => {
    const deadline = addBusinessDuration(national, sh('2026-03-02T09:00'), { type: 'working_hours', seconds: 3 * HOUR });
    expect(deadline).toEqual(sh('2026-03-02T12:00'));
    expect(isWorkingInstant(national, deadline)).toBe(false);
    expect(isWorkingInstant(national, new Date(deadline.getTime() - 1))).toBe(true);
  });

  it('ends at 17:30 on the same day, not at 08:30 the next morning', () => {
    expect(addBusinessDuration(national, sh('2026-03-02T13:30'), { type: 'working_hours', seconds: 4 * HOUR })).toEqual(
      sh('2026-03-02T17:30'),
    );
    expect(addBusinessDuration(national, sh('2026-03-02T08:30'), { type: 'working_days', days: 1 })).toEqual(
      sh('2026-03-02T17:30'),
    );
  });

  it('starts counting at the next period when started at its boundary', () => {
    expect(addBusinessDuration(national, sh('2026-03-02T12:00'), { type: 'working_hours', seconds: 1 })).toEqual(
      sh('2026-03-02T13:30:01'),
    );
    expect(addBusinessDuration(national, sh('2026-03-02T17:30'), { type: 'working_hours', seconds: HOUR })).toEqual(
      sh('2026-03-03T09:30'),
    );
  });

  it('gives the same boundary for fraction 1 and the period length as elapsed time', () => {
    const limit = { type: 'working_hours' as const, seconds: 3.5 * HOUR };
    expect(instantAtFraction(national, sh('2026-03-02T08:30'), limit, 1)).toEqual(sh('2026-03-02T12:00'));
    expect(instantAtFraction(national, sh('2026-03-02T08:30'), limit, 0.5)).toEqual(sh('2026-03-02T10:15'));
    expect(elapsedBusinessSeconds(national, sh('2026-03-02T08:30'), sh('2026-03-02T12:00'), 'working_hours')).toBe(3.5 * HOUR);
  });

  it('returns the start itself for a zero limit', () => {
    expect(addBusinessDuration(national, sh('2026-03-02T12:00'), { type: 'working_hours', seconds: 0 })).toEqual(
      sh('2026-03-02T12:00'),
    );
  });
});
