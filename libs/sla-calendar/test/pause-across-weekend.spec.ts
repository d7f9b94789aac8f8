import {
  SlaCalendarError,
  SlaCalendarErrorCode,
  addBusinessDuration,
  elapsedBusinessSeconds,
  elapsedFraction,
} from '../index';
import { HOUR, national, sh } from './fixtures';

// Scenario: a clock started Thursday 2026-03-05 09:00, suspended (挂起) Thursday 16:00, resumed Monday 10:00.
describe('pause across a weekend', () => {
  const start = sh('2026-03-05T09:00');
  const pauses = [{ from: sh('2026-03-05T16:00'), to: sh('2026-03-09T10:00') }];

  it('extends a working-hours deadline by the paused working time only', () => {
    expect(addBusinessDuration(national, start, { type: 'working_hours', seconds: 16 * HOUR })).toEqual(
      sh('2026-03-09T10:00'),
    );
    // 5.5 h Thursday, Monday 10:00–12:00 and 13:30–17:30 (6 h), Tuesday 3.5 h + 1 h.
    expect(addBusinessDuration(national, start, { type: 'working_hours', seconds: 16 * HOUR }, pauses)).toEqual(
      sh('2026-03-10T14:30'),
    );
  });

  it('extends a natural deadline by the whole pause', () => {
    // 7 h before the pause, the remaining 65 h from Monday 10:00.
    expect(addBusinessDuration(national, start, { type: 'natural', seconds: 72 * HOUR }, pauses)).toEqual(
      sh('2026-03-12T03:00'),
    );
  });

  it('excludes the pause from elapsed time', () => {
    expect(elapsedBusinessSeconds(national, start, sh('2026-03-09T12:00'), 'working_hours', pauses)).toBe(7.5 * HOUR);
    expect(elapsedBusinessSeconds(national, start, sh('2026-03-09T12:00'), 'natural', pauses)).toBe(9 * HOUR);
    expect(elapsedFraction(national, start, { type: 'working_hours', seconds: 15 * HOUR }, sh('2026-03-09T12:00'), pauses)).toBe(0.5);
  });

  it('has no deadline while an open pause holds the clock, but keeps one reached before it', () => {
    const open = [{ from: sh('2026-03-05T16:00'), to: null }];
    const run = (): Date => addBusinessDuration(national, start, { type: 'working_hours', seconds: 16 * HOUR }, open);
    expect(run).toThrow(SlaCalendarError);
    expect(run).toThrow(expect.objectContaining({ code: SlaCalendarErrorCode.OpenPause }));
    expect(addBusinessDuration(national, start, { type: 'working_hours', seconds: 2 * HOUR }, open)).toEqual(
      sh('2026-03-05T11:00'),
    );
    expect(elapsedBusinessSeconds(national, start, sh('2026-03-09T12:00'), 'working_hours', open)).toBe(5.5 * HOUR);
  });

  it('merges overlapping pauses and ignores pauses before the start', () => {
    const messy = [
      { from: sh('2026-03-01T00:00'), to: sh('2026-03-02T00:00') },
      { from: sh('2026-03-05T16:00'), to: sh('2026-03-07T00:00') },
      { from: sh('2026-03-06T12:00'), to: sh('2026-03-09T10:00') },
    ];
    expect(addBusinessDuration(national, start, { type: 'working_hours', seconds: 16 * HOUR }, messy)).toEqual(
      sh('2026-03-10T14:30'),
    );
  });
});
