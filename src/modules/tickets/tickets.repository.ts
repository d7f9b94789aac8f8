import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { ClockRow } from './ticket-clock.types';
import type { TicketRow } from './ticket-row.types';
import { prepared } from '../../database/prepared-statements';

/** Who is asking: every ticket query is limited by this in SQL (grid subtree, unit, protected platforms). */
export interface TicketScope {
  userId: string;
  role: string;
  scopePath: string;
  unitId: string | null;
  unitType: string | null;
}

export type { TicketRow } from './ticket-row.types';

export interface EventRow {
  id: string;
  ticket_id: string;
  seq: number;
  action: string;
  actor_id: string | null;
  actor_role: string;
  actor_name: string | null;
  from_status: string | null;
  to_status: string;
  note: string | null;
  data: Record<string, unknown>;
  at: Date;
  /** The attachments linked to the event (a resolve's photos), oldest first. */
  attachments: Array<{ id: string; contentType: string; sizeBytes: number }>;
}

export type { ClockRow } from './ticket-clock.types';

export interface ListFilter {
  status?: string[];
  platform?: string;
  categoryCode?: string;
  gridNodeId?: string;
  unitId?: string;
  /** Lead unit (主办) or one of the co-units (协办). */
  involvingUnitId?: string;
  channel?: string;
  overdue?: boolean;
  /** 预警标记: SLA alert colours (partial index `tickets_sla_alert_idx`). */
  slaAlert?: string[];
  q?: string;
  cursor?: { createdAt: string; id: string };
  limit: number;
}

/** Builds positional parameters for hand-written SQL. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/**
 * 纠纷化解 content rule (SPEC §4: "content visible only to the assigned mediators and their supervisors"), as a
 * boolean SQL expression: true when the caller may read the ticket's content in full. Every other platform's
 * content is visible to whoever sees the row. A dispute's content is visible to
 * - dispatchers (调度员) of the subtree: the command centre that supervises mediation (the subtree itself is
 *   checked by `scopeClause`);
 * - handlers of the lead unit (主办单位, the mediation committee) while no mediator is assigned (`handler_id`
 *   null: the committee decides who signs or claims it); once a mediator is assigned (pre-assigned on
 *   dispatch, or by signing / claiming), that mediator only — the committee's other members are not "assigned
 *   mediators" (人民调解法 §19: the committee designates one or several mediators per case).
 * Never to co-handling units (协办单位), officials, or any other role. NULLs (a handler without a unit) count as
 * false.
 */
function contentClause(p: Params, s: TicketScope, alias = 't'): string {
  const role = p.add(s.role);
  const unit = p.add(s.unitId);
  const user = p.add(s.userId);
  return `coalesce((${alias}.platform <> 'dispute_resolution' OR ${role} = 'dispatcher'
    OR (${role} = 'handler' AND ${alias}.unit_id = ${unit}::uuid AND (${alias}.handler_id IS NULL OR ${alias}.handler_id = ${user}::uuid))), false)`;
}

/**
 * Which rows the caller sees at all: their grid subtree; for a handler, the tickets of their own (lead or co-)
 * unit and, for a party branch, the claim pool; and the dispute content rule — except that the person who
 * filed a dispute (the grid worker, 上报人) still sees its row to follow its status, with the content withheld
 * (`content_visible` false: see `contentRestricted` in ticket.mapper.ts). `content` is the caller's
 * `contentClause`, when the statement selects it too.
 */
function scopeClause(p: Params, s: TicketScope, alias = 't', content = contentClause(p, s, alias)): string {
  const role = p.add(s.role);
  const unit = p.add(s.unitId);
  return `${alias}.grid_path <@ ${p.add(s.scopePath)}::ltree
    AND (${role} <> 'handler' OR ${alias}.unit_id = ${unit}::uuid OR ${unit}::uuid = ANY(${alias}.co_unit_ids)
         OR (${alias}.platform = 'party_building' AND ${alias}.status = 'registered' AND ${p.add(s.unitType)} = 'party_branch'))
    AND (${content} OR (${alias}.platform = 'dispute_resolution' AND ${alias}.filed_by = ${p.add(s.userId)}::uuid))`;
}

/** Types of the non-text columns a filing writes (`fileTicket` casts its parameters). */
const FILING_COLUMN_TYPES: Record<string, string> = {
  case_standard_id: 'uuid', lat: 'float8', lng: 'float8', attributes: 'jsonb', filed_by: 'uuid', materials_complete: 'boolean', media_urls: 'text[]',
};

