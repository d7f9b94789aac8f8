import fc from 'fast-check';
import { HistogramMerger, MAX_RELATIVE_ERROR, bucketOf, quantileMs, representativeMs, summarise } from './histogram';

describe('log-bucket histogram 对数分桶', () => {
  it('keeps every value within 1 % of its bucket representative', () => {
    expect(MAX_RELATIVE_ERROR).toBeLessThan(0.01);
    fc.assert(fc.property(fc.double({ min: 1, max: 1e12, noNaN: true }), (ms) => {
      const rep = representativeMs(bucketOf(ms));
      expect(Math.abs(rep - ms) / ms).toBeLessThanOrEqual(MAX_RELATIVE_ERROR + 1e-12);
    }));
  });

  it('maps values below a millisecond to bucket 0, reported as 0', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.5)).toBe(0);
    expect(representativeMs(0)).toBe(0);
    expect(bucketOf(1)).toBe(1);
    expect(representativeMs(1)).toBe(1);
  });

  it('buckets are monotone', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1e12, noNaN: true }), fc.double({ min: 0, max: 1e12, noNaN: true }), (a, b) => {
      if (a <= b) expect(bucketOf(a)).toBeLessThanOrEqual(bucketOf(b));
    }));
  });

  /** percentile_cont of exact values: position q·(n−1), interpolated. */
  const exactCont = (values: number[], q: number): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const pos = q * (sorted.length - 1);
    const below = sorted[Math.floor(pos)]!;
    return below + (pos - Math.floor(pos)) * (sorted[Math.ceil(pos)]! - below);
  };

  it('quantiles match percentile_cont of the sorted values, within the bucket error', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 1e9 }), { minLength: 1, maxLength: 300 }), fc.constantFrom(0, 0.5, 0.9, 0.95, 1), (values, q) => {
      const h = new Map<number, number>();
      for (const v of values) h.set(bucketOf(v), (h.get(bucketOf(v)) ?? 0) + 1);
      const exact = exactCont(values, q);
      expect(Math.abs(quantileMs(h, q)! - exact) / exact).toBeLessThanOrEqual(MAX_RELATIVE_ERROR + 1e-12);
    }));
  });

  it('values below a millisecond (read as 0) add under 1 ms to the bucket error', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.double({ min: 0, max: 0.999, noNaN: true }), fc.integer({ min: 1, max: 1e6 })), { minLength: 1, maxLength: 100 }),
      fc.constantFrom(0.5, 0.9, 0.95), (values, q) => {
        const h = new Map<number, number>();
        for (const v of values) h.set(bucketOf(v), (h.get(bucketOf(v)) ?? 0) + 1);
        const exact = exactCont(values, q);
        expect(Math.abs(quantileMs(h, q)! - exact)).toBeLessThanOrEqual(exact * MAX_RELATIVE_ERROR + 1 + 1e-9);
      }));
  });

  it('interpolates between neighbouring ranks like percentile_cont (two values: the median is their mean)', () => {
    const h = new Map([[bucketOf(1000), 1], [bucketOf(3000), 1]]);
    const mid = (representativeMs(bucketOf(1000)) + representativeMs(bucketOf(3000))) / 2;
    expect(quantileMs(h, 0.5)).toBeCloseTo(mid, 9);
    expect(Math.abs(mid - 2000) / 2000).toBeLessThanOrEqual(MAX_RELATIVE_ERROR);
    expect(quantileMs(new Map(), 0.5)).toBeNull();
  });

  it('summarise agrees with quantileMs for every percentile; its maximum is never under the mean, nor further from the true one', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 2, maxLength: 200 }), (values) => {
      const h = new Map<number, number>();
      for (const v of values) h.set(bucketOf(v), (h.get(bucketOf(v)) ?? 0) + 1);
      const sum = values.reduce((a, b) => a + b, 0);
      const s = summarise(h, values.length, sum);
      const sec = (ms: number | null) => (ms === null ? null : Math.round(ms) / 1000);
      expect([s.p50Seconds, s.p90Seconds, s.p95Seconds]).toEqual([0.5, 0.9, 0.95].map((q) => sec(quantileMs(h, q))));
      expect(s.maxSeconds).toBe(sec(Math.max(quantileMs(h, 1)!, sum / values.length)));
      expect(s.maxSeconds!).toBeGreaterThanOrEqual(s.meanSeconds!);
      const trueMax = Math.max(...values);
      expect(Math.abs(s.maxSeconds! * 1000 - trueMax)).toBeLessThanOrEqual(MAX_RELATIVE_ERROR * trueMax + 0.5);
    }));
  });

  it('one duration is summarised exactly: every percentile and the maximum are the value itself', () => {
    for (const ms of [0, 1, 10_485, 10_560, 18_633, 4 * 3600e3 + 7]) {
      const s = summarise(new Map([[bucketOf(ms), 1]]), 1, ms);
      const v = Math.round(ms) / 1000;
      expect(s).toEqual({ count: 1, meanSeconds: v, p50Seconds: v, p90Seconds: v, p95Seconds: v, maxSeconds: v });
    }
  });

  it('summarises an empty histogram as nulls with count 0', () => {
    expect(summarise(new Map(), 0, 0)).toEqual({ count: 0, meanSeconds: null, p50Seconds: null, p90Seconds: null, p95Seconds: null, maxSeconds: null });
  });

  it('HistogramMerger: merged pair lists summarise like one histogram, and a reused merger starts clean', () => {
    const merger = new HistogramMerger();
    const toPairs = (values: number[]): number[] => {
      const h = new Map<number, number>();
      for (const v of values) h.set(bucketOf(v), (h.get(bucketOf(v)) ?? 0) + 1);
      return [...h].sort((a, b) => a[0] - b[0]).flat();
    };
    fc.assert(fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 1e9 }), { maxLength: 60 }), { minLength: 1, maxLength: 6 }), (parts) => {
      const all = parts.flat();
      const h = new Map<number, number>();
      for (const v of all) h.set(bucketOf(v), (h.get(bucketOf(v)) ?? 0) + 1);
      const sum = all.reduce((a, b) => a + b, 0);
      // Twice through the same merger: the second result must not carry counts from the first.
      expect(merger.summarise(parts.map(toPairs), all.length, sum)).toEqual(summarise(h, all.length, sum));
      expect(merger.summarise(parts.map(toPairs), all.length, sum)).toEqual(summarise(h, all.length, sum));
    }));
    expect(merger.summarise([], 0, 0)).toEqual({ count: 0, meanSeconds: null, p50Seconds: null, p90Seconds: null, p95Seconds: null, maxSeconds: null });
  });
});
