import fc from 'fast-check';
import {
  CN_NATIONAL_2025_2026,
  type ClockLimit,
  type ClockPause,
  type ResolvedCalendar,
  addBusinessDuration,
  countingStart,
  elapsedBusinessSeconds,
  elapsedFraction,
  elapsedWorkingDays,
  instantAtFraction,
  isWorkingInstant,
  nextWorkingInstant,
  resolveCalendar,
} from '../index';
import { national } from './fixtures';

// Properties over random starts in 2025–2026, random limits of every clock type and random pauses.
const district = resolveCalendar([
  CN_NATIONAL_2025_2026,
  {
    code: 'district',
    version: 1,
    parentCode: 'cn-national',
    weekPeriods: { 6: [{ start: '09:00', end: '11:15' }], 3: [{ start: '08:00', end: '12:00' }, { start: '12:00', end: '16:45:30' }] },
    holidays: ['2025-06-10', '2026-03-11'],
    workdays: ['2025-10-08'],
    closures: [
      { from: '2025-07-01T10:20:00+08:00', to: '2025-07-03T15:00:00+08:00', note: 'flood' },
      { from: '2026-03-02T11:00:00+08:00', to: '2026-03-02T14:00:00+08:00' },
    ],
  },
]);
const calendars: ReadonlyArray<ResolvedCalendar> = [national, district];

const MIN_START = Date.parse('2024-12-25T00:00:00+08:00');
const MAX_START = Date.parse('2026-12-31T23:59:59+08:00');
const DAY = 86_400_000;

const calendarArb = fc.constantFrom(...calendars);
const startArb = fc.integer({ min: MIN_START, max: MAX_START }).map((ms) => new Date(ms));
const workingHoursArb = fc
  .record({ seconds: fc.integer({ min: 0, max: 200 * 3600 }), startNextWorkingDay: fc.boolean() })
  .map((r): ClockLimit => ({ type: 'working_hours', ...r }));
const workingDaysArb = fc
  .record({ eighths: fc.integer({ min: 0, max: 30 * 8 }), startNextWorkingDay: fc.boolean() })
  .map((r): ClockLimit => ({ type: 'working_days', days: r.eighths / 8, startNextWorkingDay: r.startNextWorkingDay }));
const naturalArb = fc
  .record({ seconds: fc.integer({ min: 0, max: 30 * 86_400 }), startNextWorkingDay: fc.boolean() })
  .map((r): ClockLimit => ({ type: 'natural', ...r }));
const limitArb = fc.oneof(workingHoursArb, workingDaysArb, naturalArb);
const workingLimitArb = fc.oneof(workingHoursArb, workingDaysArb);
const pausesArb = (start: Date): fc.Arbitrary<ClockPause[]> =>
  fc.array(
    fc.record({ offset: fc.integer({ min: -2 * DAY, max: 20 * DAY }), length: fc.integer({ min: 0, max: 4 * DAY }) }),
    { maxLength: 3 },
  ).map((ps) =>
    ps.map(({ offset, length }) => ({
      from: new Date(start.getTime() + offset),
      to: new Date(start.getTime() + offset + length),
    })),
  );
const caseArb = (limits: fc.Arbitrary<ClockLimit>) =>
  fc
    .tuple(calendarArb, startArb, limits)
    .chain(([cal, start, limit]) => pausesArb(start).map((pauses) => ({ cal, start, limit, pauses })));

function amountOf(limit: ClockLimit): number {
  return limit.type === 'working_days' ? (limit.days as number) : (limit.seconds as number);
}

function measure(cal: ResolvedCalendar, from: Date, to: Date, limit: ClockLimit, pauses: ClockPause[]): number {
  return limit.type === 'working_days'
    ? elapsedWorkingDays(cal, from, to, pauses)
    : elapsedBusinessSeconds(cal, from, to, limit.type, pauses);
}

