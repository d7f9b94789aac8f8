import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { prepared } from '../../database/prepared-statements';
import type { TicketRow } from '../tickets/ticket-row.types';

export interface RuleRow {
  id: string;
  name: string;
  platform: string;
  category_codes: string[];
  category_prefix: string | null;
  grid_node_id: string;
  grid_path: string;
  window_start: string | null;
  window_end: string | null;
  unit_id: string;
  position: number;
  auto_register: boolean;
  auto_dispatch: boolean;
  active: boolean;
  /** Whether the rule's unit is still active: a deactivated unit's rules match nothing. */
  unit_active: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface RuleValues {
  name: string;
  platform: string;
  categoryCodes: string[];
  categoryPrefix: string | null;
  gridNodeId: string;
  windowStart: string | null;
  windowEnd: string | null;
  unitId: string;
  position: number;
  autoRegister: boolean;
  autoDispatch: boolean;
  active: boolean;
}

export interface QueueRow {
  id: string;
  number: string;
  platform: string;
  category_code: string;
  priority: string;
  title: string;
  status: string;
  grid_node_id: string;
  unit_id: string | null;
  co_unit_ids: string[];
  handler_id: string | null;
  suggested_unit_id: string | null;
  suggested_by_rule_id: string | null;
  bounce_count: number;
  ownerless: boolean;
  version: number;
  created_at: Date;
  deadline: Date | null;
  overdue: boolean;
  age_seconds: number;
}

export interface QueueSummaryRow {
  count: number;
  overdue_count: number;
  ownerless_count: number;
  oldest_age_seconds: number | null;
}

export interface RoutingTicketRow {
  id: string;
  status: string;
  version: number;
  platform: string;
  category_code: string;
  grid_path: string;
  last_action: string;
  last_actor_role: string;
  /** The filing instant (ISO): the routing job matches time windows against it, however late the job runs. */
  filed_at: string;
}

export interface UnitRow {
  id: string;
  code: string;
  type: string;
  active: boolean;
  jurisdiction_path: string;
}

const RULE_COLUMNS = `r.id, r.name, r.platform, r.category_codes, r.category_prefix, r.grid_node_id, g.path::text AS grid_path,
  to_char(r.window_start, 'HH24:MI') AS window_start, to_char(r.window_end, 'HH24:MI') AS window_end, r.unit_id, r.position,
  r.auto_register, r.auto_dispatch, r.active, (SELECT u.active FROM units u WHERE u.id = r.unit_id) AS unit_active, r.version,
  r.created_at, r.updated_at`;

const QUEUE_COLUMNS = `t.id, t.number, t.platform, t.category_code, t.priority, t.title, t.status, t.grid_node_id, t.unit_id, t.co_unit_ids,
  t.handler_id, t.suggested_unit_id, t.suggested_by_rule_id, t.bounce_count, t.ownerless, t.version, t.created_at`;

/** Who is looking at a queue: their subtree, and whether dispute cases (纠纷, protected) are theirs to see. */
export interface QueueScope {
  scopePath: string;
  seesDisputes: boolean;
  /** A handler's id: disputes already assigned to another mediator are left out for them. */
  assignedOnly?: string | null;
}

/** Routing rules, dispatch settings, the triage queue, unit inboxes and the claim. All SQL of dispatch lives here. */
@Injectable()
export class DispatchRepository {
  constructor(private readonly ds: DataSource) {}

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  // ── rules ──────────────────────────────────────────────────────────────────────────────────────────

  /**
   * The rules that decide the caller's tickets: those set in their subtree, and those set above it (a city rule
   * routes a district's tickets too), the latter marked read-only (`editable` false). In routing order.
   */
  async listRules(scopePath: string): Promise<Array<RuleRow & { editable: boolean }>> {
    return this.ds.query(
      `SELECT ${RULE_COLUMNS}, g.path <@ $1::ltree AS editable FROM dispatch_rules r JOIN grid_nodes g ON g.id = r.grid_node_id
        WHERE g.path <@ $1::ltree OR g.path @> $1::ltree ORDER BY r.position, r.id`, [scopePath]);
  }

  /** One rule the caller may read: set in their subtree (editable) or above it (read-only). */
  async readRule(scopePath: string, id: string): Promise<(RuleRow & { editable: boolean }) | undefined> {
    const rows: Array<RuleRow & { editable: boolean }> = await this.ds.query(
      `SELECT ${RULE_COLUMNS}, g.path <@ $2::ltree AS editable FROM dispatch_rules r JOIN grid_nodes g ON g.id = r.grid_node_id
        WHERE r.id = $1 AND (g.path <@ $2::ltree OR g.path @> $2::ltree)`, [id, scopePath]);
    return rows[0];
  }

