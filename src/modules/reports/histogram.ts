/**
 * Log-scale duration histograms (对数分桶). A duration of v milliseconds falls in bucket
 * 0 when v < 1 ms (reported as 0), else in bucket k = 1 + ceil(ln v / ln γ), covering (γ^(k-2), γ^(k-1)].
 * The representative 2·γ^(k-1)/(γ+1) is within (γ−1)/(γ+1) of every value in the bucket:
 * with γ = 1.02 that is 0.990 %, below the promised 1 % (docs/reports.md).
 */
export const GAMMA = 1.02;
export const MAX_RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1);
const LN_GAMMA = Math.log(GAMMA);
export const MAX_BUCKET = 2047;

export function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  // The tiny epsilon keeps exact powers of γ in their own bucket despite floating-point noise.
  // Capped at 2047 (about 10^17 ms): no real span comes near it, and readers size their arrays by it.
  return Math.min(MAX_BUCKET, 1 + Math.max(0, Math.ceil(Math.log(ms) / LN_GAMMA - 1e-9)));
}

export function representativeMs(bucket: number): number {
  if (bucket <= 0) return 0;
  if (bucket === 1) return 1;
  return (2 * Math.pow(GAMMA, bucket - 1)) / (GAMMA + 1);
}

/** Sparse histogram: bucket → count. */
export type Histogram = Map<number, number>;

export interface DurationSummary {
  count: number;
  meanSeconds: number | null;
  p50Seconds: number | null;
  p90Seconds: number | null;
  p95Seconds: number | null;
  maxSeconds: number | null;
}

/**
 * Nearest-rank quantile (like `percentile_disc`): the smallest value with at least ⌈q·n⌉ values at or
 * below it, reported as its bucket's representative.
 */
export function quantileMs(h: Histogram, q: number): number | null {
  let total = 0;
  for (const n of h.values()) total += n;
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const b of [...h.keys()].sort((a, c) => a - c)) {
    seen += h.get(b)!;
    if (seen >= rank) return representativeMs(b);
  }
  return null;
}

/** A histogram as a dense array of bucket counts, with the highest non-empty bucket (−1 when empty). */
export interface DenseHistogram {
  counts: Float64Array;
  top: number;
}

export function toDense(h: Histogram): DenseHistogram {
  const counts = new Float64Array(MAX_BUCKET + 1);
  let top = -1;
  for (const [b, n] of h) {
    counts[b]! += n;
    if (n !== 0 && b > top) top = b;
  }
  return { counts, top };
}

export function summarise(h: Histogram | DenseHistogram, count: number, sumMs: number): DurationSummary {
  const { counts, top } = h instanceof Map ? toDense(h) : h;
  return summariseRange(counts, 0, top, count, sumMs);
}

/**
 * Sums sparse histograms (flat `[bucket, count, …]` pairs, as stored in `report_rollup.hist`) into one reusable
 * dense buffer and summarises them. One instance per report keeps a report free of per-group allocations.
 */
export class HistogramMerger {
  private readonly counts = new Float64Array(MAX_BUCKET + 1);

  summarise(pairLists: ReadonlyArray<ReadonlyArray<number>>, count: number, sumMs: number): DurationSummary {
    const counts = this.counts;
    let lo = MAX_BUCKET + 1;
    let hi = -1;
    for (const pairs of pairLists) {
      for (let j = 0; j + 1 < pairs.length; j += 2) {
        const b = pairs[j]!;
        if (!(b >= 0 && b <= MAX_BUCKET)) continue; // never written by the fold; ignored rather than corrupting the buffer
        counts[b]! += pairs[j + 1]!;
        if (b < lo) lo = b;
        if (b > hi) hi = b;
      }
    }
    const s = summariseRange(counts, lo, hi, count, sumMs);
    if (hi >= lo) counts.fill(0, lo, hi + 1);
    return s;
  }
}

function summariseRange(counts: Float64Array, lo: number, top: number, count: number, sumMs: number): DurationSummary {
  const sec = (ms: number | null): number | null => (ms === null ? null : Math.round(ms) / 1000);
  let total = 0;
  for (let b = lo; b <= top; b++) total += counts[b]!;
  // One pass for all quantiles (the nearest-rank rule of quantileMs), stopping at p95; max is the top non-empty bucket.
  const r50 = Math.max(1, Math.ceil(0.5 * total));
  const r90 = Math.max(1, Math.ceil(0.9 * total));
  const r95 = Math.max(1, Math.ceil(0.95 * total));
  let p50: number | null = null;
  let p90: number | null = null;
  let p95: number | null = null;
  let seen = 0;
  for (let b = lo; b <= top && total > 0 && p95 === null; b++) {
    const n = counts[b]!;
    if (n <= 0) continue;
    seen += n;
    if (p50 === null && seen >= r50) p50 = representativeMs(b);
    if (p90 === null && seen >= r90) p90 = representativeMs(b);
    if (seen >= r95) p95 = representativeMs(b);
  }
  let max = total > 0 ? top : -1;
  while (max >= lo && !(counts[max]! > 0)) max--;
  return {
    count,
    meanSeconds: count > 0 ? Math.round(sumMs / count) / 1000 : null,
    p50Seconds: sec(p50),
    p90Seconds: sec(p90),
    p95Seconds: sec(p95),
    maxSeconds: max >= lo && max >= 0 ? sec(representativeMs(max)) : null,
  };
}