function inPause(t: number, pauses: ClockPause[]): boolean {
  return pauses.some((p) => p.from.getTime() <= t && (p.to === null || t < p.to.getTime()));
}

describe('properties', () => {
  it('measuring from the counting start to the deadline returns the limit', () => {
    fc.assert(
      fc.property(caseArb(limitArb), ({ cal, start, limit, pauses }) => {
        const deadline = addBusinessDuration(cal, start, limit, pauses);
        const measured = measure(cal, countingStart(start, limit), deadline, limit, pauses);
        if (limit.type === 'working_days') expect(measured).toBeCloseTo(amountOf(limit), 6);
        else expect(measured).toBe(amountOf(limit));
      }),
      { numRuns: 300 },
    );
  });

  it('a working-clock deadline ends a working, unpaused millisecond', () => {
    fc.assert(
      fc.property(caseArb(workingLimitArb), ({ cal, start, limit, pauses }) => {
        fc.pre(amountOf(limit) > 0);
        const deadline = addBusinessDuration(cal, start, limit, pauses);
        const lastMs = deadline.getTime() - 1;
        expect(isWorkingInstant(cal, new Date(lastMs))).toBe(true);
        expect(inPause(lastMs, pauses)).toBe(false);
        expect(deadline.getTime()).toBeGreaterThan(countingStart(start, limit).getTime());
      }),
      { numRuns: 300 },
    );
  });

  it('a longer limit never gives an earlier deadline', () => {
    fc.assert(
      fc.property(caseArb(limitArb), fc.integer({ min: 0, max: 100 }), ({ cal, start, limit, pauses }, extraPercent) => {
        const longer: ClockLimit =
          limit.type === 'working_days'
            ? { ...limit, days: (limit.days as number) + extraPercent / 8 }
            : { ...limit, seconds: (limit.seconds as number) + extraPercent * 137 };
        const a = addBusinessDuration(cal, start, limit, pauses);
        const b = addBusinessDuration(cal, start, longer, pauses);
        expect(b.getTime()).toBeGreaterThanOrEqual(a.getTime());
      }),
      { numRuns: 300 },
    );
  });

  it('fraction 1 is the deadline, fractions are ordered and measure back to themselves', () => {
    fc.assert(
      fc.property(
        caseArb(limitArb),
        fc.integer({ min: 0, max: 150 }),
        fc.integer({ min: 0, max: 150 }),
        ({ cal, start, limit, pauses }, p, q) => {
          expect(instantAtFraction(cal, start, limit, 1, pauses)).toEqual(addBusinessDuration(cal, start, limit, pauses));
          const [lo, hi] = p <= q ? [p / 100, q / 100] : [q / 100, p / 100];
          const tLo = instantAtFraction(cal, start, limit, lo, pauses);
          const tHi = instantAtFraction(cal, start, limit, hi, pauses);
          expect(tHi.getTime()).toBeGreaterThanOrEqual(tLo.getTime());
          if (amountOf(limit) > 0 && hi > 0) {
            // Never early: at the threshold instant at least `hi` of the limit has been counted.
            expect(elapsedFraction(cal, start, limit, tHi, pauses)).toBeGreaterThanOrEqual(hi - 1e-9);
            expect(elapsedFraction(cal, start, limit, new Date(tHi.getTime() - 1), pauses)).toBeLessThan(hi);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('nextWorkingInstant is working and no working time lies before it', () => {
    fc.assert(
      fc.property(calendarArb, startArb, (cal, t) => {
        const next = nextWorkingInstant(cal, t);
        expect(isWorkingInstant(cal, next)).toBe(true);
        expect(next.getTime()).toBeGreaterThanOrEqual(t.getTime());
        expect(elapsedBusinessSeconds(cal, t, next, 'working_hours')).toBe(0);
        expect(isWorkingInstant(cal, t)).toBe(next.getTime() === t.getTime());
      }),
      { numRuns: 300 },
    );
  });
});