  async findRule(scopePath: string, id: string, m: EntityManager = this.ds.manager, lock = false): Promise<RuleRow | undefined> {
    const rows: RuleRow[] = await m.query(
      `SELECT ${RULE_COLUMNS} FROM dispatch_rules r JOIN grid_nodes g ON g.id = r.grid_node_id
        WHERE r.id = $1 AND g.path <@ $2::ltree ${lock ? 'FOR UPDATE OF r' : ''}`, [id, scopePath]);
    return rows[0];
  }

  /** Active and inactive rules whose subtree covers this grid path (the ones a routing decision considers). */
  async rulesCovering(gridPath: string): Promise<RuleRow[]> {
    return this.ds.query(prepared('dispatch.rulesCovering',
      `SELECT ${RULE_COLUMNS} FROM dispatch_rules r JOIN grid_nodes g ON g.id = r.grid_node_id
        WHERE g.path @> $1::ltree ORDER BY r.position, r.id`), [gridPath]);
  }

  async insertRule(m: EntityManager, v: RuleValues, createdBy: string): Promise<string> {
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO dispatch_rules (name, platform, category_codes, category_prefix, grid_node_id, window_start, window_end, unit_id,
                                   position, auto_register, auto_dispatch, active, created_by)
       VALUES ($1, $2, $3::text[], $4, $5, $6::time, $7::time, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [v.name, v.platform, v.categoryCodes, v.categoryPrefix, v.gridNodeId, v.windowStart, v.windowEnd, v.unitId, v.position,
        v.autoRegister, v.autoDispatch, v.active, createdBy]);
    return rows[0]!.id;
  }

  async updateRule(m: EntityManager, id: string, v: RuleValues): Promise<void> {
    await m.query(
      `UPDATE dispatch_rules SET name = $2, platform = $3, category_codes = $4::text[], category_prefix = $5, grid_node_id = $6,
              window_start = $7::time, window_end = $8::time, unit_id = $9, position = $10, auto_register = $11, auto_dispatch = $12,
              active = $13, version = version + 1, updated_at = now()
        WHERE id = $1`,
      [id, v.name, v.platform, v.categoryCodes, v.categoryPrefix, v.gridNodeId, v.windowStart, v.windowEnd, v.unitId, v.position,
        v.autoRegister, v.autoDispatch, v.active]);
  }

  async deleteRule(m: EntityManager, id: string): Promise<void> {
    await m.query(`DELETE FROM dispatch_rules WHERE id = $1`, [id]);
  }

  // ── org lookups (read-only, within the caller's scope) ────────────────────────────────────────────

  async gridNodeInScope(scopePath: string, id: string): Promise<{ id: string; path: string } | undefined> {
    const rows = await this.ds.query(`SELECT id, path::text AS path FROM grid_nodes WHERE id = $1 AND path <@ $2::ltree`, [id, scopePath]);
    return rows[0];
  }

  /** A unit the caller may address: its jurisdiction lies inside their subtree or above it (a city unit serves a district). */
  async unitVisible(scopePath: string, id: string): Promise<UnitRow | undefined> {
    const rows: UnitRow[] = await this.ds.query(
      `SELECT u.id, u.code, u.type, u.active, j.path::text AS jurisdiction_path
         FROM units u JOIN grid_nodes j ON j.id = u.jurisdiction_node_id
        WHERE u.id = $1 AND (j.path <@ $2::ltree OR j.path @> $2::ltree)`, [id, scopePath]);
    return rows[0];
  }

  /** Category codes among `codes` that no current category of `platform` has. */
  async unknownCategories(platform: string, codes: readonly string[]): Promise<string[]> {
    if (codes.length === 0) return [];
    const rows: Array<{ code: string }> = await this.ds.query(
      `SELECT c.code FROM unnest($2::text[]) AS c(code)
        WHERE NOT EXISTS (SELECT 1 FROM categories k WHERE k.code = c.code AND k.platform = $1 AND k.superseded_at IS NULL)`, [platform, codes]);
    return rows.map((r) => r.code);
  }

  /** Whether a current category of `platform` has a code that starts with `prefix`. */
  async categoryPrefixUsed(platform: string, prefix: string): Promise<boolean> {
    const rows = await this.ds.query(
      `SELECT 1 FROM categories WHERE platform = $1 AND superseded_at IS NULL AND starts_with(code, $2) LIMIT 1`, [platform, prefix]);
    return rows.length > 0;
  }

  async unitById(id: string): Promise<UnitRow | undefined> {
    const rows: UnitRow[] = await this.ds.query(
      `SELECT u.id, u.code, u.type, u.active, j.path::text AS jurisdiction_path
         FROM units u JOIN grid_nodes j ON j.id = u.jurisdiction_node_id WHERE u.id = $1`, [id]);
    return rows[0];
  }

