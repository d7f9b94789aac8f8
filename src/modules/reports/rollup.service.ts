import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ResolvedCalendar } from '../../../libs/sla-calendar';
import { SlaCalendars } from '../sla/sla-calendars.service';
import { COUNTERS, DURATION_METRICS, zeroCounts } from './report-metrics';
import { RollupRepository, type FactRow, type FoldTicket, type StoredContribution } from './rollup.repository';
import { bucketsOf, coarseKeys, keyString, streetMonthKey, ticketFacts, unitMonthKey, type RollupKey } from './ticket-facts';

export interface FoldResult {
  events: number;
  tickets: number;
  /** True when the batch was full, so more events may be waiting. */
  more: boolean;
}

/**
 * Folds new ticket events into the report rollups. For each ticket touched by a new event it recomputes the
 * ticket's facts from its whole log, removes the old contribution and adds the new one — so a fold applied
 * twice, or a ticket seen in two batches, gives the same rollup (idempotent, order-independent).
 */
@Injectable()
export class RollupService {
  constructor(private readonly repo: RollupRepository, private readonly calendars: SlaCalendars) {}

  /** One batch. `wait` false: return at once when another worker is folding. */
  async foldOnce(batchEvents = 5000, wait = false): Promise<FoldResult> {
    return this.repo.transaction(async (m) => {
      const lock = await this.repo.lockCursor(m, wait);
      if (!lock) return { events: 0, tickets: 0, more: false };
      const batch = await this.repo.nextBatch(lock.horizon, batchEvents, lock.cursor);
      if (batch.events === 0 || !batch.end) return { events: 0, tickets: 0, more: false };
      await this.refold(m, batch.ticketIds);
      await this.repo.advanceCursor(m, batch.end.at, batch.end.id, batch.events);
      return { events: batch.events, tickets: batch.ticketIds.length, more: batch.events >= batchEvents };
    });
  }

  /** Folds until caught up (or `maxBatches`); used by the job and by the benchmark's bulk build. */
  async catchUp(maxBatches = 1000, batchEvents = 5000, onBatch?: (eventsSoFar: number) => void): Promise<{ events: number; batches: number }> {
    let events = 0;
    let batches = 0;
    while (batches < maxBatches) {
      const r = await this.foldOnce(batchEvents, batches === 0 ? false : true);
      events += r.events;
      batches += 1;
      onBatch?.(events);
      if (!r.more) break;
    }
    return { events, batches };
  }

  /** Replaces the contributions of these tickets (inside the caller's transaction). */
  async refold(m: EntityManager, ticketIds: string[]): Promise<void> {
    if (ticketIds.length === 0) return;
    const [read, old] = await Promise.all([this.repo.loadLogs(ticketIds), this.repo.loadFacts(m, ticketIds)]);
    const tickets: FoldTicket[] = read.map((t) => ({ ...t, old: old.get(t.id) ?? null }));
    // Every ticket counts into its day key and the three coarse keys (month × street × platform, month × street,
    // month × street × unit).
    const keysOf = new Map<string, RollupKey>();
    const need = (k: RollupKey): string => { const s = keyString(k); keysOf.set(s, k); return s; };
    // Business time under the working calendar each ticket's grid node uses now (docs/reports.md), one lookup per
    // node per batch: a holiday schedule imported or corrected by an admin counts from the next fold of a ticket.
    const calendarOf = new Map<string, ResolvedCalendar>();
    for (const path of new Set(tickets.map((t) => t.gridPath))) calendarOf.set(path, (await this.calendars.current(m, path)).calendar);
    const computed = tickets.map((t) => {
      const f = ticketFacts(t.events, t, t.clock, calendarOf.get(t.gridPath)!);
      const newKeys = f.contribution ? [f.contribution.key, ...coarseKeys(f.contribution.key)].map(need) : [];
      const oldStreet = t.old?.month ? need(streetMonthKey(t.old.month.day, t.old.month.path)) : null;
      const oldUnit = t.old?.month ? need(unitMonthKey(t.old.month.day, t.old.month.path, t.old.unitId)) : null;
      return { t, f, newKeys, oldStreet, oldUnit };
    });
    const keyList = [...keysOf.values()];
    const ids = await this.repo.keyIds(m, keyList);
    const idOf = new Map(keyList.map((k, i) => [keyString(k), ids[i]!]));

    const affected = new Set<number>(ids);
    for (const { t } of computed) {
      if (t.old?.keyId != null) affected.add(t.old.keyId);
      if (t.old?.monthKeyId != null) affected.add(t.old.monthKeyId);
    }
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
    for (const { t, f, newKeys, oldStreet, oldUnit } of computed) {
      if (t.old?.contrib) {
        const coarse = [oldStreet, oldUnit].map((k) => (k === null ? null : idOf.get(k)!));
        for (const id of [t.old.keyId, t.old.monthKeyId, ...coarse]) if (id != null) add(id, t.old.contrib, -1);
      }
      let contrib: StoredContribution | null = null;
      const newIds = newKeys.map((s) => idOf.get(s)!);
      if (f.contribution) {
        contrib = { counts: f.contribution.counts, durationsMs: f.contribution.durationsMs, buckets: bucketsOf(f.contribution) };
        for (const id of newIds) add(id, contrib, 1);
      }
      facts.push({
        ticketId: t.id, keyId: newIds[0] ?? null, monthKeyId: newIds[1] ?? null, contrib, open: f.open, filedAt: f.filedAt,
        resolveStartedAt: f.resolveStartedAt, resolveDeadline: f.resolveDeadline,
      });
    }
    await this.repo.writeRollupRows(m, [...rows.values()].sort((a, b) => a.keyId - b.keyId));
    await this.repo.upsertFacts(m, facts);
  }
}
