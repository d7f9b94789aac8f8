import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { COUNTERS, DURATION_METRICS, zeroCounts, type Counts } from './report-metrics';
import type { Grain } from './grains';
import type { Contribution, FactEvent, FactTicket, RollupKey } from './ticket-facts';

/** A ticket as the fold reads it: attributes, whole log, latest resolve clock. */
export interface TicketLog extends FactTicket {
  id: string;
  events: FactEvent[];
  clock: { startedAt: Date; deadline: Date | null } | null;
}

export interface FoldTicket extends TicketLog {
  /** The stored contribution and its day key (whose coarse keys it also counts in, `coarseKeys`). */
  old: { keyId: number | null; key: RollupKey | null; contrib: StoredContribution | null } | null;
}

/** A position in the event log: `(at, id)` as text, as stored in `report_cursor`. */
export interface CursorPosition {
  at: string;
  id: string;
}

export interface FoldBatch {
  ticketIds: string[];
  events: number;
  /** The last event of the batch (the new cursor); null when the batch is empty. */
  end: CursorPosition | null;
}

/** A contribution as stored in `report_ticket_facts.contrib` (buckets precomputed). */
export interface StoredContribution {
  counts: Record<string, number>;
  durationsMs: Array<number | null>;
  buckets: Array<[number, number]>;
  /** Per-unit counters under the units it was dispatched to besides its current one (absent before they existed). */
  credits?: Array<{ unitId: string; counts: Record<string, number> }>;
}

export interface RollupRow {
  keyId: number;
  counts: Counts;
  durN: number[];
  durSumMs: number[];
  /** Per metric: bucket → count. */
  hist: Array<Map<number, number>>;
}

export function toRollupRow(r: Record<string, unknown>): RollupRow {
  const counts = zeroCounts();
  for (const c of COUNTERS) counts[c] = Number(r[c]);
  const hist = (r.hist as number[][]).map((pairs) => {
    const h = new Map<number, number>();
    for (let i = 0; i + 1 < pairs.length; i += 2) h.set(pairs[i]!, pairs[i + 1]!);
    return h;
  });
  return { keyId: Number(r.key_id), counts, durN: (r.dur_n as number[]).map(Number), durSumMs: (r.dur_sum_ms as string[]).map(Number), hist };
}

/**
 * A row's histograms as stored (`report_rollup.hist`): per metric the flat `[bucket, count, …]` pairs, buckets in
 * increasing order. Written out by hand: the fold serialises every row it touches, and building the pair arrays
 * first (entries, sort, flat, stringify) was a sixth of its JavaScript time and much of its garbage.
 */
export function histJson(hist: ReadonlyArray<ReadonlyMap<number, number>>): string {
  let out = '[';
  for (let i = 0; i < hist.length; i++) {
    const h = hist[i]!;
    if (i > 0) out += ',';
    const buckets = Int32Array.from(h.keys()).sort();
    out += '[';
    for (let j = 0; j < buckets.length; j++) {
      const b = buckets[j]!;
      out += `${j > 0 ? ',' : ''}${b},${h.get(b)!}`;
    }
    out += ']';
  }
  return `${out}]`;
}

export interface FactRow {
  ticketId: string;
  keyId: number | null;
  contrib: StoredContribution | null;
  open: boolean;
  filedAt: Date;
  endedAt: Date | null;
  resolveStartedAt: Date | null;
  resolveDeadline: Date | null;
}

/** Rollup keys without a unit carry the nil uuid. */
export const NO_UNIT = '00000000-0000-0000-0000-000000000000';

/** SQL of the rollup fold: the cursor, the batch of touched tickets, and the delta upserts. */
@Injectable()
export class RollupRepository {
  constructor(private readonly ds: DataSource) {}

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  /**
   * Locks the cursor (one folder at a time, across workers) and returns where the fold stands in the log and the
   * safe horizon: the start of the oldest other client transaction still open. `ticket_events.at` defaults to
   * `now()`, the start of the writing transaction, so every event with `at` below the horizon is committed and
   * visible. Every open transaction counts, not only those that have written: one that has not written yet
   * (waiting on a row lock, or between statements) may still append an event stamped with its start.
   */
  async lockCursor(m: EntityManager, wait: boolean): Promise<{ horizon: string; cursor: CursorPosition } | null> {
    const locked: Array<{ last_at: string; last_id: string }> = await m.query(
      `SELECT last_at::text AS last_at, last_id::text AS last_id FROM report_cursor WHERE id = 1 FOR UPDATE ${wait ? '' : 'SKIP LOCKED'}`);
    if (locked.length === 0) return null;
    const rows: Array<{ horizon: string }> = await m.query(
      `SELECT coalesce(least(min(xact_start), now()), now())::text AS horizon FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' AND xact_start IS NOT NULL
          AND pid <> pg_backend_pid()`);
    return { horizon: rows[0]!.horizon, cursor: { at: locked[0]!.last_at, id: locked[0]!.last_id } };
  }

