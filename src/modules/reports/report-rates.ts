import type { Counts } from './report-metrics';

/** Composite-score configuration of one evaluation period (考核期), from `report_score_versions`. */
export interface ScoreVersion {
  effectiveFrom: string;
  weights: Partial<Record<RateName, number>>;
  basicSatisfiedWeight: number;
  redBelow: number;
  commendFrom: number;
}

export const RATE_NAMES = [
  'closeRate', 'onTimeCloseRate', 'onTimeResolveRate', 'reworkRate', 'extensionRate', 'returnRate', 'accurateDispatchRate',
  'responseRate', 'solveRate', 'satisfactionRate',
] as const;
export type RateName = (typeof RATE_NAMES)[number];
/** Rates where lower is better: the score uses 1 − rate. */
const LOWER_IS_BETTER = new Set<RateName>(['reworkRate', 'extensionRate', 'returnRate']);

export type Rates = Record<RateName, number | null> & { score: number | null };

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/**
 * Every rate of SPEC §8 from exact counts; `overdueOpen` is the number of open tickets past their resolve
 * deadline (they are due to close but are not closed). `perUnit` (the report groups or filters by unit): 退单率 and
 * 准确派遣率 count each unit's own dispatches — of the tickets dispatched to the unit, how many it sent back — instead
 * of the tickets now at the unit. Formulas: docs/reports.md.
 */
export function computeRates(c: Counts, overdueOpen: number, v: Pick<ScoreVersion, 'weights' | 'basicSatisfiedWeight'>, perUnit = false): Rates {
  const rated = c.satisfied + c.basically + c.dissatisfied;
  const [dispatched, returned] = perUnit ? [c.unit_dispatched, c.unit_returned] : [c.dispatched, c.returned];
  const rates: Record<RateName, number | null> = {
    closeRate: ratio(c.closed, c.valid), // 结案率
    onTimeCloseRate: ratio(c.closed_on_time, c.closed + overdueOpen), // 按期结案率
    onTimeResolveRate: ratio(c.resolved_on_time, c.resolved), // 按期处置率
    reworkRate: ratio(c.reworked, c.resolved), // 返工率
    extensionRate: ratio(c.extended, c.dispatched), // 延期率
    returnRate: ratio(returned, dispatched), // 退单率
    accurateDispatchRate: ratio(dispatched - returned, dispatched), // 准确派遣率
    responseRate: ratio(c.contacted, c.callbacks), // 响应率
    solveRate: ratio(c.cb_resolved, c.contacted), // 解决率
    satisfactionRate: rated > 0 ? (c.satisfied + v.basicSatisfiedWeight * c.basically) / rated : null, // 满意率
  };
  let weighted = 0;
  let weights = 0;
  for (const name of RATE_NAMES) {
    const w = v.weights[name] ?? 0;
    const r = rates[name];
    if (w <= 0 || r === null) continue;
    weighted += w * (LOWER_IS_BETTER.has(name) ? 1 - r : r);
    weights += w;
  }
  return { ...rates, score: weights > 0 ? (100 * weighted) / weights : null };
}

/** Naming lists (通报 / 表扬) by the period's thresholds. */
export function namingList(score: number | null, v: Pick<ScoreVersion, 'redBelow' | 'commendFrom'>): 'red' | 'commended' | null {
  if (score === null) return null;
  if (score < v.redBelow) return 'red';
  if (score >= v.commendFrom) return 'commended';
  return null;
}
