import { zeroCounts } from './report-metrics';
import { computeRates, namingList } from './report-rates';
import { shiftGroup, shiftMonths } from './reports.service';

const V = { weights: { onTimeCloseRate: 0.5, reworkRate: 0.5 }, basicSatisfiedWeight: 0.9 };

describe('report rates 指标公式', () => {
  it('computes each rate from exact counts', () => {
    const c = { ...zeroCounts(), filed: 12, valid: 10, dispatched: 8, returned: 2, returns: 3, resolved: 6, resolved_on_time: 4, closed: 5, closed_on_time: 3,
      reworked: 1, extended: 2, callbacks: 4, contacted: 3, cb_resolved: 2, satisfied: 1, basically: 1, dissatisfied: 1 };
    const r = computeRates(c, 1, V);
    expect(r.closeRate).toBe(0.5);
    expect(r.onTimeCloseRate).toBe(3 / 6);
    expect(r.onTimeResolveRate).toBe(4 / 6);
    expect(r.reworkRate).toBe(1 / 6);
    expect(r.extensionRate).toBe(2 / 8);
    expect(r.returnRate).toBe(2 / 8);
    expect(r.accurateDispatchRate).toBe(6 / 8);
    expect(r.responseRate).toBe(3 / 4);
    expect(r.solveRate).toBe(2 / 3);
    expect(r.satisfactionRate).toBeCloseTo(1.9 / 3, 12);
    expect(r.score).toBeCloseTo(100 * (0.5 * 0.5 + 0.5 * (1 - 1 / 6)), 9);
  });

  it('per unit, 退单率 and 准确派遣率 count the unit\'s own dispatches and returns', () => {
    const c = { ...zeroCounts(), filed: 3, valid: 3, dispatched: 3, returned: 2, unit_dispatched: 5, unit_returned: 1 };
    expect(computeRates(c, 0, V, true).returnRate).toBe(1 / 5);
    expect(computeRates(c, 0, V, true).accurateDispatchRate).toBe(4 / 5);
    expect(computeRates(c, 0, V).returnRate).toBe(2 / 3);
  });

  it('leaves rates without a denominator null and out of the score', () => {
    const r = computeRates(zeroCounts(), 0, V);
    expect(r.closeRate).toBeNull();
    expect(r.score).toBeNull();
  });

  it('puts scores on naming lists by threshold', () => {
    expect(namingList(59.9, { redBelow: 60, commendFrom: 90 })).toBe('red');
    expect(namingList(60, { redBelow: 60, commendFrom: 90 })).toBeNull();
    expect(namingList(90, { redBelow: 60, commendFrom: 90 })).toBe('commended');
    expect(namingList(null, { redBelow: 60, commendFrom: 90 })).toBeNull();
  });

  it('shifts periods by months, clamping to the month end (环比 / 同比)', () => {
    expect(shiftMonths('2026-03-31', -1)).toBe('2026-02-28');
    expect(shiftMonths('2026-01-15', -1)).toBe('2025-12-15');
    // Time groupings compare each row with its own period shifted.
    expect(shiftGroup('month', '2026-01', -1)).toBe('2025-12');
    expect(shiftGroup('month', '2026-10', -12)).toBe('2025-10');
    expect(shiftGroup('day', '2026-03-31', -1)).toBe('2026-02-28');
    expect(shiftGroup('day', '2026-04-30', -1)).toBe('2026-03-30'); // a day, not a month end: the 30th stays the 30th
    expect(shiftGroup('day', '2025-02-28', -12)).toBe('2024-02-28'); // not the leap day
    expect(shiftGroup('day', '2024-02-29', -12)).toBe('2023-02-28');
    expect(shiftGroup('week', '2026-11-23', -1)).toBe('2026-10-26'); // 4 weeks
    expect(shiftGroup('week', '2026-11-23', -12)).toBe('2025-11-24'); // 52 weeks, a Monday again
    // One to one: consecutive weeks compare with consecutive weeks (never two with one).
    const weeks = ['2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23', '2026-03-30'];
    for (const months of [-1, -12]) {
      const shifted = weeks.map((w) => shiftGroup('week', w, months));
      expect(new Set(shifted).size).toBe(weeks.length);
      for (const s of shifted) expect(new Date(`${s}T00:00:00Z`).getUTCDay()).toBe(1);
    }
    expect(shiftGroup('street', '210900.210902.210902001', -1)).toBe('210900.210902.210902001');
    expect(shiftMonths('2024-02-29', -12)).toBe('2023-02-28');
    expect(shiftMonths('2025-06-30', -1)).toBe('2025-05-31');
    expect(shiftMonths('2025-02-28', -12)).toBe('2024-02-29');
    expect(shiftMonths('2025-06-29', -1)).toBe('2025-05-29');
  });
});
