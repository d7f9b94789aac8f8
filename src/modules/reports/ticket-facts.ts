import { elapsedBusinessSeconds, toShanghaiDate, type ClockPause, type ResolvedCalendar } from '../../../libs/sla-calendar';
import { bucketOf } from './histogram';
import type { RollupKey } from './grains';
import { DURATION_METRICS, zeroCounts, type Counts } from './report-metrics';

/** One event of a ticket's log, as the fold reads it. */
export interface FactEvent {
  action: string;
  to: string;
  at: Date;
  data: Record<string, unknown>;
}

export interface FactTicket {
  platform: string;
  categoryCode: string;
  channel: string;
  gridPath: string;
  unitId: string | null;
  /** Latest callback result (回访) as recorded on the ticket. */
  callback: { contacted?: boolean; resolved?: boolean | null; satisfaction?: string | null } | null;
}

/** The latest resolve/mediation clock (处置时限), if any. */
export interface FactClock {
  startedAt: Date;
  deadline: Date | null;
}

export type { RollupKey } from './grains';

/** What one ticket adds to the rollup: its key, its counters, and up to eight durations. */
export interface Contribution {
  key: RollupKey;
  counts: Counts;
  /** Milliseconds per metric (DURATION_METRICS order), null when the ticket has no such span. */
  durationsMs: Array<number | null>;
  /**
   * The units it was dispatched to besides its current one: each adds `unit_dispatched` (and `unit_returned` when it
   * sent the ticket back) under the ticket's key with that unit instead of the current one.
   */
  credits: UnitCredit[];
}

export interface UnitCredit {
  unitId: string;
  counts: Pick<Counts, 'unit_dispatched' | 'unit_returned'>;
}

/** The actions that hand a ticket to the unit named in the event (`data.unitId`); `review-return` only with one. */
const TO_UNIT = new Set(['dispatch', 'reassign', 'review-return', 'claim']);

export interface TicketFacts {
  /** Null for a merged duplicate: the parent counts once (并单). */
  contribution: Contribution | null;
  open: boolean;
  filedAt: Date;
  /**
   * When it stopped being open: the event that put it in a terminal state (closed, archived, voided, cancelled,
   * merged; no action leaves one). Null while open. The backlog's 环比 / 同比 count the tickets open at an instant.
   */
  endedAt: Date | null;
  resolveStartedAt: Date | null;
  resolveDeadline: Date | null;
}

/** Rollups keep grid paths down to the grid level (city.district.street.community.grid). */
export const ROLLUP_PATH_DEPTH = 5;
const TERMINAL = new Set(['closed', 'archived', 'voided', 'cancelled', 'merged']);
const COMPLETED = new Set(['closed', 'archived']);

export function rollupPath(gridPath: string): string {
  return gridPath.split('.').slice(0, ROLLUP_PATH_DEPTH).join('.');
}

/**
 * A ticket's report facts, derived from its event log (and its latest callback and resolve clock).
 * Pure: the property test recomputes every report from these definitions by brute force.
 * See docs/reports.md for each definition.
 */
