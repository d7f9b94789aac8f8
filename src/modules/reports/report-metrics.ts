/** The eight duration metrics (时长指标), in the order of the rollup arrays and histograms. */
export const DURATION_METRICS = [
  'fileToDispatch', 'dispatchToSign', 'dispatchToResolve', 'fileToClose',
  'fileToDispatchBusiness', 'dispatchToSignBusiness', 'dispatchToResolveBusiness', 'fileToCloseBusiness',
] as const;
export type DurationMetric = (typeof DURATION_METRICS)[number];

/**
 * Counters of one ticket's contribution (each 0/1 except `returns`), in `report_rollup` column order.
 * `unit_dispatched` / `unit_returned` count per handling unit: a ticket adds them under every unit it was dispatched
 * to (or claimed by), 1 and whether that unit sent it back, so the views by unit can say how many tickets each unit
 * itself returned; the other counters count under the ticket's current unit only.
 */
export const COUNTERS = [
  'filed', 'valid', 'dispatched', 'returned', 'returns', 'resolved', 'resolved_on_time', 'closed', 'closed_on_time',
  'reworked', 'extended', 'callbacks', 'contacted', 'cb_resolved', 'satisfied', 'basically', 'dissatisfied',
  'unit_dispatched', 'unit_returned',
] as const;
export type Counter = (typeof COUNTERS)[number];

export type Counts = Record<Counter, number>;

export function zeroCounts(): Counts {
  // A literal rather than Object.fromEntries: the fold calls this for every ticket and rollup row.
  return {
    filed: 0, valid: 0, dispatched: 0, returned: 0, returns: 0, resolved: 0, resolved_on_time: 0, closed: 0, closed_on_time: 0,
    reworked: 0, extended: 0, callbacks: 0, contacted: 0, cb_resolved: 0, satisfied: 0, basically: 0, dissatisfied: 0,
    unit_dispatched: 0, unit_returned: 0,
  };
}