  /**
   * The next events after `from` and below the horizon: their tickets and where the batch ends. Read on a pool
   * connection: it reads only committed events (below the horizon), which any connection sees alike.
   */
  async nextBatch(horizon: string, limit: number, from: CursorPosition): Promise<FoldBatch> {
    const rows: Array<{ ticket_ids: string[] | null; n: number; last_at: string | null; last_id: string | null }> = await this.ds.query(
      // The cursor travels as parameters, so the planner sees where the scan on `at` starts and walks the index in
      // order under the LIMIT; joined as a table it became a filter, and every batch rescanned the log from its beginning.
      `WITH b AS (SELECT e.id, e.at, e.ticket_id FROM ticket_events e
                   WHERE e.at >= $3::timestamptz AND (e.at, e.id) > ($3::timestamptz, $4::bigint) AND e.at < $1::timestamptz
                   ORDER BY e.at, e.id LIMIT $2),
            l AS (SELECT at, id FROM b ORDER BY at DESC, id DESC LIMIT 1)
       SELECT (SELECT array_agg(DISTINCT ticket_id) FROM b) AS ticket_ids, (SELECT count(*)::int FROM b) AS n,
              (SELECT at::text FROM l) AS last_at, (SELECT id::text FROM l) AS last_id`, [horizon, limit, from.at, from.id]);
    const r = rows[0]!;
    return { ticketIds: r.ticket_ids ?? [], events: r.n, end: r.last_at !== null && r.last_id !== null ? { at: r.last_at, id: r.last_id } : null };
  }

  /**
   * The batch's tickets with their whole logs and latest resolve clocks: three reads side by side on pool
   * connections, outside the fold's transaction (and beside its read of the stored contributions). That sees what
   * the transaction would: the batch's events are below the horizon (committed; the log is append-only), and
   * tickets and clocks are read committed either way — a change after the read comes with a new event, which
   * refolds the ticket again.
   * Every read is `unnest(ids)` joined LATERAL to an index lookup: with `= ANY(<tens of thousands of ids>)` the
   * planner chose a parallel sequential scan of `ticket_events` at ten million tickets (8 000 events/s). `OFFSET 0`
   * keeps each subquery from being pulled up into a plain join, which the planner turned into a hash join over the
   * whole 61-million-row log once a batch had about 100 000 tickets (a 500 000-event batch took a minute to read).
   */
  async loadLogs(ids: string[]): Promise<TicketLog[]> {
    const [tickets, events, clocks]: [
      Array<{ id: string; platform: string; category_code: string; channel: string; grid_path: string; unit_id: string | null; callback: FactTicket['callback'] }>,
      Array<{ ticket_id: string; seq: number; action: string; to_status: string; at: Date; reopen: unknown; extension_granted: unknown; unit_id: string | null }>,
      Array<{ ticket_id: string; started_at: Date; deadline: Date | null }>,
    ] = await Promise.all([
      this.ds.query(`SELECT id, platform, category_code, channel, grid_path::text AS grid_path, unit_id, callback FROM unnest($1::uuid[]) AS u(uid) JOIN LATERAL (SELECT * FROM tickets t WHERE t.id = u.uid OFFSET 0) t ON true`, [ids]),
      // Only the keys of `data` the facts read (ticket-facts.ts), and no ORDER BY: each ticket's few events are
      // sorted by seq below, which is cheaper than sorting the whole batch in Postgres.
      this.ds.query(
        `SELECT ticket_id, seq, action, to_status, at, data->'reopen' AS reopen, data->'extensionGranted' AS extension_granted, data->>'unitId' AS unit_id
           FROM unnest($1::uuid[]) AS u(uid)
           JOIN LATERAL (SELECT created_at FROM tickets t WHERE t.id = u.uid OFFSET 0) t ON true
           JOIN LATERAL (SELECT * FROM ticket_events e WHERE e.ticket_id = u.uid AND e.filed_at = t.created_at OFFSET 0) e ON true`, [ids]),
      this.ds.query(
        `SELECT c.ticket_id, c.started_at, c.deadline FROM unnest($1::uuid[]) AS u(uid) JOIN LATERAL (
           SELECT ticket_id, started_at, deadline FROM ticket_clocks
            WHERE ticket_id = u.uid AND stage IN ('resolve', 'mediation') ORDER BY created_at DESC, started_at DESC LIMIT 1) c ON true`, [ids]),
    ]);
    const bySeq = new Map<string, Array<{ seq: number; e: FactEvent }>>();
    for (const e of events) {
      const data: Record<string, unknown> = {};
      if (e.reopen !== null) data.reopen = e.reopen;
      if (e.extension_granted !== null) data.extensionGranted = e.extension_granted;
      if (e.unit_id !== null) data.unitId = e.unit_id;
      let list = bySeq.get(e.ticket_id);
      if (!list) bySeq.set(e.ticket_id, (list = []));
      list.push({ seq: e.seq, e: { action: e.action, to: e.to_status, at: e.at, data } });
    }
    const byTicket = new Map<string, FactEvent[]>();
    for (const [id, list] of bySeq) byTicket.set(id, list.sort((a, b) => a.seq - b.seq).map((x) => x.e));
    const clockOf = new Map(clocks.map((c) => [c.ticket_id, { startedAt: c.started_at, deadline: c.deadline }]));
    return tickets.map((t) => ({
      id: t.id, platform: t.platform, categoryCode: t.category_code, channel: t.channel, gridPath: t.grid_path, unitId: t.unit_id,
      callback: t.callback, events: byTicket.get(t.id) ?? [], clock: clockOf.get(t.id) ?? null,
    }));
  }

