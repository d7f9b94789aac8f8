import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ResolvedCalendar } from '../../../libs/sla-calendar';
import { SlaCalendars } from '../sla/sla-calendars.service';
import { blamesTicket, massFailure, quarantineError, sqlState } from './fold-quarantine';
import { COUNTERS, DURATION_METRICS, zeroCounts } from './report-metrics';
import { ReportErrorCode, ReportException } from './reports.exception';
import { RollupRepository, type CursorPosition, type FactRow, type FoldBatch, type FoldTicket, type StoredContribution } from './rollup.repository';
import { coarseKeys } from './grains';
import { bucketsOf, creditKey, keyString, ticketFacts, type RollupKey, type TicketFacts } from './ticket-facts';

export interface FoldResult {
  events: number;
  tickets: number;
  /** Tickets of the batch put (or kept) in the quarantine. */
  quarantined: number;
  /** True when the batch was full, so more events may be waiting. */
  more: boolean;
}

/** A ticket the fold could not refold, and why (docs/reports.md, "Poison tickets"). */
export interface QuarantinedTicket {
  ticketId: string;
  error: string;
}

/** What a refold did: the tickets written, and those quarantined (with their attempts so far). */
export interface RefoldOutcome {
  refolded: string[];
  quarantined: Array<QuarantinedTicket & { attempts: number }>;
}

/** A ticket's new facts, ready to be written; `newKeys` and `oldCoarse` are key strings of `Prepared.keysOf`. */
interface Computed {
  t: FoldTicket;
  f: TicketFacts;
  contrib: StoredContribution | null;
  /** Its new day key and its coarse keys (none for a merged duplicate). */
  newKeys: string[];
  /** The coarse keys of its old contribution, derived from the stored day key (they are not stored in its facts). */
  oldCoarse: string[];
  /** Per unit credit (`contrib.credits` order): its day key and coarse keys, new and old. */
  newCredits: string[][];
  oldCredits: string[][];
  /**
   * Its contribution and day key are what is stored already (an event that changes no figure: 督办, a 催办 firing, a
   * note): no rollup row is read or rewritten for it, only its facts (open, resolve deadline) are written.
   */
  unchanged: boolean;
}

interface Prepared {
  ready: Computed[];
  failed: QuarantinedTicket[];
  keysOf: Map<string, RollupKey>;
}

class FoldHaltedError extends Error {
  override readonly name = 'FoldHaltedError';
}

/** The retry endpoint's refolds wait this long for the cursor lock (a batch being folded), then answer 503. */
const RETRY_LOCK_WAIT_MS = 20_000;
const RETRY_CHUNK = 500;

/**
 * Folds new ticket events into the report rollups. For each ticket touched by a new event it recomputes the
 * ticket's facts from its whole log, removes the old contribution and adds the new one — so a fold applied
 * twice, or a ticket seen in two batches, gives the same rollup (idempotent, order-independent).
 * A ticket that cannot be refolded is quarantined rather than holding the cursor (docs/reports.md, "Poison tickets").
 */
@Injectable()
export class RollupService {
  private readonly logger = new Logger('ReportFold');

  constructor(private readonly repo: RollupRepository, private readonly calendars: SlaCalendars) {}