  /** Fallback: the active command centre whose jurisdiction is the nearest ancestor (or self) of the grid node. */
  async fallbackCentre(gridPath: string): Promise<UnitRow | undefined> {
    const rows: UnitRow[] = await this.ds.query(
      `SELECT u.id, u.code, u.type, u.active, j.path::text AS jurisdiction_path
         FROM units u JOIN grid_nodes j ON j.id = u.jurisdiction_node_id
        WHERE u.type = 'command_centre' AND u.active AND j.path @> $1::ltree
        ORDER BY nlevel(j.path) DESC, u.code LIMIT 1`, [gridPath]);
    return rows[0];
  }

  /** Local time of day in Asia/Shanghai, by the database clock (or at a given instant), as 'HH:MM'. */
  async localTime(at?: string): Promise<string> {
    const rows: Array<{ hm: string }> = await this.ds.query(
      `SELECT to_char(coalesce($1::timestamptz, now()) AT TIME ZONE 'Asia/Shanghai', 'HH24:MI') AS hm`, [at ?? null]);
    return rows[0]!.hm;
  }

  // ── tickets, as routing and the dry-run see them ───────────────────────────────────────────────────

  async ticketForRouting(id: string, scopePath?: string): Promise<RoutingTicketRow | undefined> {
    const rows: RoutingTicketRow[] = await this.ds.query(prepared('dispatch.ticketForRouting',
      `SELECT t.id, t.status, t.version, t.platform, t.category_code, t.grid_path::text AS grid_path,
              e.action AS last_action, e.actor_role AS last_actor_role,
              to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS filed_at
         FROM tickets t
         JOIN LATERAL (SELECT action, actor_role FROM ticket_events WHERE ticket_id = t.id AND filed_at = t.created_at ORDER BY seq DESC LIMIT 1) e ON true
        WHERE t.id = $1 AND ($2::ltree IS NULL OR t.grid_path <@ $2::ltree)`), [id, scopePath ?? null]);
    return rows[0];
  }

  /**
   * Tickets the routing job should have handled by now: still `reported` (or `registered` by the routing job
   * itself, which stopped before dispatching), filed between `minAgeMs` and `maxAgeMs` ago. Oldest first.
   */
  async unroutedTickets(minAgeMs: number, maxAgeMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(
      `SELECT t.id FROM tickets t
         JOIN LATERAL (SELECT action, actor_role FROM ticket_events WHERE ticket_id = t.id AND filed_at = t.created_at ORDER BY seq DESC LIMIT 1) e ON true
        WHERE t.status IN ('reported', 'registered')
          AND t.created_at BETWEEN now() - make_interval(secs => $2 / 1000.0) AND now() - make_interval(secs => $1 / 1000.0)
          AND (t.status = 'reported' OR (e.action = 'register' AND e.actor_role = 'system'))
        ORDER BY t.created_at LIMIT $3`, [minAgeMs, maxAgeMs, limit]);
    return rows.map((r) => r.id);
  }

  // ── dispatch settings ──────────────────────────────────────────────────────────────────────────────

  async settings(unitId: string, m?: EntityManager, lock = false): Promise<{ auto_assign: boolean }> {
    const rows: Array<{ auto_assign: boolean }> = await (m ?? this.ds).query(
      `SELECT auto_assign FROM unit_dispatch_settings WHERE unit_id = $1${lock ? ' FOR UPDATE' : ''}`, [unitId]);
    return rows[0] ?? { auto_assign: false };
  }

  async saveSettings(m: EntityManager, unitId: string, autoAssign: boolean): Promise<void> {
    await m.query(
      `INSERT INTO unit_dispatch_settings (unit_id, auto_assign) VALUES ($1, $2)
       ON CONFLICT (unit_id) DO UPDATE SET auto_assign = EXCLUDED.auto_assign, updated_at = now()`, [unitId, autoAssign]);
  }

