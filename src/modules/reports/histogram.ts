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
  const sec = (ms: number | null): number | null => (ms === null ? null : Math.round(ms) / 1000);
  let total = 0;
  for (let b = 0; b <= top; b++) total += counts[b]!;
  // One pass for all quantiles (the nearest-rank rule of quantileMs).
  const ranks = [0.5, 0.9, 0.95].map((q) => Math.max(1, Math.ceil(q * total)));
  const found: Array<number | null> = [null, null, null];
  let seen = 0;
  let max: number | null = null;
  for (let b = 0; b <= top && total > 0; b++) {
    const n = counts[b]!;
    if (n <= 0) continue;
    seen += n;
    max = b;
    for (let i = 0; i < ranks.length; i++) if (found[i] === null && seen >= ranks[i]!) found[i] = representativeMs(b);
  }
  return {
    count,
    meanSeconds: count > 0 ? Math.round(sumMs / count) / 1000 : null,
    p50Seconds: sec(found[0]!),
    p90Seconds: sec(found[1]!),
    p95Seconds: sec(found[2]!),
    maxSeconds: max === null ? null : sec(representativeMs(max)),
  };
}