  /**
   * The stored contributions of these tickets. Inside the fold's transaction, after the cursor lock: only the
   * holder of that lock writes facts, so they must be read after the previous batch committed.
   */
  async loadFacts(m: EntityManager, ids: string[]): Promise<Map<string, NonNullable<FoldTicket['old']>>> {
    const facts: Array<{ ticket_id: string; key_id: number | null; grain: Grain | null; day: string | null; path: string | null; unit_id: string | null;
      platform: string | null; category_code: string | null; channel: string | null; contrib: StoredContribution | null }> = await m.query(
      `SELECT f.ticket_id, f.key_id, dk.grain, to_char(dk.day, 'YYYY-MM-DD') AS day, dk.path::text AS path, dk.unit_id, dk.platform, dk.category_code, dk.channel, f.contrib
         FROM unnest($1::uuid[]) AS u(uid) JOIN LATERAL (SELECT * FROM report_ticket_facts f WHERE f.ticket_id = u.uid OFFSET 0) f ON true
         LEFT JOIN report_keys dk ON dk.id = f.key_id`, [ids]);
    return new Map(facts.map((f) => [f.ticket_id, {
      keyId: f.key_id,
      key: f.grain === null ? null : {
        grain: f.grain, day: f.day!, path: f.path!, unitId: f.unit_id === null || f.unit_id === NO_UNIT ? null : f.unit_id,
        platform: f.platform!, categoryCode: f.category_code!, channel: f.channel!,
      },
      contrib: f.contrib,
    }]));
  }

