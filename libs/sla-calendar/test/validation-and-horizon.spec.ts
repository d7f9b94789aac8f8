import fc from 'fast-check';
import {
  type CalendarDefinition,
  type ClockLimit,
  CN_NATIONAL_2025_2026,
  SlaCalendarError,
  SlaCalendarErrorCode,
  addBusinessDuration,
  elapsedBusinessSeconds,
  instantAtFraction,
  nextWorkingInstant,
  resolveCalendar,
} from '../index';
import { national, sh } from './fixtures';

// Scenario: bad inputs are refused with typed errors; long limits are computed per day, never per minute.
describe('validation and horizon', () => {
  const start = sh('2026-03-02T09:00');

  it('refuses malformed limits, pauses and instants', () => {
    const bad: ClockLimit[] = [
      { type: 'working_hours' },
      { type: 'working_hours', seconds: -1 },
      { type: 'working_hours', days: 1 },
      { type: 'working_days', seconds: 60 },
      { type: 'natural' },
      { type: 'natural', seconds: Number.NaN },
      { type: 'weekly' as never, seconds: 1 },
    ];
    for (const limit of bad) {
      expect(() => addBusinessDuration(national, start, limit)).toThrow(
        expect.objectContaining({ code: SlaCalendarErrorCode.InvalidLimit }),
      );
    }
    expect(() =>
      addBusinessDuration(national, start, { type: 'natural', seconds: 1 }, [{ from: sh('2026-03-03T00:00'), to: start }]),
    ).toThrow(expect.objectContaining({ code: SlaCalendarErrorCode.InvalidPause }));
    expect(() => addBusinessDuration(national, new Date('nope'), { type: 'natural', seconds: 1 })).toThrow(
      expect.objectContaining({ code: SlaCalendarErrorCode.InvalidArgument }),
    );
    expect(() => instantAtFraction(national, start, { type: 'natural', seconds: 1 }, -0.5)).toThrow(
      expect.objectContaining({ code: SlaCalendarErrorCode.InvalidArgument }),
    );
  });

  it('computes 20 working days and a long year of working days quickly', () => {
    const t0 = performance.now();
    expect(addBusinessDuration(national, sh('2026-09-01T09:00'), { type: 'working_days', days: 20, startNextWorkingDay: true })).toEqual(
      // From 09-02: 14 weekdays to 09-18, make-up Sunday 09-20, 09-21…24, 中秋 Friday 09-25 off; the 20th is 09-29.
      sh('2026-09-29T17:30'),
    );
    addBusinessDuration(national, start, { type: 'working_days', days: 2000 });
    elapsedBusinessSeconds(national, sh('2025-01-01T00:00'), sh('2034-01-01T00:00'), 'working_days');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('throws HORIZON_EXCEEDED for a calendar without working time', () => {
    const never = resolveCalendar([{ code: 'never', version: 1, weekPeriods: {}, holidays: [], workdays: [], closures: [] }]);
    expect(() => addBusinessDuration(never, start, { type: 'working_hours', seconds: 1 })).toThrow(
      expect.objectContaining({ code: SlaCalendarErrorCode.HorizonExceeded }),
    );
    expect(() => nextWorkingInstant(never, start)).toThrow(
      expect.objectContaining({ code: SlaCalendarErrorCode.HorizonExceeded }),
    );
    expect(() => addBusinessDuration(national, start, { type: 'working_days', days: 5000 })).toThrow(
      expect.objectContaining({ code: SlaCalendarErrorCode.HorizonExceeded }),
    );
  });

  it('returns negative elapsed time when the instants are reversed', () => {
    expect(elapsedBusinessSeconds(national, sh('2026-03-02T10:00'), sh('2026-03-02T09:00'), 'working_hours')).toBe(-3600);
  });
});

// Calendars come from admins as JSON: whatever shape a field has, resolving answers or refuses with a typed error.
describe('calendar definitions of any JSON shape', () => {
  it('resolve or throw SlaCalendarError, never anything else', () => {
    const field = fc.oneof(fc.jsonValue(), fc.array(fc.oneof(fc.string(), fc.jsonValue(), fc.record({ date: fc.oneof(fc.string(), fc.jsonValue()), name: fc.jsonValue() }))));
    fc.assert(fc.property(
      fc.record({ holidays: field, workdays: field, closures: field, weekPeriods: field, makeupTemplateWeekday: field }, { requiredKeys: [] }),
      (shape) => {
        const child = { code: 'district', version: 1, parentCode: national.code, ...shape } as unknown as CalendarDefinition;
        for (const chain of [[CN_NATIONAL_2025_2026, child], [{ ...child, parentCode: undefined }]]) {
          try {
            resolveCalendar(chain);
          } catch (err) {
            expect(err).toBeInstanceOf(SlaCalendarError);
          }
        }
      },
    ), { numRuns: 500 });
    expect(() => resolveCalendar([CN_NATIONAL_2025_2026, { code: 'district', version: 1, parentCode: national.code, holidays: 5 } as unknown as CalendarDefinition]))
      .toThrow(expect.objectContaining({ code: SlaCalendarErrorCode.InvalidCalendar, message: expect.stringContaining('holidays must be a list') }));
  });
});
