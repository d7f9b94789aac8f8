import { addBusinessDuration, elapsedBusinessSeconds, elapsedWorkingDays, isWorkingDay, workingPeriodsOn } from '../index';
import { HOUR, national, sh } from './fixtures';

// Scenario: Spring Festival 2026, holiday 02-15 … 02-23, make-up working Saturdays 02-14 and 02-28.
describe('Spring Festival week 2026', () => {
  it('has no working day from 02-15 to 02-23 and works again on Tuesday 02-24', () => {
    for (let d = 15; d <= 23; d++) expect(isWorkingDay(national, `2026-02-${d}`)).toBe(false);
    expect(isWorkingDay(national, '2026-02-24')).toBe(true);
    expect(national.days['2026-02-16']).toEqual({
      kind: 'holiday',
      source: 'cn-national',
      name: { zh: '春节', en: 'Spring Festival' },
    });
  });

  it('carries a limit from the last working Saturday over the whole festival', () => {
    const deadline = addBusinessDuration(national, sh('2026-02-14T16:00'), { type: 'working_hours', seconds: 8 * HOUR });
    // 1.5 h on Saturday 02-14, then 6.5 h from Tuesday 02-24 08:30: 3.5 h before lunch, 3 h after.
    expect(deadline).toEqual(sh('2026-02-24T16:30'));
  });

  it('measures zero working time across the festival', () => {
    expect(elapsedBusinessSeconds(national, sh('2026-02-14T17:30'), sh('2026-02-24T08:30'), 'working_hours')).toBe(0);
    expect(elapsedWorkingDays(national, sh('2026-02-14T17:30'), sh('2026-02-24T08:30'))).toBe(0);
  });

  it('counts working days over the festival', () => {
    const deadline = addBusinessDuration(national, sh('2026-02-13T10:00'), {
      type: 'working_days',
      days: 2,
      startNextWorkingDay: true,
    });
    // Day 1 = Saturday 02-14 (调休), day 2 = Tuesday 02-24.
    expect(deadline).toEqual(sh('2026-02-24T17:30'));
    expect(workingPeriodsOn(national, '2026-02-20')).toEqual([]);
  });
});