  /**
   * One batch. `wait` false: return at once when another worker is folding. When the batch's transaction fails for
   * a reason that may be one ticket's (a database refusal of its rows), the same batch is folded again once, each
   * ticket in a savepoint of its own, and the tickets that still fail are quarantined.
   */
  async foldOnce(batchEvents = 5000, wait = false): Promise<FoldResult> {
    const none = { events: 0, tickets: 0, quarantined: 0, more: false };
    const taken: { from?: CursorPosition; batch?: FoldBatch } = {};
    let outcome: RefoldOutcome | null;
    try {
      outcome = await this.repo.transaction(async (m) => {
        const lock = await this.repo.lockCursor(m, wait);
        if (!lock) return null;
        const batch = await this.repo.nextBatch(lock.horizon, batchEvents, lock.cursor);
        if (batch.events === 0 || !batch.end) return null;
        Object.assign(taken, { from: lock.cursor, batch });
        const r = await this.refold(m, batch.ticketIds, true);
        await this.repo.advanceCursor(m, batch.end.at, batch.end.id, batch.events);
        return r;
      });
    } catch (err) {
      const { from, batch } = taken;
      const end = batch?.end;
      if (!from || !batch || !end || err instanceof FoldHaltedError || !blamesTicket(err)) throw err;
      this.logger.warn(`a report fold batch of ${batch.ticketIds.length} tickets failed, folding it again ticket by ticket: ${quarantineError(err)}`);
      outcome = await this.repo.transaction(async (m) => {
        const lock = await this.repo.lockCursor(m, wait);
        // Another folder took the lock meanwhile and dealt with this batch: carry on from where it left the cursor.
        if (!lock || lock.cursor.at !== from.at || lock.cursor.id !== from.id) return null;
        const r = await this.refoldCarefully(m, batch.ticketIds, true);
        await this.repo.advanceCursor(m, end.at, end.id, batch.events);
        return r;
      });
      if (!outcome) return { ...none, more: true };
    }
    const { batch } = taken;
    if (!outcome || !batch) return none;
    this.logQuarantined(outcome);
    return { events: batch.events, tickets: batch.ticketIds.length, quarantined: outcome.quarantined.length, more: batch.events >= batchEvents };
  }

  /**
   * Folds until caught up (or `maxBatches`, or past `budgetMs`); used by the job and by the benchmark's bulk build.
   * With `growTo`, a batch that came back full (a backlog: after an outage, or a migration that rewound the fold)
   * doubles the next one up to `growTo` events: each batch rewrites the coarse rows it touches, so small batches
   * catch up a backlog of millions of events far more slowly than big ones (docs/reports.md).
   */
  async catchUp(maxBatches = 1000, batchEvents = 5000, onBatch?: (eventsSoFar: number) => void, opts: { growTo?: number; budgetMs?: number } = {}):
  Promise<{ events: number; batches: number; quarantined: number }> {
    const started = Date.now();
    let events = 0;
    let batches = 0;
    let quarantined = 0;
    let size = batchEvents;
    while (batches < maxBatches && Date.now() - started < (opts.budgetMs ?? Infinity)) {
      const r = await this.foldOnce(size, batches === 0 ? false : true);
      events += r.events;
      quarantined += r.quarantined;
      batches += 1;
      onBatch?.(events);
      if (!r.more) break;
      if (opts.growTo !== undefined) size = Math.min(size * 2, Math.max(opts.growTo, batchEvents));
    }
    return { events, batches, quarantined };
  }

  /**
   * Refolds quarantined tickets now, under the cursor lock (`POST /reports/fold-quarantine/retry`), in chunks, each
   * folded like a batch: ticket by ticket in savepoints when the chunk's transaction fails. The cursor does not move.
   */
  async retryQuarantined(ticketIds: string[]): Promise<{ retried: number; recovered: number; stillQuarantined: number }> {
    let still = 0;
    for (let i = 0; i < ticketIds.length; i += RETRY_CHUNK) {
      const chunk = ticketIds.slice(i, i + RETRY_CHUNK);
      let outcome: RefoldOutcome;
      try {
        outcome = await this.underRetryLock((m) => this.refold(m, chunk, false));
      } catch (err) {
        if (!blamesTicket(err)) throw this.busy(err);
        outcome = await this.underRetryLock((m) => this.refoldCarefully(m, chunk, false)).catch((e: unknown) => { throw this.busy(e); });
      }
      this.logQuarantined(outcome);
      still += outcome.quarantined.length;
    }
    return { retried: ticketIds.length, recovered: ticketIds.length - still, stillQuarantined: still };
  }

