import { addBusinessDuration } from '../index';
import { HOUR, national, sh } from './fixtures';

// Scenario: a normal ticket with 8 working hours received on a Friday afternoon before a holiday.
describe('Friday afternoon before a holiday', () => {
  const eightHours = { type: 'working_hours' as const, seconds: 8 * HOUR };

  it('Friday 2026-09-18 16:00 lands on the make-up Sunday 09-20, not on Monday', () => {
    // 1.5 h on Friday; Sunday 09-20 is a 国庆 make-up working day: 3.5 h before lunch, 3 h after.
    expect(addBusinessDuration(national, sh('2026-09-18T16:00'), eightHours)).toEqual(sh('2026-09-20T16:30'));
  });

  it('Thursday 2026-09-24 16:00 skips 中秋 (09-25…09-27) and lands on Monday 09-28', () => {
    expect(addBusinessDuration(national, sh('2026-09-24T16:00'), eightHours)).toEqual(sh('2026-09-28T16:30'));
  });

  it('Friday 2026-04-03 16:00 skips 清明 (04-04…04-06) and lands on Tuesday 04-07', () => {
    expect(addBusinessDuration(national, sh('2026-04-03T16:00'), eightHours)).toEqual(sh('2026-04-07T16:30'));
  });

  it('Wednesday 2026-09-30 16:00 skips 国庆 (10-01…10-07) and lands on Thursday 10-08', () => {
    expect(addBusinessDuration(national, sh('2026-09-30T16:00'), eightHours)).toEqual(sh('2026-10-08T16:30'));
  });
});