export function ticketFacts(events: readonly FactEvent[], t: FactTicket, clock: FactClock | null, cal: ResolvedCalendar): TicketFacts {
  if (events.length === 0) throw new Error('a ticket has at least its filing event');
  const filedAt = events[0]!.at;
  const status = events[events.length - 1]!.to;
  const endedAt = TERMINAL.has(status) ? events.find((e) => TERMINAL.has(e.to))!.at : null;
  const base = { open: endedAt === null, filedAt, endedAt, resolveStartedAt: clock?.startedAt ?? null, resolveDeadline: clock?.deadline ?? null };
  if (status === 'merged') return { ...base, open: false, contribution: null };

  let dispatchAt: Date | null = null;
  let signAt: Date | null = null;
  let firstResolveAt: Date | null = null;
  let lastResolveAt: Date | null = null;
  let closedAt: Date | null = null;
  let returns = 0;
  let reworked = false;
  let extended = false;
  let callbackSeen = false;
  // The unit holding the ticket after each event, every unit it was handed to, and those that sent it back. An event
  // without `data.unitId` (a claim before claims recorded it) is taken as handing it to its current unit.
  let unit: string | null = null;
  const dispatchedTo = new Set<string>();
  const returnedBy = new Set<string>();
  // Suspensions (挂起): from the event that put the ticket in `suspended` to the one that took it out. Business time
  // leaves them out, as the SLA clocks do; natural time keeps them.
  const pauses: ClockPause[] = [];
  for (const e of events) {
    const paused = pauses[pauses.length - 1];
    if (e.to === 'suspended' && (!paused || paused.to !== null)) pauses.push({ from: e.at, to: null });
    else if (e.to !== 'suspended' && paused && paused.to === null) paused.to = e.at;
    if (TO_UNIT.has(e.action) && (e.action !== 'review-return' || typeof e.data.unitId === 'string')) {
      unit = typeof e.data.unitId === 'string' ? e.data.unitId : t.unitId;
      if (unit !== null) dispatchedTo.add(unit);
    } else if (e.action === 'return-to-pool' || (e.action === 'review-return' && e.to === 'registered')) {
      unit = null;
    }
    if (e.action === 'return' && unit !== null) returnedBy.add(unit);
    // PB volunteers claim (认领) instead of dispatch + sign: the claim is both.
    if (!dispatchAt && (e.to === 'dispatched' || e.action === 'claim')) dispatchAt = e.at;
    if (dispatchAt && !signAt && (e.action === 'sign' || e.action === 'claim')) signAt = e.at;
    if (e.to === 'resolved' && e.action !== 'parent-closed') {
      if (dispatchAt && !firstResolveAt) firstResolveAt = e.at;
      lastResolveAt = e.at;
    }
    if (COMPLETED.has(e.to)) closedAt = e.at;
    if (e.action === 'return') returns += 1;
    if (e.data.reopen) reworked = true;
    if (typeof e.data.extensionGranted === 'number' && e.data.extensionGranted > 0) extended = true;
    if (e.action === 'callback') callbackSeen = true;
  }

  const c: Counts = zeroCounts();
  c.filed = 1;
  c.valid = status === 'voided' || status === 'cancelled' ? 0 : 1;
  c.dispatched = dispatchAt ? 1 : 0;
  c.returns = returns;
  c.returned = returns > 0 ? 1 : 0;
  c.resolved = lastResolveAt ? 1 : 0;
  const onTime = lastResolveAt !== null && (!clock?.deadline || lastResolveAt.getTime() <= clock.deadline.getTime());
  c.resolved_on_time = onTime ? 1 : 0;
  c.closed = COMPLETED.has(status) ? 1 : 0;
  c.closed_on_time = c.closed && onTime ? 1 : 0;
  c.unit_dispatched = t.unitId !== null && dispatchedTo.has(t.unitId) ? 1 : 0;
  c.unit_returned = t.unitId !== null && returnedBy.has(t.unitId) ? 1 : 0;
  const credits: UnitCredit[] = [...dispatchedTo].filter((u) => u !== t.unitId).sort()
    .map((u) => ({ unitId: u, counts: { unit_dispatched: 1, unit_returned: returnedBy.has(u) ? 1 : 0 } }));
  c.reworked = reworked ? 1 : 0;
  c.extended = extended ? 1 : 0;
  if (callbackSeen && t.callback) {
    c.callbacks = 1;
    c.contacted = t.callback.contacted ? 1 : 0;
    c.cb_resolved = t.callback.contacted && t.callback.resolved ? 1 : 0;
    c.satisfied = t.callback.contacted && t.callback.satisfaction === 'satisfied' ? 1 : 0;
    c.basically = t.callback.contacted && t.callback.satisfaction === 'basically_satisfied' ? 1 : 0;
    c.dissatisfied = t.callback.contacted && t.callback.satisfaction === 'dissatisfied' ? 1 : 0;
  }

  const span = (a: Date | null, b: Date | null): number | null => (a && b ? Math.max(0, b.getTime() - a.getTime()) : null);
  const business = (a: Date | null, b: Date | null): number | null =>
    a && b ? Math.max(0, Math.round(elapsedBusinessSeconds(cal, a, b, 'working_hours', pauses) * 1000)) : null;
  const pairs: Array<[Date | null, Date | null]> = [[filedAt, dispatchAt], [dispatchAt, signAt], [dispatchAt, firstResolveAt], [filedAt, closedAt]];
  const durationsMs = [...pairs.map(([a, b]) => span(a, b)), ...pairs.map(([a, b]) => business(a, b))];
  if (durationsMs.length !== DURATION_METRICS.length) throw new Error('duration metrics out of step');

  return {
    ...base,
    contribution: {
      key: {
        grain: 'day', day: toShanghaiDate(filedAt), path: rollupPath(t.gridPath), unitId: t.unitId,
        platform: t.platform, categoryCode: t.categoryCode, channel: t.channel,
      },
      counts: c,
      durationsMs,
      credits,
    },
  };
}

/** The day key a unit credit counts under: the ticket's own, with the credited unit. */
export function creditKey(k: RollupKey, unitId: string): RollupKey {
  return { ...k, unitId };
}

export function keyString(k: RollupKey): string {
  return [k.grain, k.day, k.path, k.unitId ?? '', k.platform, k.categoryCode, k.channel].join('|');
}

/** Histogram buckets of a contribution: [metric, bucket] pairs. */
export function bucketsOf(c: Contribution): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  c.durationsMs.forEach((ms, metric) => { if (ms !== null) out.push([metric, bucketOf(ms)]); });
  return out;
}