  /** For the metrics: quarantinings ever counted, and tickets in the quarantine now. */
  quarantineStats(): Promise<{ total: number; current: number }> {
    return this.repo.quarantineStats();
  }

  /** For the metrics: how long the oldest unfolded event has waited (the staleness every report shows). */
  lag(): Promise<{ lagMs: number; asOf: Date }> {
    return this.repo.lag();
  }

  /**
   * Replaces the contributions of these tickets (inside the caller's transaction). A ticket whose facts cannot be
   * computed keeps its old contribution and facts and is quarantined; the others leave the quarantine. `halt`: a
   * mass failure (`massFailure`) throws instead, rolling the batch back.
   */
  async refold(m: EntityManager, ticketIds: string[], halt = false): Promise<RefoldOutcome> {
    if (ticketIds.length === 0) return { refolded: [], quarantined: [] };
    const p = await this.prepare(m, ticketIds);
    this.haltOnMassFailure(halt, p.failed, ticketIds.length);
    await this.apply(m, p.ready, p.keysOf);
    return this.settle(m, p.ready.map((c) => c.t.id), p.failed);
  }

  /** As `refold`, each ticket's writes in a savepoint of its own: a ticket whose writes fail is rolled back and quarantined. */
  private async refoldCarefully(m: EntityManager, ticketIds: string[], halt: boolean): Promise<RefoldOutcome> {
    const p = await this.prepare(m, ticketIds);
    this.haltOnMassFailure(halt, p.failed, ticketIds.length);
    const refolded: string[] = [];
    for (const c of p.ready) {
      const own = new Map([...c.newKeys, ...c.oldCoarse].map((s) => [s, p.keysOf.get(s)!]));
      const failure = await this.repo.inSavepoint(m, () => this.apply(m, [c], own));
      if (!failure) {
        refolded.push(c.t.id);
        continue;
      }
      if (!blamesTicket(failure.error)) throw failure.error;
      p.failed.push({ ticketId: c.t.id, error: quarantineError(failure.error) });
      this.haltOnMassFailure(halt, p.failed, ticketIds.length);
    }
    return this.settle(m, refolded, p.failed);
  }

  /**
   * Reads the tickets' logs and stored contributions and computes their new facts. A ticket whose facts throw (its
   * log cannot be read, or its grid node's calendar cannot be resolved) is set aside with its error.
   */
  private async prepare(m: EntityManager, ticketIds: string[]): Promise<Prepared> {
    const [read, old] = await Promise.all([this.repo.loadLogs(ticketIds), this.repo.loadFacts(m, ticketIds)]);
    const tickets: FoldTicket[] = read.map((t) => ({ ...t, old: old.get(t.id) ?? null }));
    // Every ticket counts into its day key and one key of each coarse grain (grains.ts).
    const keysOf = new Map<string, RollupKey>();
    const need = (k: RollupKey): string => { const s = keyString(k); keysOf.set(s, k); return s; };
    // Business time under the working calendar each ticket's grid node uses now (docs/reports.md), one lookup per
    // node per batch: a holiday schedule imported or corrected by an admin counts from the next fold of a ticket.
    // A calendar that cannot be resolved fails its node's tickets; a database error fails the batch.
    const calendarOf = new Map<string, { calendar: ResolvedCalendar } | { error: unknown }>();
    for (const path of new Set(tickets.map((t) => t.gridPath))) {
      try {
        calendarOf.set(path, { calendar: (await this.calendars.current(m, path)).calendar });
      } catch (error) {
        if (sqlState(error) !== null) throw error;
        calendarOf.set(path, { error });
      }
    }
    const ready: Computed[] = [];
    const failed: QuarantinedTicket[] = [];
    for (const t of tickets) {
      try {
        const cal = calendarOf.get(t.gridPath)!;
        if ('error' in cal) throw cal.error;
        const f = ticketFacts(t.events, t, t.clock, cal.calendar);
        const fc = f.contribution;
        const contrib: StoredContribution | null = fc
          ? { counts: fc.counts, durationsMs: fc.durationsMs, buckets: bucketsOf(fc), ...(fc.credits.length > 0 ? { credits: fc.credits } : {}) }
          : null;
        const oldKey = t.old?.key ?? null;
        if (fc && contrib && oldKey && t.old?.contrib && keyString(oldKey) === keyString(fc.key) && sameContribution(t.old.contrib, contrib)) {
          ready.push({ t, f, contrib, newKeys: [], oldCoarse: [], newCredits: [], oldCredits: [], unchanged: true });
          continue;
        }
        const newKeys = fc ? [fc.key, ...coarseKeys(fc.key)] : [];
        const oldCoarse = oldKey ? coarseKeys(oldKey) : [];
        const withCoarse = (k: RollupKey): string[] => [k, ...coarseKeys(k)].map(need);
        const newCredits = fc ? fc.credits.map((cr) => withCoarse(creditKey(fc.key, cr.unitId))) : [];
        const oldCredits = oldKey ? (t.old?.contrib?.credits ?? []).map((cr) => withCoarse(creditKey(oldKey, cr.unitId))) : [];
        ready.push({ t, f, contrib, newKeys: newKeys.map(need), oldCoarse: oldCoarse.map(need), newCredits, oldCredits, unchanged: false });
      } catch (err) {
        failed.push({ ticketId: t.id, error: quarantineError(err) });
      }
    }
    return { ready, failed, keysOf };
  }

