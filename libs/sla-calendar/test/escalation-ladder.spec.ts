import { addBusinessDuration, addNatural, escalationInstant, instantAtFraction } from '../index';
import { HOUR, national, sh } from './fixtures';

// Scenario: 50 % 催办, 80 % warning, 100 % breach, then breach + 2 h (natural) and breach + 1 working day.
describe('warning thresholds and escalation ladder', () => {
  const start = sh('2026-03-05T09:00');
  const limit = { type: 'working_hours' as const, seconds: 10 * HOUR };

  it('places thresholds on working time', () => {
    expect(instantAtFraction(national, start, limit, 0.5)).toEqual(sh('2026-03-05T15:30'));
    expect(instantAtFraction(national, start, limit, 0.8)).toEqual(sh('2026-03-06T09:30'));
    expect(instantAtFraction(national, start, limit, 1)).toEqual(addBusinessDuration(national, start, limit));
    expect(addBusinessDuration(national, start, limit)).toEqual(sh('2026-03-06T11:30'));
  });

  it('counts escalation steps after the breach with their own clock type', () => {
    const breach = sh('2026-03-06T17:00');
    expect(escalationInstant(national, breach, { type: 'natural', seconds: 2 * HOUR })).toEqual(sh('2026-03-06T19:00'));
    expect(addNatural(breach, 2 * HOUR)).toEqual(sh('2026-03-06T19:00'));
    expect(escalationInstant(national, breach, { type: 'working_hours', seconds: 2 * HOUR })).toEqual(
      sh('2026-03-09T10:00'),
    );
    expect(escalationInstant(national, breach, { type: 'working_days', days: 1, startNextWorkingDay: true })).toEqual(
      sh('2026-03-09T17:30'),
    );
  });
});