/** The columns a workflow action may write, with their SQL types. */
const UPDATABLE: Readonly<Record<string, string>> = {
  status: 'text', previous_status: 'text', unit_id: 'uuid', co_unit_ids: 'uuid[]', handler_id: 'uuid', resolved_by: 'uuid', parent_id: 'uuid',
  first_contact_at: 'timestamptz', extension_pending_seconds: 'integer', suspension_pending: 'boolean', bounce_count: 'integer', ownerless: 'boolean',
  supervision_count: 'integer', materials_complete: 'boolean', mediation_session_count: 'integer', mediation_outcome: 'text', mediation_referral: 'text',
  volunteer_hours: 'numeric', callback: 'jsonb', dispatched_at: 'timestamptz', resolved_at: 'timestamptz', closed_at: 'timestamptz', attributes: 'jsonb',
  suggested_unit_id: 'uuid', suggested_by_rule_id: 'uuid', case_standard_id: 'uuid', priority: 'text',
};

/** An action's write: the ticket patch (whitelisted columns) and its event. */
export interface ActionWrite {
  id: string;
  patch: Record<string, unknown>;
  event: { action: string; actorId: string | null; actorRole: string; from: string | null; to: string; note?: string | null; data?: Record<string, unknown> };
}

/** Tickets, events, clocks, idempotency keys and numbers. All SQL of the tickets context lives here. */
@Injectable()
export class TicketsRepository {
  constructor(private readonly ds: DataSource) {}

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  async idempotencyKey(m: EntityManager, owner: string, key: string): Promise<{ ticket_id: string | null; request_hash: string } | undefined> {
    const rows: Array<{ ticket_id: string | null; request_hash: string }> = await m.query(
      `SELECT ticket_id, request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2`, [owner, key]);
    return rows[0];
  }

  /**
   * Gives filed tickets (a batch of filings, in order) the next numbers of the (Asia/Shanghai) day, as the
   * last statement before commit: the counter row stays locked only for this statement and the commit, once
   * per batch, and a rolled-back batch rolls its increment back too, so numbers have no gaps. The counter is
   * padded to six digits and widens past them (`…-999999`, `…-1000000`), never truncated.
   */
  async assignNumbers(m: EntityManager, ticketIds: readonly string[]): Promise<string[]> {
    if (ticketIds.length === 0) return [];
    const rows: Array<{ id: string; number: string }> = await m.query(prepared('tickets.number',
      `WITH n AS (
         INSERT INTO ticket_number_counters AS c (day, last) VALUES ((now() AT TIME ZONE 'Asia/Shanghai')::date, $2::int)
         ON CONFLICT (day) DO UPDATE SET last = c.last + $2::int
         RETURNING day, last),
       x AS (SELECT id, ord FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, ord)),
       u AS (UPDATE tickets t SET number = 'FX-' || to_char(n.day, 'YYYYMMDD') || '-' || lpad((n.last - $2::int + x.ord)::text, greatest(6, length((n.last - $2::int + x.ord)::text)), '0')
               FROM n, x WHERE t.id = x.id RETURNING t.id::text, t.number)
       SELECT id, number FROM u`), [ticketIds, ticketIds.length]);
    const byId = new Map(rows.map((r) => [r.id, r.number]));
    return ticketIds.map((id) => byId.get(id)!);
  }