  /** Writes computed tickets: subtracts each old contribution from its keys, adds the new one, stores the facts. */
  private async apply(m: EntityManager, computed: Computed[], keysOf: Map<string, RollupKey>): Promise<void> {
    if (computed.length === 0) return;
    const keyList = [...keysOf.values()];
    const ids = await this.repo.keyIds(m, keyList);
    const idOf = new Map(keyList.map((k, i) => [keyString(k), ids[i]!]));

    const affected = new Set<number>(ids);
    for (const { t, unchanged } of computed) if (!unchanged && t.old?.keyId != null) affected.add(t.old.keyId);
    const rows = new Map((await this.repo.rollupRows(m, [...affected])).map((r) => [r.keyId, r]));
    const add = (keyId: number, c: StoredContribution, sign: 1 | -1): void => {
      let r = rows.get(keyId);
      if (!r) {
        r = { keyId, counts: zeroCounts(), durN: DURATION_METRICS.map(() => 0), durSumMs: DURATION_METRICS.map(() => 0), hist: DURATION_METRICS.map(() => new Map<number, number>()) };
        rows.set(keyId, r);
      }
      for (const name of COUNTERS) r.counts[name] += sign * (c.counts[name] ?? 0);
      c.durationsMs.forEach((ms, i) => { if (ms !== null) { r.durN[i]! += sign; r.durSumMs[i]! += sign * ms; } });
      for (const [metric, bucket] of c.buckets) {
        const h = r.hist[metric]!;
        const n = (h.get(bucket) ?? 0) + sign;
        if (n === 0) h.delete(bucket);
        else h.set(bucket, n);
      }
    };
    const facts: FactRow[] = [];
    const creditOf = (counts: Record<string, number>): StoredContribution => ({ counts, durationsMs: [], buckets: [] });
    for (const { t, f, contrib, newKeys, oldCoarse, newCredits, oldCredits, unchanged } of computed) {
      if (unchanged) {
        facts.push({
          ticketId: t.id, keyId: t.old!.keyId, contrib, open: f.open, filedAt: f.filedAt, endedAt: f.endedAt, resolveStartedAt: f.resolveStartedAt, resolveDeadline: f.resolveDeadline,
        });
        continue;
      }
      if (t.old?.contrib) {
        for (const id of [t.old.keyId, ...oldCoarse.map((k) => idOf.get(k)!)]) if (id != null) add(id, t.old.contrib, -1);
        t.old.contrib.credits?.forEach((cr, i) => { for (const k of oldCredits[i] ?? []) add(idOf.get(k)!, creditOf(cr.counts), -1); });
      }
      const newIds = newKeys.map((s) => idOf.get(s)!);
      if (contrib) {
        for (const id of newIds) add(id, contrib, 1);
        contrib.credits?.forEach((cr, i) => { for (const k of newCredits[i]!) add(idOf.get(k)!, creditOf(cr.counts), 1); });
      }
      facts.push({
        ticketId: t.id, keyId: newIds[0] ?? null, contrib, open: f.open, filedAt: f.filedAt, endedAt: f.endedAt,
        resolveStartedAt: f.resolveStartedAt, resolveDeadline: f.resolveDeadline,
      });
    }
    await this.repo.writeRollupRows(m, [...rows.values()].sort((a, b) => a.keyId - b.keyId));
    await this.repo.upsertFacts(m, facts);
  }