  // ── queues ─────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Triage 待处理: reported, registered (待派遣) and returned tickets in the subtree, most urgent first — earliest
   * running clock deadline, then priority, then age. A registered party_building ticket is in the volunteers'
   * claim pool (待认领), not waiting for a dispatcher.
   */
  async triage(scope: QueueScope, filter: { ownerless?: boolean; limit: number }): Promise<{ items: QueueRow[]; summary: QueueSummaryRow }> {
    const where = `(t.status IN ('reported', 'returned') OR (t.status = 'registered' AND t.platform <> 'party_building')) AND t.grid_path <@ $1::ltree
      AND (t.platform <> 'dispute_resolution' OR $2::boolean) AND ($3::boolean IS NULL OR t.ownerless = $3::boolean)`;
    const params = [scope.scopePath, scope.seesDisputes, filter.ownerless ?? null];
    const deadline = `LEFT JOIN LATERAL (SELECT min(c.deadline) AS deadline FROM ticket_clocks c WHERE c.ticket_id = t.id AND c.state = 'running') d ON true`;
    const items: QueueRow[] = await this.ds.query(
      `SELECT ${QUEUE_COLUMNS}, d.deadline, coalesce(d.deadline < now(), false) AS overdue,
              floor(extract(epoch FROM now() - t.created_at))::int AS age_seconds
         FROM tickets t ${deadline}
        WHERE ${where}
        ORDER BY d.deadline ASC NULLS LAST, dispatch_priority_rank(t.priority), t.created_at, t.id
        LIMIT $4`, [...params, filter.limit]);
    const [summary] = await this.ds.query(
      `SELECT count(*)::int AS count, (count(*) FILTER (WHERE d.deadline < now()))::int AS overdue_count,
              (count(*) FILTER (WHERE t.ownerless))::int AS ownerless_count,
              floor(extract(epoch FROM now() - min(t.created_at)))::int AS oldest_age_seconds
         FROM tickets t ${deadline} WHERE ${where}`, params);
    return { items, summary };
  }

  /** A unit's inbox 待签收: dispatched to it, not yet signed, in claim order. */
  async inbox(unitId: string, scope: QueueScope, limit: number): Promise<{ items: QueueRow[]; summary: QueueSummaryRow }> {
    const where = `i.unit_id = $1 AND t.status = 'dispatched' AND t.grid_path <@ $2::ltree
      AND (t.platform <> 'dispute_resolution' OR ($3::boolean AND ($4::uuid IS NULL OR t.handler_id IS NULL OR t.handler_id = $4::uuid)))`;
    const params = [unitId, scope.scopePath, scope.seesDisputes, scope.assignedOnly ?? null];
    const items: QueueRow[] = await this.ds.query(
      `SELECT ${QUEUE_COLUMNS}, i.deadline, coalesce(i.deadline < now(), false) AS overdue,
              floor(extract(epoch FROM now() - t.created_at))::int AS age_seconds
         FROM dispatch_inbox i JOIN tickets t ON t.id = i.ticket_id
        WHERE ${where}
        ORDER BY i.deadline, i.priority_rank, i.created_at, i.ticket_id
        LIMIT $5`, [...params, limit]);
    const [summary] = await this.ds.query(
      `SELECT count(*)::int AS count, (count(*) FILTER (WHERE i.deadline < now()))::int AS overdue_count,
              (count(*) FILTER (WHERE t.ownerless))::int AS ownerless_count,
              floor(extract(epoch FROM now() - min(t.created_at)))::int AS oldest_age_seconds
         FROM dispatch_inbox i JOIN tickets t ON t.id = i.ticket_id WHERE ${where}`, params);
    return { items, summary };
  }

  /**
   * claim-next 领取: the `limit` most urgent tickets of the unit's inbox that no one else is taking right now,
   * locked, as full rows with the database time and the unit's type. The inbox index is walked in claim
   * order; rows locked by a concurrent claim are skipped, and a row whose claim committed meanwhile fails the
   * re-checked `status = 'dispatched'`. A ticket already assigned to a handler (自动分派, or named by the dispatcher)
   * is a candidate only for that handler while they are an active handler of the unit — once they are deactivated or
   * move to another unit, it is anyone's again, not stuck (going off duty only stops new assignments: what is theirs
   * waits for them). A dispute stays its mediator's (its content is theirs alone): a dispatcher reassigns it. The
   * caller's scope path bounds the candidates too.
   */
  async lockNextCandidates(m: EntityManager, unitId: string, handlerIds: readonly string[], scopePath: string, limit: number): Promise<Array<TicketRow & { db_now: Date; unit_type: string | null }>> {
    return m.query(prepared('dispatch.claimCandidates',
      `SELECT t.*, t.grid_path::text AS grid_path, now() AS db_now, (SELECT u.type FROM units u WHERE u.id = $1) AS unit_type
         FROM dispatch_inbox i JOIN tickets t ON t.id = i.ticket_id
        WHERE i.unit_id = $1 AND t.unit_id = $1 AND t.status = 'dispatched'
          AND (t.handler_id IS NULL OR t.handler_id = ANY($2::uuid[])
               OR (t.platform <> 'dispute_resolution'
                   AND NOT EXISTS (SELECT 1 FROM users h WHERE h.id = t.handler_id AND h.unit_id = $1 AND h.role = 'handler' AND h.active)))
          AND t.grid_path <@ $3::ltree
        ORDER BY i.deadline, i.priority_rank, i.created_at, i.ticket_id
        LIMIT $4
        FOR UPDATE OF t SKIP LOCKED`), [unitId, handlerIds, scopePath, limit]);
  }
}