  /**
   * A filing in one statement: claims the Idempotency-Key (bound to the new ticket), inserts the ticket, its
   * `file` event and the `dispatch.route` outbox row (contract: job name, job id `route-<ticket>`, payload). It
   * first checks what the caller read from caches: the category version is still current and the grid node
   * still has that path; `valid` false means nothing was written. `ticket` undefined with `valid` true: the key
   * was already taken (a concurrent retry waits here on the key until the first filing commits or rolls back).
   */
  async fileTicket(m: EntityManager, f: {
    id: string; columns: Record<string, unknown>; idempotency: { owner: string; key: string; hash: string } | null;
    event: { actorId: string | null; actorRole: string; to: string; data: Record<string, unknown> };
  }): Promise<{ valid: boolean; ticket: TicketRow | undefined }> {
    const p = new Params();
    const id = p.add(f.id);
    const cat = p.add(f.columns.category_id);
    const node = p.add(f.columns.grid_node_id);
    const path = p.add(f.columns.grid_path);
    const cols = Object.keys(f.columns);
    // INSERT … SELECT infers no parameter types from the target columns: cast each one.
    const vals = cols.map((c) => (c === 'grid_path' ? `${path}::ltree` : c === 'category_id' ? `${cat}::uuid` : c === 'grid_node_id' ? `${node}::uuid`
      : `${p.add(f.columns[c])}::${FILING_COLUMN_TYPES[c] ?? 'text'}`));
    const key = f.idempotency
      ? `k AS (INSERT INTO idempotency_keys (user_id, key, request_hash, ticket_id)
               SELECT ${p.add(f.idempotency.owner)}::uuid, ${p.add(f.idempotency.key)}::text, ${p.add(f.idempotency.hash)}::text, ${id}::uuid FROM chk WHERE chk.valid
               ON CONFLICT DO NOTHING RETURNING key),`
      : '';
    const rows: Array<{ valid: boolean } & TicketRow> = await m.query(prepared('tickets.file',
      `WITH chk AS (
         SELECT EXISTS (SELECT 1 FROM categories WHERE id = ${cat}::uuid AND superseded_at IS NULL)
            AND EXISTS (SELECT 1 FROM grid_nodes WHERE id = ${node}::uuid AND path = ${path}::ltree) AS valid),
       ${key}
       t AS (
         INSERT INTO tickets (id, ${cols.join(', ')}) SELECT ${id}::uuid, ${vals.join(', ')} FROM chk
          WHERE chk.valid ${f.idempotency ? 'AND EXISTS (SELECT 1 FROM k)' : ''}
         RETURNING *),
       e AS (
         INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_id, actor_role, from_status, to_status, note, data)
         SELECT t.id, t.created_at, 1, 'file', ${p.add(f.event.actorId)}::uuid, ${p.add(f.event.actorRole)}::text, NULL, ${p.add(f.event.to)}::text, NULL,
                ${p.add(JSON.stringify(f.event.data))}::jsonb FROM t),
       o AS (
         INSERT INTO outbox (job_name, job_id, payload)
         SELECT 'dispatch.route', 'route-' || t.id::text, jsonb_build_object('ticketId', t.id::text) FROM t
         ON CONFLICT (job_id) DO NOTHING)
       SELECT chk.valid, t.* FROM chk LEFT JOIN t ON true`), p.values);
    const { valid, ...ticket } = rows[0]!;
    return { valid, ticket: ticket.id === null ? undefined : (ticket as TicketRow) };
  }

