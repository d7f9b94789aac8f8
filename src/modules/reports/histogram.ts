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
 * Continuous quantile, as `percentile_cont` defines it: the value at position q·(n−1) of the sorted values,
 * interpolated linearly between the two values either side of it. Each of those is read as its bucket's
 * representative, within MAX_RELATIVE_ERROR of the true value, so the interpolation is too (a convex mix of two
 * values each within ε is within ε of the mix) — plus under 1 ms where values below 1 ms (bucket 0, read as 0)
 * take part.
 */
export function quantileMs(h: Histogram | DenseHistogram, q: number): number | null {
  const { counts, top } = h instanceof Map ? toDense(h) : h;
  return quantilesOf(counts, 0, top, totalOf(counts, 0, top), [q])[0]!;
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

function totalOf(counts: Float64Array, lo: number, top: number): number {
  let total = 0;
  for (let b = lo; b <= top; b++) total += counts[b]!;
  return total;
}

/**
 * `percentile_cont` of each of `qs` (ascending) in one pass over the buckets: the representatives at the ranks
 * ⌊q·(n−1)⌋ and ⌈q·(n−1)⌉ (0-based), interpolated. Null for an empty histogram.
 */
function quantilesOf(counts: Float64Array, lo: number, top: number, total: number, qs: readonly number[]): Array<number | null> {
  if (!(total > 0)) return qs.map(() => null);
  // Ranks are not ascending across quantiles (⌈·⌉ of one may pass ⌊·⌋ of the next): walk them sorted, once each.
  const ranks = [...new Set(qs.flatMap((q) => [Math.floor(q * (total - 1)), Math.ceil(q * (total - 1))]))].sort((a, b) => a - b);
  const at = new Map<number, number>();
  let k = 0;
  let seen = 0;
  for (let b = lo; b <= top && k < ranks.length; b++) {
    const n = counts[b]!;
    if (!(n > 0)) continue;
    seen += n;
    // Ranks are 0-based: this bucket holds ranks seen − n … seen − 1.
    while (k < ranks.length && ranks[k]! < seen) at.set(ranks[k++]!, representativeMs(b));
  }
  return qs.map((q) => {
    const pos = q * (total - 1);
    const below = at.get(Math.floor(pos))!;
    return below + (pos - Math.floor(pos)) * (at.get(Math.ceil(pos))! - below);
  });
}

function summariseRange(counts: Float64Array, lo: number, top: number, count: number, sumMs: number): DurationSummary {
  const sec = (ms: number | null): number | null => (ms === null ? null : Math.round(ms) / 1000);
  const total = totalOf(counts, lo, top);
  const [p50, p90, p95] = quantilesOf(counts, lo, top, total, [0.5, 0.9, 0.95]);
  let max = total > 0 ? top : -1;
  while (max >= lo && !(counts[max]! > 0)) max--;
  const meanMs = count > 0 ? sumMs / count : null;
  // One duration: the sum is it, exactly; every percentile and the maximum are that value, not its bucket's.
  if (count === 1 && total === 1) return { count, meanSeconds: sec(sumMs), p50Seconds: sec(sumMs), p90Seconds: sec(sumMs), p95Seconds: sec(sumMs), maxSeconds: sec(sumMs) };
  // The maximum is at least the mean (exact, from the sum): a top bucket's representative below it is raised to it,
  // which only brings it nearer the true maximum (an official never reads a maximum under the mean).
  const maxMs = max >= lo && max >= 0 ? Math.max(representativeMs(max), meanMs ?? 0) : null;
  return {
    count,
    meanSeconds: meanMs === null ? null : sec(meanMs),
    p50Seconds: sec(p50!),
    p90Seconds: sec(p90!),
    p95Seconds: sec(p95!),
    maxSeconds: sec(maxMs),
  };
}
