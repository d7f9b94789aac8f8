import { elapsedBusinessSeconds, resolveCalendar, CN_NATIONAL_2025_2026 } from '../../libs/sla-calendar';
import type { PlannedTicket } from './reports-history';

const cal = resolveCalendar([CN_NATIONAL_2025_2026]);

export interface OracleGroup {
  filed: number; valid: number; dispatched: number; returned: number; returns: number; resolved: number; resolvedOnTime: number;
  closed: number; closedOnTime: number; reworked: number; extended: number; callbacks: number; contacted: number; cbResolved: number;
  satisfied: number; basically: number; dissatisfied: number; overdueOpen: number;
  unitDispatched: number; unitReturned: number;
  durations: number[][];
}

export interface OracleOptions {
  /** Grouped by unit: each unit a ticket was dispatched to gets its per-unit counters in its own group. */
  byUnit?: boolean;
  /** Filtered by this unit: tickets now at it, and the per-unit counters of every ticket dispatched to it. */
  unit?: string;
}

/** A ticket's street (3 path levels): the default grouping. */
export const byStreet = (p: PlannedTicket): string => p.gridPath.split('.').slice(0, 3).join('.');

/** Brute force over the planned histories: what every report should say, grouped by street unless told otherwise. */
export function oracle(plans: PlannedTicket[], nowMs: number, groupOf: (p: PlannedTicket) => string = byStreet, opts: OracleOptions = {}): Map<string, OracleGroup> {
  const out = new Map<string, OracleGroup>();
  const groupNamed = (group: string): OracleGroup => {
    const g = out.get(group) ?? {
      filed: 0, valid: 0, dispatched: 0, returned: 0, returns: 0, resolved: 0, resolvedOnTime: 0, closed: 0, closedOnTime: 0, reworked: 0,
      extended: 0, callbacks: 0, contacted: 0, cbResolved: 0, satisfied: 0, basically: 0, dissatisfied: 0, overdueOpen: 0,
      unitDispatched: 0, unitReturned: 0, durations: Array.from({ length: 8 }, () => [] as number[]),
    };
    out.set(group, g);
    return g;
  };
  for (const p of plans) {
    const t = p.truth;
    if (t.merged) continue;
    // Per-unit counters: under every unit the ticket was dispatched to (its current unit's with the rest of it).
    for (const u of t.unitsDispatched) {
      if (u === p.unitId || (opts.unit !== undefined && u !== opts.unit)) continue;
      const c = groupNamed(opts.byUnit ? u : groupOf(p));
      c.unitDispatched += 1;
      if (t.unitsReturned.includes(u)) c.unitReturned += 1;
    }
    if (opts.unit !== undefined && p.unitId !== opts.unit) continue;
    const g = groupNamed(groupOf(p));
    if (p.unitId !== null && t.unitsDispatched.includes(p.unitId)) g.unitDispatched += 1;
    if (p.unitId !== null && t.unitsReturned.includes(p.unitId)) g.unitReturned += 1;
    const filedAt = p.events[0]!.atMs;
    g.filed += 1;
    if (t.valid) g.valid += 1;
    if (t.dispatchAt !== null) g.dispatched += 1;
    g.returns += t.returns;
    if (t.returns > 0) g.returned += 1;
    const onTime = t.lastResolveAt !== null && (p.deadlineMs === null || t.lastResolveAt <= p.deadlineMs);
    if (t.lastResolveAt !== null) g.resolved += 1;
    if (onTime) g.resolvedOnTime += 1;
    if (t.closedAt !== null) { g.closed += 1; if (onTime) g.closedOnTime += 1; }
    if (t.reworked) g.reworked += 1;
    if (t.extended) g.extended += 1;
    if (p.callback) {
      g.callbacks += 1;
      if (p.callback.contacted) {
        g.contacted += 1;
        if (p.callback.resolved) g.cbResolved += 1;
        if (p.callback.satisfaction === 'satisfied') g.satisfied += 1;
        if (p.callback.satisfaction === 'basically_satisfied') g.basically += 1;
        if (p.callback.satisfaction === 'dissatisfied') g.dissatisfied += 1;
      }
    }
    const open = !['closed', 'archived', 'voided', 'cancelled'].includes(t.status);
    // Late: past the deadline and not resolved by it (resolved on time and waiting for verification is not late).
    if (open && p.deadlineMs !== null && p.deadlineMs < nowMs && !onTime) g.overdueOpen += 1;
    const spans: Array<[number | null, number | null]> = [[filedAt, t.dispatchAt], [t.dispatchAt, t.signAt], [t.dispatchAt, t.firstResolveAt], [filedAt, t.closedAt]];
    spans.forEach(([a, b], i) => {
      if (a === null || b === null) return;
      g.durations[i]!.push(b - a);
      // Business time leaves suspensions out (挂起), as the SLA clocks do; natural time keeps them.
      const pauses = t.pauses.map(([from, to]) => ({ from: new Date(from), to: new Date(to) }));
      g.durations[i + 4]!.push(Math.round(elapsedBusinessSeconds(cal, new Date(a), new Date(b), 'working_hours', pauses) * 1000));
    });
  }
  return out;
}

/** Quantile of exact values as `percentile_cont` defines it: position q·(n−1) of the sorted values, interpolated. */
export function exactQuantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const below = s[Math.floor(pos)]!;
  return below + (pos - Math.floor(pos)) * (s[Math.ceil(pos)]! - below);
}