  /** Ids of the rollup keys, creating the missing ones. */
  async keyIds(m: EntityManager, keys: RollupKey[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const params = [keys.map((k) => k.grain), keys.map((k) => k.day), keys.map((k) => k.path), keys.map((k) => k.unitId ?? NO_UNIT), keys.map((k) => k.platform),
      keys.map((k) => k.categoryCode), keys.map((k) => k.channel)];
    const cols = 'grain, day, path, unit_id, platform, category_code, channel';
    const same = (a: string, b: string): string => ['grain', 'day', 'path', 'unit_id', 'platform', 'category_code', 'channel'].map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
    // One statement: the missing keys are created (only this folder creates keys: it holds the cursor lock, so
    // DO NOTHING is a safety net) and every key's id comes from the existing row or the new one.
    const rows: Array<{ ord: string; id: number }> = await m.query(
      `WITH i AS (SELECT * FROM unnest($1::text[], $2::date[], $3::ltree[], $4::uuid[], $5::text[], $6::text[], $7::text[])
                    WITH ORDINALITY AS x(${cols}, ord)),
            old AS (SELECT i.ord, k.id FROM i JOIN report_keys k ON ${same('k', 'i')}),
            ins AS (INSERT INTO report_keys (${cols})
                    SELECT ${cols} FROM i WHERE i.ord NOT IN (SELECT ord FROM old) ORDER BY ord
                    ON CONFLICT DO NOTHING RETURNING id, ${cols})
       SELECT ord::text, id FROM old
       UNION ALL
       SELECT i.ord::text, n.id FROM ins n JOIN i ON ${same('n', 'i')}`, params);
    if (rows.length !== keys.length) throw new Error(`report keys: ${rows.length} ids for ${keys.length} keys`); // rolls the batch back; the next run retries
    const out = new Array<number>(keys.length);
    for (const r of rows) out[Number(r.ord) - 1] = r.id;
    return out;
  }

  /** Current rollup rows of these keys (the fold holds the cursor lock, so nobody else writes them). */
  async rollupRows(m: EntityManager, keyIds: number[]): Promise<RollupRow[]> {
    if (keyIds.length === 0) return [];
    const rows: Array<Record<string, unknown>> = await m.query(
      `SELECT key_id, ${COUNTERS.join(', ')}, dur_n, dur_sum_ms::text[] AS dur_sum_ms, hist FROM report_rollup WHERE key_id = ANY($1::int[])`, [keyIds]);
    return rows.map(toRollupRow);
  }

  /** Writes rollup rows with their new absolute values. */
  async writeRollupRows(m: EntityManager, rows: RollupRow[]): Promise<void> {
    if (rows.length === 0) return;
    // Whole numbers travel as array literals built here (the driver's generic array encoding escaped each element).
    const ints = (values: number[]): string => `{${values.join(',')}}`;
    const params: unknown[] = [ints(rows.map((r) => r.keyId))];
    const cols = COUNTERS.map((c) => { params.push(ints(rows.map((r) => r.counts[c]))); return `$${params.length}::int[]`; });
    // Arrays travel as their text form and are cast per row: unnest would flatten a 2-D array. The outer arrays are
    // written as literals here too: their elements hold no quote or backslash, so each is only wrapped in quotes (the
    // driver escaped every element, character by character: a tenth of the fold's JavaScript time went there).
    const quoted = (items: string[]): string => `{${items.map((x) => `"${x}"`).join(',')}}`;
    params.push(quoted(rows.map((r) => `{${r.durN.join(',')}}`)), quoted(rows.map((r) => `{${r.durSumMs.join(',')}}`)),
      quoted(rows.map((r) => histJson(r.hist))));
    const n = params.length;
    await m.query(
      `INSERT INTO report_rollup (key_id, ${COUNTERS.join(', ')}, dur_n, dur_sum_ms, hist)
       SELECT key_id, ${COUNTERS.join(', ')}, dn::int[], ds::bigint[], h
         FROM unnest($1::int[], ${cols.join(', ')}, $${n - 2}::text[], $${n - 1}::text[], $${n}::json[]) AS x(key_id, ${COUNTERS.join(', ')}, dn, ds, h)
       ON CONFLICT (key_id) DO UPDATE SET ${COUNTERS.map((c) => `${c} = excluded.${c}`).join(', ')},
         dur_n = excluded.dur_n, dur_sum_ms = excluded.dur_sum_ms, hist = excluded.hist`,
      params);
  }

  async upsertFacts(m: EntityManager, rows: FactRow[]): Promise<void> {
    if (rows.length === 0) return;
    // The contributions travel as one JSON array (the driver would escape every quote of every element of a json[]),
    // taken apart in order beside the other columns.
    await m.query(
      `INSERT INTO report_ticket_facts (ticket_id, key_id, contrib, open, filed_at, resolve_started_at, resolve_deadline, ended_at)
       SELECT t, k, NULLIF(c::text, 'null')::json, o, f, s, d, e
         FROM unnest($1::uuid[], $2::int[], $4::boolean[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[])
                WITH ORDINALITY AS x(t, k, o, f, s, d, e, n)
         JOIN json_array_elements($3::json) WITH ORDINALITY AS j(c, jn) ON jn = n
       ON CONFLICT (ticket_id) DO UPDATE SET key_id = excluded.key_id, contrib = excluded.contrib, open = excluded.open,
         filed_at = excluded.filed_at, resolve_started_at = excluded.resolve_started_at, resolve_deadline = excluded.resolve_deadline,
         ended_at = excluded.ended_at, updated_at = now()`,
      [rows.map((r) => r.ticketId), rows.map((r) => r.keyId), JSON.stringify(rows.map((r) => r.contrib)), rows.map((r) => r.open),
        rows.map((r) => r.filedAt), rows.map((r) => r.resolveStartedAt), rows.map((r) => r.resolveDeadline), rows.map((r) => r.endedAt)]);
  }

  async advanceCursor(m: EntityManager, lastAt: string, lastId: string, events: number): Promise<void> {
    await m.query(`UPDATE report_cursor SET last_at = $1::timestamptz, last_id = $2::bigint, folded = folded + $3, updated_at = now() WHERE id = 1`, [lastAt, lastId, events]);
  }

  /**
   * The cursor lock for refolds outside the batch order (retrying quarantined tickets): waits at most `timeoutMs`
   * for a batch being folded, then fails with SQLSTATE 55P03.
   */
  async lockCursorWithin(m: EntityManager, timeoutMs: number): Promise<void> {
    await m.query(`SELECT set_config('lock_timeout', $1, true)`, [`${timeoutMs}ms`]);
    await m.query(`SELECT 1 FROM report_cursor WHERE id = 1 FOR UPDATE`);
  }

  /**
   * Runs `fn` in a savepoint of the caller's transaction. Null when it succeeded; else the savepoint is rolled back
   * (what `fn` wrote is undone, the transaction stays usable) and `fn`'s error returned. When the rollback fails too —
   * the transaction or its connection is unusable — `fn`'s error is thrown.
   */
  async inSavepoint(m: EntityManager, fn: () => Promise<void>): Promise<{ error: unknown } | null> {
    await m.query('SAVEPOINT report_fold_ticket');
    try {
      await fn();
    } catch (error) {
      try {
        await m.query('ROLLBACK TO SAVEPOINT report_fold_ticket');
      } catch {
        throw error;
      }
      return { error };
    }
    await m.query('RELEASE SAVEPOINT report_fold_ticket');
    return null;
  }

  /**
   * Puts tickets in the quarantine, or keeps them there one attempt more with their latest error, and counts them in
   * `report_cursor.quarantined` (inside the fold's transaction, which holds that row); returns each one's attempts.
   */
  async quarantine(m: EntityManager, rows: Array<{ ticketId: string; error: string }>): Promise<Map<string, number>> {
    if (rows.length === 0) return new Map();
    const out: Array<{ ticket_id: string; attempts: number }> = await m.query(
      `WITH q AS (INSERT INTO report_fold_quarantine (ticket_id, error)
                  SELECT * FROM unnest($1::uuid[], $2::text[])
                  ON CONFLICT (ticket_id) DO UPDATE SET error = excluded.error, attempts = report_fold_quarantine.attempts + 1, last_at = now()
                  RETURNING ticket_id, attempts),
            c AS (UPDATE report_cursor SET quarantined = quarantined + (SELECT count(*) FROM q) WHERE id = 1)
       SELECT ticket_id, attempts FROM q`,
      [rows.map((r) => r.ticketId), rows.map((r) => r.error)]);
    return new Map(out.map((r) => [r.ticket_id, r.attempts]));
  }

  /** Takes refolded tickets out of the quarantine. The quarantine is normally empty: then the batch's ids are not sent. */
  async unquarantine(m: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const [{ any }]: Array<{ any: boolean }> = await m.query(`SELECT EXISTS (SELECT 1 FROM report_fold_quarantine) AS any`);
    if (any) await m.query(`DELETE FROM report_fold_quarantine WHERE ticket_id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * Quarantined tickets whose grid node lies in `scopePath`, most recently failed first. Each ticket is looked up by
   * its primary key (`LATERAL … OFFSET 0`): the cost follows the quarantine, normally empty, never the tickets in scope.
   */
  async quarantined(scopePath: string, limit: number): Promise<Array<{ ticketId: string; number: string; error: string; attempts: number; firstAt: Date; lastAt: Date }>> {
    const rows: Array<{ ticket_id: string; number: string; error: string; attempts: number; first_at: Date; last_at: Date }> = await this.ds.query(
      `SELECT q.ticket_id, t.number, q.error, q.attempts, q.first_at, q.last_at
         FROM report_fold_quarantine q JOIN LATERAL (SELECT number, grid_path FROM tickets t WHERE t.id = q.ticket_id OFFSET 0) t ON true
        WHERE t.grid_path <@ $1::ltree
        ORDER BY q.last_at DESC, q.ticket_id LIMIT $2`, [scopePath, limit]);
    return rows.map((r) => ({ ticketId: r.ticket_id, number: r.number, error: r.error, attempts: r.attempts, firstAt: r.first_at, lastAt: r.last_at }));
  }

  /** Ids of the quarantined tickets in `scopePath`, least recently tried first (so repeated retries go round them all). */
  async quarantinedIds(scopePath: string, limit: number): Promise<string[]> {
    const rows: Array<{ ticket_id: string }> = await this.ds.query(
      `SELECT q.ticket_id FROM report_fold_quarantine q JOIN LATERAL (SELECT grid_path FROM tickets t WHERE t.id = q.ticket_id OFFSET 0) t ON true
        WHERE t.grid_path <@ $1::ltree ORDER BY q.last_at, q.ticket_id LIMIT $2`, [scopePath, limit]);
    return rows.map((r) => r.ticket_id);
  }

  /** How many quarantined tickets lie in `scopePath` (every report's meta; as cheap as the quarantine is small). */
  /** Quarantinings ever counted (`report_cursor.quarantined`) and tickets in the quarantine now. */
  async quarantineStats(): Promise<{ total: number; current: number }> {
    const rows: Array<{ total: string; current: number }> = await this.ds.query(
      `SELECT (SELECT quarantined FROM report_cursor WHERE id = 1)::text AS total, (SELECT count(*) FROM report_fold_quarantine)::int AS current`);
    return { total: Number(rows[0]!.total ?? 0), current: rows[0]!.current };
  }

  /**
   * Rewinds the fold's cursor to just before `from` (the start of the log when null) unless it is already there or
   * earlier; waits at most `timeoutMs` for a batch being folded (SQLSTATE 55P03 after). The worker then folds every
   * event after the cursor again (idempotently).
   */
  async rewindCursor(from: Date | null, timeoutMs: number): Promise<{ previous: Date | null; now: Date | null }> {
    return this.ds.transaction(async (m) => {
      await this.lockCursorWithin(m, timeoutMs);
      // Null stands for the start of the log (`-infinity`).
      const rows: Array<{ previous: Date | null; now: Date | null }> = await m.query(
        `WITH prev AS (SELECT last_at FROM report_cursor WHERE id = 1),
              target AS (SELECT coalesce($1::timestamptz - interval '1 microsecond', '-infinity'::timestamptz) AS at),
              u AS (UPDATE report_cursor c SET last_at = target.at, last_id = 0, updated_at = now()
                      FROM target WHERE c.id = 1 AND c.last_at > target.at RETURNING c.last_at),
              cur AS (SELECT coalesce((SELECT last_at FROM u), (SELECT last_at FROM prev)) AS at)
         SELECT CASE WHEN isfinite(prev.last_at) THEN prev.last_at END AS previous, CASE WHEN isfinite(cur.at) THEN cur.at END AS now
           FROM prev, cur`, [from]);
      return rows[0]!;
    });
  }

  /** Staleness: how long the oldest unfolded event has waited (0 when everything is folded), by the DB clock. */
  async lag(): Promise<{ lagMs: number; asOf: Date }> {
    const rows: Array<{ lag_ms: number; as_of: Date }> = await this.ds.query(
      `WITH o AS (SELECT min(e.at) AS at FROM ticket_events e
                   WHERE e.at >= (SELECT last_at FROM report_cursor WHERE id = 1)
                     AND (e.at, e.id) > ((SELECT last_at FROM report_cursor WHERE id = 1), (SELECT last_id FROM report_cursor WHERE id = 1)))
       SELECT coalesce(extract(epoch FROM now() - o.at) * 1000, 0)::float8 AS lag_ms, coalesce(o.at, now()) AS as_of FROM o`);
    return { lagMs: Math.max(0, Math.round(Number(rows[0]!.lag_ms))), asOf: rows[0]!.as_of };
  }
}
