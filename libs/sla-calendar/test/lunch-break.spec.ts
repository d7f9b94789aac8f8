import { addBusinessDuration, elapsedBusinessSeconds, isWorkingInstant, nextWorkingInstant } from '../index';
import { HOUR, national, sh } from './fixtures';

// Scenario: a normal Monday (2026-03-02) with the 12:00–13:30 lunch break.
describe('lunch break', () => {
  it('skips the lunch break when a working-hours limit runs across it', () => {
    const deadline = addBusinessDuration(national, sh('2026-03-02T11:00'), { type: 'working_hours', seconds: 2 * HOUR });
    expect(deadline).toEqual(sh('2026-03-02T14:30'));
  });

  it('starts counting at 13:30 when the clock starts during lunch', () => {
    const deadline = addBusinessDuration(national, sh('2026-03-02T12:30'), { type: 'working_hours', seconds: HOUR });
    expect(deadline).toEqual(sh('2026-03-02T14:30'));
  });

  it('does not count lunch as elapsed working time', () => {
    expect(elapsedBusinessSeconds(national, sh('2026-03-02T11:00'), sh('2026-03-02T14:30'), 'working_hours')).toBe(2 * HOUR);
    expect(elapsedBusinessSeconds(national, sh('2026-03-02T12:00'), sh('2026-03-02T13:30'), 'working_hours')).toBe(0);
    expect(elapsedBusinessSeconds(national, sh('2026-03-02T12:00'), sh('2026-03-02T13:30'), 'natural')).toBe(1.5 * HOUR);
  });

  it('treats lunch as non-working time with half-open periods', () => {
    expect(isWorkingInstant(national, sh('2026-03-02T11:59:59.999'))).toBe(true);
    expect(isWorkingInstant(national, sh('2026-03-02T12:00'))).toBe(false);
    expect(isWorkingInstant(national, sh('2026-03-02T13:29:59.999'))).toBe(false);
    expect(isWorkingInstant(national, sh('2026-03-02T13:30'))).toBe(true);
    expect(nextWorkingInstant(national, sh('2026-03-02T12:15'))).toEqual(sh('2026-03-02T13:30'));
    expect(nextWorkingInstant(national, sh('2026-03-02T10:15'))).toEqual(sh('2026-03-02T10:15'));
  });
});