  /**
   * Monthly partitions of the event log (migration 1764300460000): this month to `monthsAhead` months ahead, and the
   * month of every row waiting in the default partition (which moves there). Returns how many were created and how
   * many rows the default partition still holds (counted up to 10 000). One statement per call of the function: a
   * partition cannot be attached while the same statement still reads the default partition.
   */
  async ensureEventPartitions(monthsAhead: number): Promise<{ created: number; inDefault: number }> {
    const waiting: Array<{ m: string }> = await this.ds.query(
      `SELECT DISTINCT to_char(filed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-01') AS m FROM ticket_events_default`);
    let created = 0;
    for (const { m } of waiting) {
      created += (await this.ds.query(`SELECT ticket_events_ensure_partitions($1::date, $1::date) AS n`, [m]))[0].n as number;
    }
    const rows: Array<{ n: number }> = await this.ds.query(
      `SELECT ticket_events_ensure_partitions((now() AT TIME ZONE 'Asia/Shanghai')::date,
                                              ((now() AT TIME ZONE 'Asia/Shanghai') + make_interval(months => $1))::date) AS n`, [monthsAhead]);
    created += rows[0]!.n;
    const left: Array<{ n: number }> = await this.ds.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ticket_events_default LIMIT 10000) d`);
    return { created, inDefault: left[0]!.n };
  }

  async insertEvent(m: EntityManager, e: { ticketId: string; action: string; actorId: string | null; actorRole: string; from: string | null; to: string; note?: string | null; data?: Record<string, unknown> }): Promise<string> {
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_id, actor_role, from_status, to_status, note, data)
       SELECT t.id, t.created_at, (SELECT coalesce(max(e.seq), 0) + 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.filed_at = t.created_at),
              $2, $3, $4, $5, $6, $7, $8
         FROM tickets t WHERE t.id = $1
       RETURNING id::text`,
      [e.ticketId, e.action, e.actorId, e.actorRole, e.from, e.to, e.note ?? null, JSON.stringify(e.data ?? {})]);
    return rows[0]!.id;
  }

  /** A ticket the caller sees, with `content_visible` (whether they may read its content: the dispute rule). */
  async findVisible(scope: TicketScope, id: string, m: EntityManager = this.ds.manager, lock = false): Promise<TicketRow | undefined> {
    const p = new Params();
    const idParam = p.add(id);
    const content = contentClause(p, scope);
    const rows: TicketRow[] = await m.query(
      `SELECT t.*, t.grid_path::text AS grid_path, ${content} AS content_visible
         FROM tickets t WHERE t.id = ${idParam} AND ${scopeClause(p, scope, 't', content)} ${lock ? 'FOR UPDATE OF t' : ''}`,
      p.values);
    return rows[0];
  }

  /**
   * Whether the caller may read a ticket's content (`contentClause`), for a row read without the caller's scope
   * (just filed, replayed, just claimed). False for a ticket they cannot see at all.
   */
  async contentVisible(scope: TicketScope, id: string, m: EntityManager = this.ds.manager): Promise<boolean> {
    const p = new Params();
    const idParam = p.add(id);
    const content = contentClause(p, scope);
    const rows: Array<{ ok: boolean }> = await m.query(
      `SELECT ${content} AS ok FROM tickets t WHERE t.id = ${idParam} AND ${scopeClause(p, scope, 't', content)}`, p.values);
    return rows[0]?.ok === true;
  }

  /** Locks a ticket for an action (scoped for a person, unscoped for the system) and reads the transaction's time with it. */
  async lockForAction(m: EntityManager, scope: TicketScope | null, id: string): Promise<{ row: TicketRow; now: Date } | undefined> {
    const p = new Params();
    const idParam = p.add(id);
    const rows: Array<TicketRow & { db_now: Date }> = await m.query(
      prepared('tickets.lock', `SELECT t.*, t.grid_path::text AS grid_path, now() AS db_now FROM tickets t
        WHERE t.id = ${idParam} ${scope ? `AND ${scopeClause(p, scope)}` : ''} FOR UPDATE OF t`), p.values);
    if (!rows[0]) return undefined;
    const { db_now: now, ...row } = rows[0];
    return { row, now };
  }

  /**
   * Actions' writes in one statement, for one ticket or a batch (claim-next signs several at once): each
   * ticket's patch (whitelisted columns, version bumped) and its event. Every patch must have the same columns.
   * Returns the updated rows and event ids in the order given.
   */
  async applyActions(m: EntityManager, writes: readonly ActionWrite[]): Promise<Array<{ row: TicketRow; eventId: string }>> {
    if (writes.length === 0) return [];
    const cols = Object.keys(writes[0]!.patch).sort();
    for (const w of writes) {
      const keys = Object.keys(w.patch).sort();
      if (keys.join() !== cols.join()) throw new Error('applyActions: every patch of a batch must have the same columns');
    }
    for (const c of cols) if (!Object.hasOwn(UPDATABLE, c)) throw new Error(`column ${c} is not updatable`);
    if (new Set(writes.map((w) => w.id)).size !== writes.length) throw new Error('applyActions: a ticket twice in one batch');
    const input = writes.map((w) => ({
      ...w.patch, id: w.id, ev_action: w.event.action, ev_actor_id: w.event.actorId, ev_actor_role: w.event.actorRole,
      ev_from: w.event.from, ev_to: w.event.to, ev_note: w.event.note ?? null, ev_data: w.event.data ?? {},
    }));
    const rows: Array<TicketRow & { event_id: string }> = await m.query(prepared('tickets.act',
      `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, ${cols.map((c) => `${c} ${UPDATABLE[c]}`).join(', ')}${cols.length ? ', ' : ''}
                ev_action text, ev_actor_id uuid, ev_actor_role text, ev_from text, ev_to text, ev_note text, ev_data jsonb)),
       u AS (
         UPDATE tickets t SET ${[...cols.map((c) => `${c} = x.${c}`), 'version = t.version + 1', 'updated_at = now()'].join(', ')}
           FROM x WHERE t.id = x.id RETURNING t.*),
       e AS (
         INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_id, actor_role, from_status, to_status, note, data)
         SELECT u.id, u.created_at, (SELECT coalesce(max(e.seq), 0) + 1 FROM ticket_events e WHERE e.ticket_id = u.id AND e.filed_at = u.created_at),
                x.ev_action, x.ev_actor_id, x.ev_actor_role, x.ev_from, x.ev_to, x.ev_note, x.ev_data
           FROM u JOIN x ON x.id = u.id RETURNING ticket_id, id::text AS event_id)
       SELECT u.*, e.event_id FROM u JOIN e ON e.ticket_id = u.id`), [JSON.stringify(input)]);
    const byId = new Map(rows.map(({ event_id: eventId, ...row }) => [row.id, { row, eventId }]));
    return writes.map((w) => {
      const r = byId.get(w.id);
      if (!r) throw new Error(`applyActions: ticket ${w.id} was not updated`);
      return r;
    });
  }

  async findById(m: EntityManager, id: string, lock = false): Promise<TicketRow | undefined> {
    const rows: TicketRow[] = await m.query(`SELECT t.*, t.grid_path::text AS grid_path FROM tickets t WHERE t.id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0];
  }

  /** Applies a patch and bumps the version; only whitelisted columns can be written. */
  private patchSets(p: Params, patch: Record<string, unknown>): string[] {
    return Object.entries(patch).map(([col, v]) => {
      if (!Object.hasOwn(UPDATABLE, col)) throw new Error(`column ${col} is not updatable`);
      return `${col} = ${p.add(col === 'callback' || col === 'attributes' ? (v === null ? null : JSON.stringify(v)) : v)}`;
    });
  }

  async updateTicket(m: EntityManager, id: string, patch: Record<string, unknown>): Promise<number> {
    const p = new Params();
    const sets = this.patchSets(p, patch);
    const rows: Array<{ version: number }> = await m.query(
      `WITH u AS (UPDATE tickets SET ${[...sets, 'version = version + 1', 'updated_at = now()'].join(', ')}
        WHERE id = ${p.add(id)} RETURNING version) SELECT version FROM u`, p.values);
    return rows[0]!.version;
  }

  async list(scope: TicketScope, f: ListFilter): Promise<TicketRow[]> {
    const p = new Params();
    const content = contentClause(p, scope);
    const where = [scopeClause(p, scope, 't', content)];
    if (f.status?.length) where.push(`t.status = ANY(${p.add(f.status)}::text[])`);
    if (f.platform) where.push(`t.platform = ${p.add(f.platform)}`);
    if (f.categoryCode) where.push(`t.category_code = ${p.add(f.categoryCode)}`);
    if (f.channel) where.push(`t.channel = ${p.add(f.channel)}`);
    if (f.unitId) where.push(`(t.unit_id = ${p.add(f.unitId)}::uuid)`);
    if (f.involvingUnitId) {
      // `co_unit_ids <> '{}'` is the predicate of the partial GIN index tickets_co_units_gin: written out, the planner
      // can combine that index with tickets_unit_idx (BitmapOr).
      const u = p.add(f.involvingUnitId);
      where.push(`(t.unit_id = ${u}::uuid OR (t.co_unit_ids <> '{}' AND t.co_unit_ids @> ARRAY[${u}::uuid]))`);
    }
    if (f.gridNodeId) where.push(`t.grid_path <@ (SELECT path FROM grid_nodes WHERE id = ${p.add(f.gridNodeId)}::uuid)`);
    if (f.overdue !== undefined) {
      where.push(`${f.overdue ? '' : 'NOT '}EXISTS (SELECT 1 FROM ticket_clocks c WHERE c.ticket_id = t.id AND c.state <> 'stopped' AND c.deadline < coalesce(c.paused_at, now()))`);
    }
    if (f.slaAlert?.length) where.push(`t.sla_alert = ANY(${p.add(f.slaAlert)}::text[])`);
    if (f.q) {
      // Trigram matching works for Chinese (no word segmentation needed); the GIN index serves ILIKE.
      const like = p.add(`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      // The text is content: it matches only tickets whose content the caller may read, so a filer cannot probe
      // a dispute's title, description or address word by word. It is the masked text (`search_text`), so the hidden
      // digits of a phone or ID number typed into it cannot be probed either. The number is not content.
      where.push(`((${content} AND t.search_text ILIKE ${like}) OR t.number = ${p.add(f.q)})`);
    }
    if (f.cursor) where.push(`(t.created_at, t.id) < (${p.add(f.cursor.createdAt)}::timestamptz, ${p.add(f.cursor.id)}::uuid)`);
    return this.ds.query(
      `SELECT t.*, t.grid_path::text AS grid_path, ${content} AS content_visible,
              to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_exact
         FROM tickets t WHERE ${where.join(' AND ')}
        ORDER BY t.created_at DESC, t.id DESC LIMIT ${p.add(f.limit)}`, p.values);
  }

  async events(ticketId: string): Promise<EventRow[]> {
    return this.ds.query(
      `SELECT e.id::text, e.ticket_id, e.seq, e.action, e.actor_id, e.actor_role, u.display_name AS actor_name,
              e.from_status, e.to_status, e.note, e.data, e.at,
              coalesce((SELECT json_agg(json_build_object('id', a.id, 'contentType', a.content_type, 'sizeBytes', a.size_bytes) ORDER BY a.created_at, a.id)
                          FROM attachments a WHERE a.ticket_id = e.ticket_id AND a.event_id = e.id), '[]'::json) AS attachments
         FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id AND e.filed_at = t.created_at LEFT JOIN users u ON u.id = e.actor_id
        WHERE t.id = $1 ORDER BY e.seq`, [ticketId]);
  }

  /** Likely duplicates: same category, open, within a radius and a time window, similar text. */
  async duplicateCandidates(scope: TicketScope, c: { excludeId?: string; categoryCode: string; lat: number | null; lng: number | null; text: string; radiusM: number; windowHours: number }): Promise<Array<{ id: string; number: string; status: string; distance_m: number | null; similarity: number }>> {
    const p = new Params();
    const lat = p.add(c.lat);
    const lng = p.add(c.lng);
    // Equirectangular distance: exact enough at city scale, and needs no PostGIS.
    const distance = `CASE WHEN t.lat IS NULL OR ${lat}::float8 IS NULL THEN NULL ELSE
      6371000 * sqrt(power(radians(t.lat - ${lat}::float8), 2) + power(radians(t.lng - ${lng}::float8) * cos(radians(${lat}::float8)), 2)) END`;
    const text = p.add(c.text);
    const radius = p.add(c.radiusM);
    const common = `t.category_code = ${p.add(c.categoryCode)}
            AND t.status NOT IN ('closed','archived','voided','cancelled','merged')
            AND t.created_at > now() - make_interval(hours => ${p.add(c.windowHours)})
            AND t.id <> coalesce(${p.add(c.excludeId ?? null)}::uuid, '00000000-0000-0000-0000-000000000000')`;
    const select = `SELECT t.id, t.number, t.status, t.grid_path, t.unit_id, t.co_unit_ids, t.handler_id, t.platform, t.filed_by,
                           ${distance} AS distance_m, similarity(t.title || ' ' || t.description, ${text}) AS similarity FROM tickets t`;
    // A located filing: the tickets inside a bounding box of the radius (exactly, for this distance formula),
    // through the category's latitude band (tickets_dup_geo_idx), and the tickets without a location
    // (tickets_dup_noloc_idx). A filing without a location: every ticket of the category in the window.
    const candidates = c.lat !== null && c.lng !== null
      ? `${select} WHERE ${common}
            AND t.lat BETWEEN ${lat}::float8 - degrees(${radius}::float8 / 6371000) AND ${lat}::float8 + degrees(${radius}::float8 / 6371000)
            AND t.lng BETWEEN ${lng}::float8 - degrees(${radius}::float8 / (6371000 * cos(radians(${lat}::float8))))
                          AND ${lng}::float8 + degrees(${radius}::float8 / (6371000 * cos(radians(${lat}::float8))))
         UNION ALL
         ${select} WHERE ${common} AND t.lat IS NULL`
      : `${select} WHERE ${common}`;
    // Similarity is computed from the text, so only tickets whose content the caller may read are candidates (a
    // dispute's filer is not shown it: the score would let them probe its content).
    // The caller's scope filters the few candidates afterwards (OFFSET 0 keeps it out of the branches): inside
    // them, a prepared statement's generic plan, which cannot know how much of the tree the scope covers,
    // intersected the whole grid-path GiST index with the latitude band (48 ms instead of 1 ms).
    const content = contentClause(p, scope, 'x');
    const rows = await this.ds.query(prepared('tickets.duplicates',
      `SELECT x.id, x.number, x.status, x.distance_m, x.similarity FROM (${candidates} OFFSET 0) x
        WHERE ${scopeClause(p, scope, 'x', content)} AND ${content}
          AND (x.distance_m IS NULL OR x.distance_m <= ${radius}::float8) AND (x.similarity >= 0.2 OR x.distance_m <= 50)
        ORDER BY x.distance_m NULLS LAST, x.similarity DESC LIMIT 5`), p.values);
    return rows.map((r: { distance_m: number | null; similarity: number }) => ({ ...r, distance_m: r.distance_m === null ? null : Number(r.distance_m), similarity: Number(r.similarity) }));
  }

  /**
   * The merged tickets that follow `rootId` and are not settled yet (no `closedAt`): its children and, down
   * merge chains (a parent merged before its children were re-pointed, or while one was being merged into it),
   * their children, locked. Chains cannot loop (a merge refuses a merged parent), the depth bound is a guard.
   */
  async mergedDescendants(m: EntityManager, rootId: string): Promise<Array<{ id: string; parent_id: string }>> {
    const rows: Array<{ id: string; parent_id: string }> = await m.query(
      `WITH RECURSIVE d AS (
         SELECT id, parent_id, 1 AS depth FROM tickets WHERE parent_id = $1 AND status = 'merged'
         UNION ALL
         SELECT t.id, t.parent_id, d.depth + 1 FROM tickets t JOIN d ON t.parent_id = d.id
          WHERE t.status = 'merged' AND d.depth < 20)
       SELECT t.id::text, t.parent_id::text FROM tickets t
        WHERE t.id IN (SELECT id FROM d) AND t.closed_at IS NULL ORDER BY t.created_at, t.id FOR UPDATE OF t`, [rootId]);
    return rows;
  }

  /** Merged children of `fromId` now follow `toId` (version bumped); returns them with their new parent's number. */
  async repointMergedChildren(m: EntityManager, fromId: string, toId: string): Promise<Array<{ id: string; parent_number: string }>> {
    // UPDATE … RETURNING wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE.
    return m.query(
      `WITH u AS (
         UPDATE tickets t SET parent_id = p.id, version = t.version + 1, updated_at = now()
           FROM tickets p WHERE p.id = $2 AND t.parent_id = $1 AND t.status = 'merged'
         RETURNING t.id::text AS id, p.number AS parent_number)
       SELECT id, parent_number FROM u ORDER BY id`, [fromId, toId]);
  }

  /** Whether a user is an active handler (承办人) of a unit. */
  async isActiveHandlerOf(m: EntityManager, userId: string, unitId: string): Promise<boolean> {
    const rows: Array<{ ok: boolean }> = await m.query(
      `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND unit_id = $2 AND role = 'handler' AND active) AS ok`, [userId, unitId]);
    return rows[0]!.ok;
  }

  async clocks(m: EntityManager, ticketIds: string[]): Promise<ClockRow[]> {
    if (ticketIds.length === 0) return [];
    return m.query(prepared('tickets.clocks', `SELECT * FROM ticket_clocks WHERE ticket_id = ANY($1::uuid[]) ORDER BY created_at`), [ticketIds]);
  }

  /** Clocks of some tickets and the database time (outside any transaction). */
  async clocksWithNow(ticketIds: string[]): Promise<{ now: Date; clocks: ClockRow[] }> {
    const [{ now }] = (await this.ds.query(`SELECT now() AS now`)) as Array<{ now: Date }>;
    return { now: now!, clocks: await this.clocks(this.ds.manager, ticketIds) };
  }

  async liveClock(m: EntityManager, ticketId: string, stage: string): Promise<ClockRow | undefined> {
    const rows: ClockRow[] = await m.query(`SELECT * FROM ticket_clocks WHERE ticket_id = $1 AND stage = $2 AND state <> 'stopped'`, [ticketId, stage]);
    return rows[0];
  }

  async updateClock(m: EntityManager, id: string, patch: { state?: string; stopped_at?: Date | null; paused_at?: Date | null; pauses?: unknown; deadline?: Date | null; extension_seconds?: number; bumpVersion?: boolean }): Promise<void> {
    await m.query(
      `UPDATE ticket_clocks SET
          state = coalesce($2, state),
          stopped_at = CASE WHEN $3::boolean THEN $4 ELSE stopped_at END,
          paused_at = CASE WHEN $5::boolean THEN $6 ELSE paused_at END,
          pauses = coalesce($7::jsonb, pauses),
          deadline = CASE WHEN $8::boolean THEN $9 ELSE deadline END,
          extension_seconds = coalesce($10, extension_seconds),
          clock_version = clock_version + CASE WHEN $11::boolean THEN 1 ELSE 0 END
        WHERE id = $1`,
      [id, patch.state ?? null, 'stopped_at' in patch, patch.stopped_at ?? null, 'paused_at' in patch, patch.paused_at ?? null,
        patch.pauses === undefined ? null : JSON.stringify(patch.pauses), 'deadline' in patch, patch.deadline ?? null,
        patch.extension_seconds ?? null, patch.bumpVersion ?? false]);
  }

  async now(m: EntityManager): Promise<Date> {
    const rows: Array<{ now: Date }> = await m.query(`SELECT now() AS now`);
    return rows[0]!.now;
  }

  /**
   * A unit a ticket may be given to: `covers` when the unit's jurisdiction and the ticket's grid node lie on one
   * line of the tree (a city bureau for any ticket, a street's committee for its street's tickets, a community's
   * branch for a ticket filed at its street) — never another district's or another street's unit.
   */
  async unitForTicket(m: EntityManager, unitId: string, gridPath: string): Promise<{ active: boolean; covers: boolean } | undefined> {
    const rows: Array<{ active: boolean; covers: boolean }> = await m.query(
      `SELECT u.active, ($2::ltree <@ g.path OR g.path <@ $2::ltree) AS covers
         FROM units u JOIN grid_nodes g ON g.id = u.jurisdiction_node_id WHERE u.id = $1`, [unitId, gridPath]);
    return rows[0];
  }

  async unitType(unitId: string): Promise<string | null> {
    const rows: Array<{ type: string }> = await this.ds.query(`SELECT type FROM units WHERE id = $1`, [unitId]);
    return rows[0]?.type ?? null;
  }

  async gridNodeInScope(scopePath: string, id: string): Promise<{ id: string; path: string } | undefined> {
    const rows = await this.ds.query(`SELECT id, path::text AS path FROM grid_nodes WHERE id = $1 AND path <@ $2::ltree`, [id, scopePath]);
    return rows[0];
  }

  /** Records an attachment of a ticket that is still open; undefined (nothing written) once the ticket has ended. */
  /** The new attachment's id and its stored `created_at` (what the list shows later); undefined when the ticket has ended. */
  async insertAttachment(a: { ticketId: string; storageKey: string; contentType: string; size: number; sha256: string; uploadedBy: string }): Promise<{ id: string; created_at: Date } | undefined> {
    const rows: Array<{ id: string; created_at: Date }> = await this.ds.query(
      `INSERT INTO attachments (ticket_id, storage_key, content_type, size_bytes, sha256, uploaded_by)
       SELECT t.id, $2::text, $3::text, $4::int, $5::text, $6::uuid FROM tickets t
        WHERE t.id = $1 AND t.status NOT IN ('closed','archived','voided','cancelled','merged')
       RETURNING id, created_at`,
      [a.ticketId, a.storageKey, a.contentType, a.size, a.sha256, a.uploadedBy]);
    return rows[0];
  }

  /** Which of these storage keys an attachment row has (the orphan sweep keeps those files). */
  async existingStorageKeys(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows: Array<{ storage_key: string }> = await this.ds.query(`SELECT storage_key FROM attachments WHERE storage_key = ANY($1::text[])`, [keys]);
    return new Set(rows.map((r) => r.storage_key));
  }

  async linkAttachments(m: EntityManager, ticketId: string, ids: string[], eventId: string): Promise<number> {
    const rows: Array<{ n: number }> = await m.query(
      `WITH u AS (UPDATE attachments SET event_id = $3 WHERE ticket_id = $1 AND id = ANY($2::uuid[]) AND event_id IS NULL RETURNING 1)
       SELECT count(*)::int AS n FROM u`, [ticketId, ids, eventId]);
    return rows[0]!.n;
  }

  /** A ticket's attachments, only for a caller who sees the ticket and may read its content (attachments are content). */
  async attachments(scope: TicketScope, ticketId: string): Promise<Array<{ id: string; content_type: string; size_bytes: number; sha256: string; event_id: string | null; created_at: Date; storage_key: string }>> {
    const p = new Params();
    const idParam = p.add(ticketId);
    const content = contentClause(p, scope);
    return this.ds.query(
      `SELECT a.id, a.content_type, a.size_bytes, a.sha256, a.event_id::text, a.created_at, a.storage_key
         FROM attachments a JOIN tickets t ON t.id = a.ticket_id
        WHERE a.ticket_id = ${idParam} AND ${scopeClause(p, scope, 't', content)} AND ${content}
        ORDER BY a.created_at`, p.values);
  }
}
