import fc from 'fast-check';
import { histJson, toRollupRow, type StoredContribution } from './rollup.repository';
import { sameContribution } from './rollup.service';
import { COUNTERS, zeroCounts } from './report-metrics';

const histograms = fc.array(fc.array(fc.tuple(fc.integer({ min: -5, max: 2047 }), fc.integer({ min: -3, max: 1_000_000 })), { maxLength: 40 }), { minLength: 8, maxLength: 8 })
  .map((metrics) => metrics.map((pairs) => new Map(pairs)));

describe('rollup fold helpers', () => {
  it('histJson writes what the pair arrays stringify to, buckets ascending, and reads back to the same maps', () => {
    fc.assert(fc.property(histograms, (hist) => {
      const text = histJson(hist);
      expect(text).toBe(JSON.stringify(hist.map((h) => [...h].sort((a, b) => a[0] - b[0]).flat())));
      const back = toRollupRow({ key_id: 1, ...zeroCounts(), dur_n: [], dur_sum_ms: [], hist: JSON.parse(text) as number[][] }).hist;
      expect(back.map((h) => [...h].sort((a, b) => a[0] - b[0]))).toEqual(hist.map((h) => [...h].sort((a, b) => a[0] - b[0])));
    }));
  });

  describe('sameContribution (an event that changes no figure rewrites no rollup row)', () => {
    const base = (): StoredContribution => ({
      counts: { ...zeroCounts(), filed: 1, valid: 1, dispatched: 1, unit_dispatched: 1 },
      durationsMs: [60_000, null, null, null, 30_000, null, null, null],
      buckets: [[0, 200], [4, 180]],
      credits: [{ unitId: 'u-2', counts: { unit_dispatched: 1, unit_returned: 1 } }],
    });

    it('is true for an equal contribution, and an absent counter or credit list counts as zero or none', () => {
      expect(sameContribution(base(), base())).toBe(true);
      const older = base();
      delete older.counts.unit_returned;
      expect(sameContribution(older, base())).toBe(true);
      const noCredits = { ...base(), credits: undefined };
      expect(sameContribution(noCredits, { ...base(), credits: [] })).toBe(true);
    });

    it('is false when any counter, duration, bucket or credit differs', () => {
      for (const name of COUNTERS) {
        const b = base();
        b.counts[name] = (b.counts[name] ?? 0) + 1;
        expect([name, sameContribution(base(), b)]).toEqual([name, false]);
      }
      const longer = base();
      longer.durationsMs[1] = 1000;
      expect(sameContribution(base(), longer)).toBe(false);
      const rebucketed = base();
      rebucketed.buckets = [[0, 201], [4, 180]];
      expect(sameContribution(base(), rebucketed)).toBe(false);
      const otherUnit = base();
      otherUnit.credits = [{ unitId: 'u-3', counts: { unit_dispatched: 1, unit_returned: 1 } }];
      expect(sameContribution(base(), otherUnit)).toBe(false);
      const notReturned = base();
      notReturned.credits = [{ unitId: 'u-2', counts: { unit_dispatched: 1, unit_returned: 0 } }];
      expect(sameContribution(base(), notReturned)).toBe(false);
      expect(sameContribution(base(), { ...base(), credits: [] })).toBe(false);
    });
  });
});