  /** Refolded tickets leave the quarantine; failed ones enter it (or stay, one attempt more). */
  private async settle(m: EntityManager, refolded: string[], failed: QuarantinedTicket[]): Promise<RefoldOutcome> {
    await this.repo.unquarantine(m, refolded);
    const attempts = await this.repo.quarantine(m, failed);
    return { refolded, quarantined: failed.map((q) => ({ ...q, attempts: attempts.get(q.ticketId) ?? 1 })) };
  }

  private haltOnMassFailure(halt: boolean, failed: QuarantinedTicket[], total: number): void {
    if (!halt || !massFailure(failed.length, total)) return;
    this.logger.error(`report fold halted: ${failed.length} of ${total} tickets failed, which is no poison ticket but a fault of the fold or the database; the batch is retried by the next run. First error: ${failed[0]!.error}`);
    throw new FoldHaltedError(`${failed.length} of ${total} tickets failed: ${failed[0]!.error}`);
  }

  /** After the commit: one line per quarantined ticket (its id and error; nothing of the ticket's content). */
  private logQuarantined(outcome: RefoldOutcome): void {
    for (const q of outcome.quarantined) this.logger.warn(`ticket ${q.ticketId} quarantined from the report fold (attempt ${q.attempts}): ${q.error}`);
  }

  private underRetryLock<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.transaction(async (m) => {
      await this.repo.lockCursorWithin(m, RETRY_LOCK_WAIT_MS);
      return fn(m);
    });
  }

  /** The cursor lock not had in time (a long batch being folded) is a 503 for the retry endpoint. */
  private busy(err: unknown): unknown {
    return sqlState(err) === '55P03' ? new ReportException(ReportErrorCode.FOLD_BUSY) : err;
  }
}

/**
 * Whether a stored contribution adds exactly what a new one adds (a counter absent from an older one counts 0). The
 * fold leaves the rollup rows of such a ticket alone; so a migration that changes how day keys map to coarse keys must
 * rebuild those rows itself (as the grain migrations do) or delete the facts, not merely rewind the cursor.
 */
export function sameContribution(a: StoredContribution, b: StoredContribution): boolean {
  for (const name of COUNTERS) if ((a.counts[name] ?? 0) !== (b.counts[name] ?? 0)) return false;
  if (a.durationsMs.length !== b.durationsMs.length || a.durationsMs.some((ms, i) => ms !== b.durationsMs[i])) return false;
  if (a.buckets.length !== b.buckets.length || a.buckets.some(([m, k], i) => m !== b.buckets[i]![0] || k !== b.buckets[i]![1])) return false;
  const ac = a.credits ?? [];
  const bc = b.credits ?? [];
  return ac.length === bc.length && ac.every((c, i) => c.unitId === bc[i]!.unitId
    && (c.counts.unit_dispatched ?? 0) === (bc[i]!.counts.unit_dispatched ?? 0) && (c.counts.unit_returned ?? 0) === (bc[i]!.counts.unit_returned ?? 0));
}
