import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { CalendarDefinition } from '../../../libs/sla-calendar';
import type { ClockRow } from '../tickets/ticket-clock.types';
import type { PolicyDefinition } from './sla-policy';
import { prepared } from '../../database/prepared-statements';

/** A clock as the SLA engine reads it, with what it needs of its ticket. */
export interface SlaClockRow extends ClockRow {
  grid_path: string;
  platform: string;
  priority: string;
  unit_id: string | null;
  category_id: string;
  case_standard_id: string | null;
  ticket_status: string;
}

/** A ticket as a recomputation reads it. */
export interface RecomputeTicketRow {
  id: string;
  status: string;
  platform: string;
  grid_path: string;
  priority: string;
  unit_id: string | null;
  category_id: string;
  case_standard_id: string | null;
}

/** What a recomputation writes to a clock: the replayed facts and the plan under the current versions. */
export interface ReplayedClockWrite {
  state: 'running' | 'paused' | 'stopped';
  startedAt: Date;
  stoppedAt: Date | null;
  pausedAt: Date | null;
  pauses: Array<{ from: string; to: string }>;
  extensionSeconds: number;
  limitSeconds: number | null;
  limitDays: number | null;
  clockType: string;
  startNextWorkingDay: boolean;
  deadline: Date | null;
  policyCode: string;
  policyVersion: number;
  calendarKey: string;
  calendarVersions: Record<string, number>;
}

function replayedClockParams(s: ReplayedClockWrite): unknown[] {
  return [s.state, s.startedAt, s.stoppedAt, s.pausedAt, JSON.stringify(s.pauses), s.extensionSeconds, s.limitSeconds, s.limitDays, s.clockType,
    s.startNextWorkingDay, s.deadline, s.policyCode, s.policyVersion, s.calendarKey, JSON.stringify(s.calendarVersions)];
}

export interface TimerInsert {
  threshold: string;
  kind: string;
  level: string | null;
  dueAt: Date;
}

/** A clock to start with its SLA columns and timers (`SlaRepository.startClock`). */
export interface StartClockInsert {
  id: string;
  ticketId: string;
  stage: string;
  platform: string;
  gridPath: string;
  clockType: string;
  limitSeconds: number | null;
  limitDays: number | null;
  startNextWorkingDay: boolean;
  startedAt: Date;
  deadline: Date | null;
  calendarVersions: Record<string, number>;
  policyCode: string;
  policyVersion: number;
  calendarKey: string;
  timers: TimerInsert[];
}

/** The checks of one clock of `startClocks` and, when they all passed, the new clock. */
export interface StartClockResult {
  free: boolean;
  policyCurrent: boolean;
  calendarCurrent: boolean;
  clock: ClockRow | null;
}

export interface FiringRow {
  id: string;
  clock_id: string;
  ticket_id: string;
  stage: string;
  threshold: string;
  clock_version: number;
  kind: 'remind' | 'warning' | 'breach' | 'supervise' | 'notice';
  level: string | null;
  due_at: Date;
  fired_at: Date;
  via: string;
  action_state: string;
  action_result: string | null;
  notified_at: Date | null;
  /** 督办 / 通报 only: the level the ladder step names, and the command centre (指挥中心) of that level over the ticket. */
  target: 'district' | 'city' | null;
  target_unit_id: string | null;
}

/** A timer's key (clock, threshold, clock version) and its ticket, as the batch firing locks it. */
export interface DueTimerKey {
  clock_id: string;
  threshold: string;
  clock_version: number;
  ticket_id: string;
}

export interface VersionedRow<T> {
  code: string;
  version: number;
  definition: T;
  note: string | null;
  created_at: Date;
}

const CLOCK_SELECT = `SELECT c.*, t.grid_path::text AS grid_path, t.platform, t.priority, t.unit_id, t.category_id, t.case_standard_id, t.status AS ticket_status
  FROM ticket_clocks c JOIN tickets t ON t.id = c.ticket_id`;

/** All SQL of the SLA context: calendars, policies, clocks' SLA columns, timers, firings, dead letters. */
/**
 * The escalation level of a ladder firing (督办, 通报): the `target` its policy version's ladder step names — by
 * default the district for 督办 and the city for 通报. Null for the other kinds. A CASE, so the lookup runs for
 * ladder firings only.
 */
function ladderTargetSql(kind: string, threshold: string, policyCode: string, policyVersion: string): string {
  return `CASE WHEN ${kind} IN ('supervise', 'notice') THEN coalesce(
           (SELECT s->>'target' FROM sla_policy_versions pv CROSS JOIN LATERAL jsonb_array_elements(pv.definition->'ladder') s
             WHERE pv.code = ${policyCode} AND pv.version = ${policyVersion} AND s->>'code' = ${threshold} LIMIT 1),
           CASE ${kind} WHEN 'supervise' THEN 'district' ELSE 'city' END) END`;
}

/**
 * The command centre an escalation goes to: the active command centre over the ticket's grid node at the
 * target's level — the district's (区级指挥中心, jurisdiction at the second level of the grid tree; the city's when
 * the district has none) or the city's (市级, the root). Null when `target` is null or no centre covers the node.
 */
function targetUnitSql(target: string, ticketId: string): string {
  return `CASE WHEN ${target} IS NOT NULL THEN (
           SELECT u.id FROM tickets tt JOIN grid_nodes j ON j.path @> tt.grid_path JOIN units u ON u.jurisdiction_node_id = j.id
            WHERE tt.id = ${ticketId} AND u.type = 'command_centre' AND u.active AND (${target} = 'city' OR nlevel(j.path) <= 2)
            ORDER BY CASE WHEN ${target} = 'city' THEN nlevel(j.path) ELSE -nlevel(j.path) END, u.code LIMIT 1) END`;
}

/**
 * What every firing in CTE `ins` (rows of `sla_firings` just inserted) does in the same statement: marks its
 * timer fired, records the threshold and colour on the clock, raises the ticket's SLA alert flag (预警标记
 * `tickets.sla_alert`, the highest colour fired on its live clocks; the version stays, as for the event; a clock
 * that stops lowers it again, by trigger — migration 1764400000000), appends the ticket event (except 督办, which
 * goes through the workflow) with `status` as the ticket's status, and writes the notification to the outbox.
 * `ins` must return `fired_at`; at most one firing per ticket per statement (the callers guarantee it).
 */
function firingEffectsCtes(status: string): string {
  return `upd AS (
         UPDATE sla_timers s SET state = 'fired' FROM ins
          WHERE s.clock_id = ins.clock_id AND s.threshold = ins.threshold AND s.clock_version = ins.clock_version),
       mark AS (
         UPDATE ticket_clocks k SET
           thresholds_fired = CASE WHEN ins.threshold = ANY(k.thresholds_fired) THEN k.thresholds_fired ELSE array_append(k.thresholds_fired, ins.threshold) END,
           level = CASE WHEN ins.level IS NULL THEN k.level
                        WHEN k.level IS NULL OR array_position(ARRAY['blue','yellow','red'], ins.level) > array_position(ARRAY['blue','yellow','red'], k.level) THEN ins.level
                        ELSE k.level END
         FROM ins WHERE k.id = ins.clock_id),
       alert AS (
         UPDATE tickets t SET sla_alert = ins.level, sla_alerted_at = ins.fired_at
           FROM ins WHERE t.id = ins.ticket_id AND ins.level IS NOT NULL
            AND (t.sla_alert IS NULL OR array_position(ARRAY['blue','yellow','red'], ins.level) > array_position(ARRAY['blue','yellow','red'], t.sla_alert))),
       ev AS (
         INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_id, actor_role, from_status, to_status, note, data)
         SELECT ins.ticket_id, t.created_at, (SELECT coalesce(max(e.seq), 0) + 1 FROM ticket_events e WHERE e.ticket_id = ins.ticket_id AND e.filed_at = t.created_at),
                'sla-' || ins.kind, NULL, 'system', ${status}, ${status},
                CASE ins.kind WHEN 'remind' THEN '催办 reminder' WHEN 'warning' THEN '预警 warning' WHEN 'breach' THEN '超期 breach' ELSE '通报 public notice' END || ' (' || ins.stage || ')'
                  || CASE WHEN ins.target_unit_id IS NULL THEN '' ELSE coalesce(' → ' || (SELECT tu.name_zh || ' ' || tu.code FROM units tu WHERE tu.id = ins.target_unit_id), '') END,
                jsonb_build_object('clockId', ins.clock_id, 'stage', ins.stage, 'threshold', ins.threshold, 'kind', ins.kind, 'level', ins.level,
                  'clockVersion', ins.clock_version, 'dueAt', to_char(ins.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'firingId', ins.id::text)
                  || CASE WHEN ins.target IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('target', ins.target, 'targetUnitId', ins.target_unit_id) END
           FROM ins JOIN tickets t ON t.id = ins.ticket_id WHERE ins.kind <> 'supervise'),
       ob AS (
         INSERT INTO outbox (job_name, job_id, payload)
         SELECT 'sla.notify', 'sla-notify-' || ins.id, jsonb_build_object('firingId', ins.id::text) FROM ins
         ON CONFLICT (job_id) DO NOTHING)`;
}

/**
 * The `sla.fire` outbox rows of the timers in CTE `from` (columns clock_id, threshold, clock_version, due_at),
 * optionally only those matching `where`: the outbox contract — job name, deterministic job id
 * `sla-fire-<clock>-<threshold>-v<version>`, payload, run at the due instant.
 */
function fireJobsInsert(from: string, where?: string): string {
  return `INSERT INTO outbox (job_name, job_id, payload, run_at)
         SELECT 'sla.fire', 'sla-fire-' || ${from}.clock_id::text || '-' || ${from}.threshold || '-v' || ${from}.clock_version,
                jsonb_build_object('clockId', ${from}.clock_id::text, 'threshold', ${from}.threshold, 'clockVersion', ${from}.clock_version), ${from}.due_at
           FROM ${from}${where ? ` WHERE ${where}` : ''}
         ON CONFLICT (job_id) DO NOTHING`;
}

/**
 * CTEs `start` and `chain` of the calendar chain for the grid path in SQL parameter `pathParam`: the most specific
 * calendar whose node contains the path (else the root), then its ancestors; `chain` has code, parent_code,
 * current_version and depth (0 = most specific).
 */
function calendarChainCtes(pathParam: string): string {
  return `start AS (
         SELECT coalesce(
           (SELECT k.code FROM sla_calendars k JOIN grid_nodes g ON g.id = k.grid_node_id
             WHERE ${pathParam}::ltree <@ g.path ORDER BY nlevel(g.path) DESC LIMIT 1),
           (SELECT code FROM sla_calendars WHERE parent_code IS NULL)) AS code),
       chain AS (
         SELECT k.code, k.parent_code, k.current_version, 0 AS depth FROM sla_calendars k JOIN start s ON s.code = k.code
         UNION ALL
         SELECT p.code, p.parent_code, p.current_version, chain.depth + 1 FROM sla_calendars p JOIN chain ON chain.parent_code = p.code)`;
}

@Injectable()
export class SlaRepository {
  constructor(private readonly ds: DataSource) {}

  get manager(): EntityManager {
    return this.ds.manager;
  }

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  async now(m: EntityManager = this.ds.manager): Promise<Date> {
    const rows: Array<{ now: Date }> = await m.query(`SELECT clock_timestamp() AS now`);
    return rows[0]!.now;
  }

  // ── calendars ──────────────────────────────────────────────────────────────

  /** The calendar chain (root first, current versions) of the most specific calendar whose node contains `gridPath`. */
  async currentChainFor(m: EntityManager, gridPath: string): Promise<Array<{ code: string; version: number }>> {
    return m.query(`WITH RECURSIVE ${calendarChainCtes('$1')} SELECT code, current_version AS version FROM chain ORDER BY depth DESC`, [gridPath]);
  }

  async calendarVersions(m: EntityManager, pairs: Array<{ code: string; version: number }>): Promise<Array<{ code: string; version: number; definition: CalendarDefinition }>> {
    return m.query(
      `SELECT v.code, v.version, v.definition FROM sla_calendar_versions v
         JOIN unnest($1::text[], $2::int[]) AS p(code, version) ON p.code = v.code AND p.version = v.version`,
      [pairs.map((p) => p.code), pairs.map((p) => p.version)]);
  }

  /** Calendars an admin scoped to `scopePath` sees: those of no grid node (national) and those of their subtree. */
  async listCalendars(scopePath: string): Promise<Array<{ code: string; parent_code: string | null; grid_node_id: string | null; current_version: number; updated_at: Date }>> {
    return this.ds.query(
      `SELECT c.code, c.parent_code, c.grid_node_id, c.current_version, c.updated_at
         FROM sla_calendars c LEFT JOIN grid_nodes g ON g.id = c.grid_node_id
        WHERE c.grid_node_id IS NULL OR g.path <@ $1::ltree
        ORDER BY c.parent_code NULLS FIRST, c.code`, [scopePath]);
  }

  /** A calendar at its current version, with the path of its grid node (null for a national calendar). */
  async calendar(m: EntityManager, code: string, lock = false): Promise<{
    code: string; parent_code: string | null; grid_node_id: string | null; grid_path: string | null; current_version: number; definition: CalendarDefinition; updated_at: Date;
  } | undefined> {
    const rows = await m.query(
      `SELECT c.code, c.parent_code, c.grid_node_id, g.path::text AS grid_path, c.current_version, c.updated_at, v.definition
         FROM sla_calendars c JOIN sla_calendar_versions v ON v.code = c.code AND v.version = c.current_version
         LEFT JOIN grid_nodes g ON g.id = c.grid_node_id
        WHERE c.code = $1 ${lock ? 'FOR UPDATE OF c' : ''}`, [code]);
    return rows[0];
  }

  async calendarHistory(code: string): Promise<Array<VersionedRow<CalendarDefinition>>> {
    return this.ds.query(`SELECT code, version, definition, note, created_at FROM sla_calendar_versions WHERE code = $1 ORDER BY version`, [code]);
  }

  async insertCalendar(m: EntityManager, c: { code: string; parentCode: string; gridNodeId: string }): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO sla_calendars (code, parent_code, grid_node_id, current_version) VALUES ($1, $2, $3, 1) ON CONFLICT DO NOTHING RETURNING code`,
      [c.code, c.parentCode, c.gridNodeId]);
    return rows.length === 1;
  }

  async addCalendarVersion(m: EntityManager, code: string, version: number, definition: CalendarDefinition, note: string | null, userId: string | null): Promise<void> {
    await m.query(`INSERT INTO sla_calendar_versions (code, version, definition, note, created_by) VALUES ($1, $2, $3, $4, $5)`,
      [code, version, JSON.stringify(definition), note, userId]);
    await m.query(`UPDATE sla_calendars SET current_version = $2, updated_at = now() WHERE code = $1`, [code, version]);
  }

  /** Calendars whose node lies strictly below `path` and whose parent is `parentCode`, locked: a new calendar at `path` goes between. */
  async calendarsBelow(m: EntityManager, path: string, parentCode: string): Promise<Array<{ code: string; current_version: number; definition: CalendarDefinition }>> {
    return m.query(
      `SELECT c.code, c.current_version, v.definition
         FROM sla_calendars c JOIN grid_nodes g ON g.id = c.grid_node_id JOIN sla_calendar_versions v ON v.code = c.code AND v.version = c.current_version
        WHERE g.path <@ $1::ltree AND g.path <> $1::ltree AND c.parent_code = $2 ORDER BY c.code FOR UPDATE OF c`, [path, parentCode]);
  }

  async setCalendarParent(m: EntityManager, code: string, parentCode: string): Promise<void> {
    await m.query(`UPDATE sla_calendars SET parent_code = $2, updated_at = now() WHERE code = $1`, [code, parentCode]);
  }

  async gridNodePath(m: EntityManager, id: string, scopePath: string): Promise<string | undefined> {
    const rows: Array<{ path: string }> = await m.query(`SELECT path::text AS path FROM grid_nodes WHERE id = $1 AND path <@ $2::ltree`, [id, scopePath]);
    return rows[0]?.path;
  }

  // ── policies ───────────────────────────────────────────────────────────────

  async currentPolicyFor(m: EntityManager, platform: string): Promise<VersionedRow<PolicyDefinition>> {
    const rows = await m.query(
      `SELECT p.code, p.current_version AS version, v.definition, v.note, v.created_at
         FROM sla_policies p JOIN sla_policy_versions v ON v.code = p.code AND v.version = p.current_version
        WHERE p.platform = $1 OR p.platform IS NULL ORDER BY p.platform NULLS LAST LIMIT 1`, [platform]);
    return rows[0];
  }

  async policyVersion(m: EntityManager, code: string, version: number): Promise<VersionedRow<PolicyDefinition> | undefined> {
    const rows = await m.query(`SELECT code, version, definition, note, created_at FROM sla_policy_versions WHERE code = $1 AND version = $2`, [code, version]);
    return rows[0];
  }

  async listPolicies(): Promise<Array<{ code: string; platform: string | null; current_version: number; definition: PolicyDefinition; updated_at: Date }>> {
    return this.ds.query(
      `SELECT p.code, p.platform, p.current_version, p.updated_at, v.definition
         FROM sla_policies p JOIN sla_policy_versions v ON v.code = p.code AND v.version = p.current_version ORDER BY p.platform NULLS FIRST, p.code`);
  }

  async policyForUpdate(m: EntityManager, code: string): Promise<{ code: string; platform: string | null; current_version: number; definition: PolicyDefinition } | undefined> {
    const rows = await m.query(
      `SELECT p.code, p.platform, p.current_version, v.definition
         FROM sla_policies p JOIN sla_policy_versions v ON v.code = p.code AND v.version = p.current_version
        WHERE p.code = $1 FOR UPDATE OF p`, [code]);
    return rows[0];
  }

  async insertPolicy(m: EntityManager, code: string, platform: string): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO sla_policies (code, platform, current_version) VALUES ($1, $2, 1) ON CONFLICT DO NOTHING RETURNING code`, [code, platform]);
    return rows.length === 1;
  }

  async platformExists(m: EntityManager, platform: string): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM platforms WHERE code = $1`, [platform]);
    return rows.length === 1;
  }

  async addPolicyVersion(m: EntityManager, code: string, version: number, definition: PolicyDefinition, note: string | null, userId: string | null): Promise<void> {
    await m.query(`INSERT INTO sla_policy_versions (code, version, definition, note, created_by) VALUES ($1, $2, $3, $4, $5)`,
      [code, version, JSON.stringify(definition), note, userId]);
    await m.query(`UPDATE sla_policies SET current_version = $2, updated_at = now() WHERE code = $1`, [code, version]);
  }

  // ── clocks ─────────────────────────────────────────────────────────────────

  async clock(m: EntityManager, id: string, lock = false): Promise<SlaClockRow | undefined> {
    const rows = await m.query(`${CLOCK_SELECT} WHERE c.id = $1 ${lock ? 'FOR UPDATE OF c' : ''}`, [id]);
    return rows[0];
  }

  async setClockSla(m: EntityManager, id: string, s: { policyCode: string; policyVersion: number; calendarKey: string }): Promise<void> {
    await m.query(`UPDATE ticket_clocks SET policy_code = $2, policy_version = $3, calendar_key = $4 WHERE id = $1`, [id, s.policyCode, s.policyVersion, s.calendarKey]);
  }

  /** A recomputation: new limit, deadline and versions, and a new clock version (so old timers go stale). */
  async recomputeClock(m: EntityManager, id: string, s: {
    limitSeconds: number | null; limitDays: number | null; clockType: string; startNextWorkingDay: boolean; deadline: Date | null;
    policyCode: string; policyVersion: number; calendarKey: string; calendarVersions: Record<string, number>;
  }): Promise<number> {
    const rows: Array<{ clock_version: number }> = await m.query(
      `WITH u AS (UPDATE ticket_clocks SET limit_seconds = $2, limit_days = $3, clock_type = $4, start_next_working_day = $5, deadline = $6,
          policy_code = $7, policy_version = $8, calendar_key = $9, calendar_versions = $10, clock_version = clock_version + 1
        WHERE id = $1 RETURNING clock_version) SELECT clock_version FROM u`,
      [id, s.limitSeconds, s.limitDays, s.clockType, s.startNextWorkingDay, s.deadline, s.policyCode, s.policyVersion, s.calendarKey,
        JSON.stringify(s.calendarVersions)]);
    return rows[0]!.clock_version;
  }

  /** Clocks of the tickets inside the caller's subtree that match the filter (not locked: the caller locks ticket, then clock). */
  async clocksToRecompute(m: EntityManager, f: { ticketIds?: string[]; platform?: string; categoryCode?: string; status?: string[]; includeStopped: boolean; limit: number; scopePath: string }): Promise<SlaClockRow[]> {
    const params: unknown[] = [];
    const add = (v: unknown) => { params.push(v); return `$${params.length}`; };
    const where: string[] = [`t.grid_path <@ ${add(f.scopePath)}::ltree`];
    if (f.ticketIds) where.push(`t.id = ANY(${add(f.ticketIds)}::uuid[])`);
    if (f.platform) where.push(`t.platform = ${add(f.platform)}`);
    if (f.categoryCode) where.push(`t.category_code = ${add(f.categoryCode)}`);
    if (f.status) where.push(`t.status = ANY(${add(f.status)}::text[])`);
    if (!f.includeStopped) where.push(`c.state <> 'stopped'`);
    return m.query(`${CLOCK_SELECT} WHERE ${where.join(' AND ')} ORDER BY c.created_at, c.id LIMIT ${add(f.limit)}`, params);
  }

  // ── recomputation from the event log (重算) ────────────────────────────────

  /**
   * Tickets inside the caller's subtree that match a recompute filter, oldest first, at most `limit`. Without
   * `includeStopped`, only tickets that are open or still have a live clock (a closed ticket with a live clock is
   * a clock to repair).
   */
  async ticketsToRecompute(m: EntityManager, f: { ticketIds?: string[]; platform?: string; categoryCode?: string; status?: string[]; includeStopped: boolean; limit: number; scopePath: string; afterTicketId?: string }): Promise<RecomputeTicketRow[]> {
    const params: unknown[] = [];
    const add = (v: unknown) => { params.push(v); return `$${params.length}`; };
    const where: string[] = [`t.grid_path <@ ${add(f.scopePath)}::ltree`];
    if (f.afterTicketId) where.push(`(t.created_at, t.id) > (SELECT a.created_at, a.id FROM tickets a WHERE a.id = ${add(f.afterTicketId)}::uuid)`);
    if (f.ticketIds) where.push(`t.id = ANY(${add(f.ticketIds)}::uuid[])`);
    if (f.platform) where.push(`t.platform = ${add(f.platform)}`);
    if (f.categoryCode) where.push(`t.category_code = ${add(f.categoryCode)}`);
    if (f.status) where.push(`t.status = ANY(${add(f.status)}::text[])`);
    if (!f.includeStopped) {
      where.push(`(t.status NOT IN ('closed','archived','voided','cancelled','merged')
        OR EXISTS (SELECT 1 FROM ticket_clocks c WHERE c.ticket_id = t.id AND c.state <> 'stopped'))`);
    }
    return m.query(
      `SELECT t.id, t.status, t.platform, t.grid_path::text AS grid_path, t.priority, t.unit_id, t.category_id, t.case_standard_id
         FROM tickets t WHERE ${where.join(' AND ')} ORDER BY t.created_at, t.id LIMIT ${add(f.limit)}`, params);
  }

  /** A ticket's event log in order, as the clock replay reads it. */
  async eventsForReplay(m: EntityManager, ticketId: string): Promise<Array<{ action: string; from_status: string | null; to_status: string; at: Date; data: Record<string, unknown> }>> {
    return m.query(
      `SELECT e.action, e.from_status, e.to_status, e.at, e.data
         FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id AND e.filed_at = t.created_at WHERE t.id = $1 ORDER BY e.seq`, [ticketId]);
  }

  /** Every clock of a ticket in the order it was started, locked (the caller holds the ticket lock). */
  async clocksOfTicket(m: EntityManager, ticketId: string): Promise<SlaClockRow[]> {
    return m.query(`${CLOCK_SELECT} WHERE c.ticket_id = $1 ORDER BY c.created_at, c.id FOR UPDATE OF c`, [ticketId]);
  }

  /** A clock rewritten from the log: facts, limit, deadline and versions, and a new clock version (old timers go stale). */
  async rewriteClock(m: EntityManager, id: string, s: ReplayedClockWrite): Promise<number> {
    const rows: Array<{ clock_version: number }> = await m.query(
      `WITH u AS (UPDATE ticket_clocks SET state = $2, started_at = $3, stopped_at = $4, paused_at = $5, pauses = $6, extension_seconds = $7,
          limit_seconds = $8, limit_days = $9, clock_type = $10, start_next_working_day = $11, deadline = $12,
          policy_code = $13, policy_version = $14, calendar_key = $15, calendar_versions = $16, clock_version = clock_version + 1
        WHERE id = $1 RETURNING clock_version) SELECT clock_version FROM u`,
      [id, ...replayedClockParams(s)]);
    return rows[0]!.clock_version;
  }

  /**
   * A clock run the log implies but no row records (a repair): inserted with its facts, created at the instant of
   * the event that started it, so that clocks keep the order in which they were started.
   */
  async insertReplayedClock(m: EntityManager, ticketId: string, stage: string, createdAt: Date, s: ReplayedClockWrite): Promise<string> {
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO ticket_clocks (ticket_id, stage, created_at, state, started_at, stopped_at, paused_at, pauses, extension_seconds, limit_seconds, limit_days, clock_type,
          start_next_working_day, deadline, policy_code, policy_version, calendar_key, calendar_versions)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
      [ticketId, stage, createdAt, ...replayedClockParams(s)]);
    return rows[0]!.id;
  }

  /** A clock row no run of the log explains: stopped (if live) by the database clock, with a new clock version. */
  async stopUnexplainedClock(m: EntityManager, id: string): Promise<void> {
    await m.query(
      `UPDATE ticket_clocks SET state = 'stopped', stopped_at = coalesce(stopped_at, now()), paused_at = NULL, clock_version = clock_version + 1
        WHERE id = $1 AND state <> 'stopped'`, [id]);
  }

  // ── timers ─────────────────────────────────────────────────────────────────

  async cancelTimers(m: EntityManager, clockId: string, keepVersion: number | null): Promise<void> {
    await m.query(`UPDATE sla_timers SET state = 'cancelled' WHERE clock_id = $1 AND state = 'pending' AND ($2::int IS NULL OR clock_version <> $2)`, [clockId, keepVersion]);
  }

  /**
   * Writes a clock version's timers; returns those inserted that are due within `queueAheadSeconds` (marked
   * queued: the caller hands them to the outbox). The others wait for `queueUpcoming`.
   */
  async insertTimers(m: EntityManager, clockId: string, ticketId: string, version: number, timers: TimerInsert[], queueAheadSeconds: number): Promise<TimerInsert[]> {
    if (timers.length === 0) return [];
    const rows: Array<{ threshold: string }> = await m.query(
      `WITH ins AS (
         INSERT INTO sla_timers (clock_id, threshold, clock_version, ticket_id, kind, level, due_at, queued)
         SELECT $1, x.threshold, $2, $3, x.kind, x.level, x.due_at, x.due_at <= now() + make_interval(secs => $8::int)
           FROM unnest($4::text[], $5::text[], $6::text[], $7::timestamptz[]) AS x(threshold, kind, level, due_at)
         ON CONFLICT DO NOTHING RETURNING threshold, queued)
       SELECT threshold FROM ins WHERE queued`,
      [clockId, version, ticketId, timers.map((t) => t.threshold), timers.map((t) => t.kind), timers.map((t) => t.level), timers.map((t) => t.dueAt.toISOString()), queueAheadSeconds]);
    const inserted = new Set(rows.map((r) => r.threshold));
    return timers.filter((t) => inserted.has(t.threshold));
  }

  /**
   * Hands to the outbox (as delayed `sla.fire` jobs) up to `limit` pending timers that are not queued yet and
   * are due within `queueAheadSeconds`, soonest first, and marks them queued — one statement, so a timer is
   * queued exactly when its outbox row is written. Returns how many were queued.
   */
  async queueUpcoming(queueAheadSeconds: number, limit: number): Promise<number> {
    const rows: Array<{ queued: number }> = await this.ds.query(
      `WITH pick AS (
         SELECT clock_id, threshold, clock_version FROM sla_timers
          WHERE state = 'pending' AND NOT queued AND due_at <= now() + make_interval(secs => $1::int)
          ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED),
       q AS (
         UPDATE sla_timers tm SET queued = true FROM pick
          WHERE tm.clock_id = pick.clock_id AND tm.threshold = pick.threshold AND tm.clock_version = pick.clock_version
         RETURNING tm.clock_id, tm.threshold, tm.clock_version, tm.due_at),
       ob AS (
         ${fireJobsInsert('q')})
       SELECT count(*)::int AS queued FROM q`, [queueAheadSeconds, limit]);
    return rows[0]!.queued;
  }

  async timersOf(clockId: string): Promise<Array<{ threshold: string; clock_version: number; kind: string; due_at: Date; state: string }>> {
    return this.ds.query(`SELECT threshold, clock_version, kind, due_at, state FROM sla_timers WHERE clock_id = $1 ORDER BY clock_version, due_at`, [clockId]);
  }

  /** Pending timers of a clock's current version due at or before `at`. */
  async dueTimersOf(m: EntityManager, clockId: string, at: Date): Promise<Array<{ threshold: string; clock_version: number }>> {
    return m.query(
      `SELECT tm.threshold, tm.clock_version FROM sla_timers tm JOIN ticket_clocks c ON c.id = tm.clock_id AND c.clock_version = tm.clock_version
        WHERE tm.clock_id = $1 AND tm.state = 'pending' AND tm.due_at <= $2 ORDER BY tm.due_at`, [clockId, at]);
  }

  /** Pending timers due within the horizon, with the delay the job should have (from the database clock). */
  async upcomingTimers(horizonMs: number, limit: number): Promise<Array<{ clock_id: string; threshold: string; clock_version: number; delay_ms: number }>> {
    return this.ds.query(
      `SELECT tm.clock_id, tm.threshold, tm.clock_version,
              greatest(0, ceil(extract(epoch FROM (tm.due_at - clock_timestamp())) * 1000))::int AS delay_ms
         FROM sla_timers tm
        WHERE tm.state = 'pending' AND tm.queued AND tm.due_at <= clock_timestamp() + make_interval(secs => $1::double precision / 1000)
        ORDER BY tm.due_at LIMIT $2`, [horizonMs, limit]);
  }

  /** Why a firing did not happen: the timer and clock as they are now. */
  async timerStatus(m: EntityManager, clockId: string, threshold: string, version: number): Promise<{ state: string; remaining_ms: number; clock_state: string; clock_version: number } | undefined> {
    const rows = await m.query(
      `SELECT tm.state, ceil(extract(epoch FROM (tm.due_at - clock_timestamp())) * 1000)::float8 AS remaining_ms, c.state AS clock_state, c.clock_version
         FROM sla_timers tm JOIN ticket_clocks c ON c.id = tm.clock_id
        WHERE tm.clock_id = $1 AND tm.threshold = $2 AND tm.clock_version = $3`, [clockId, threshold, version]);
    return rows[0];
  }

  // ── firings ────────────────────────────────────────────────────────────────

  /** Locks the ticket of a clock: firings serialise with workflow actions, which lock it too. */
  async lockTicketOfClock(m: EntityManager, clockId: string): Promise<{ id: string; status: string; number: string } | undefined> {
    const rows = await m.query(
      `SELECT t.id, t.status, t.number FROM ticket_clocks c JOIN tickets t ON t.id = c.ticket_id WHERE c.id = $1 FOR UPDATE OF t`, [clockId]);
    return rows[0];
  }

  /**
   * THE firing: one conditional insert keyed by (clock, threshold, clock version). It happens only when the
   * clock still runs at that version, the timer is pending and due by the database clock (or by `at`, the
   * time of a workflow action); a second delivery hits the unique key and inserts nothing. The same statement
   * records the effects: the timer marked fired, the clock's fired thresholds and colour, the ticket event
   * (not for 督办, which goes through the workflow) and the notification job in the outbox (the outbox table's
   * contract: job name, deterministic job id, payload). The caller holds the ticket's row lock.
   */
  async insertFiring(m: EntityManager, clockId: string, threshold: string, version: number, via: 'job' | 'reconciler' | 'action', at?: Date, ticketStatus?: string): Promise<FiringRow | undefined> {
    const rows: FiringRow[] = await m.query(
      `WITH c AS (
         SELECT id, stage, policy_code, policy_version FROM ticket_clocks WHERE id = $1 AND clock_version = $3 AND state = 'running' FOR UPDATE),
       tm AS (
         SELECT tm.ticket_id, tm.kind, tm.level, tm.due_at, c.stage, ${ladderTargetSql('tm.kind', 'tm.threshold', 'c.policy_code', 'c.policy_version')} AS target
           FROM sla_timers tm JOIN c ON c.id = tm.clock_id
          WHERE tm.clock_id = $1 AND tm.threshold = $2 AND tm.clock_version = $3 AND tm.state = 'pending' AND tm.due_at <= coalesce($5::timestamptz, clock_timestamp())),
       ins AS (
         INSERT INTO sla_firings (clock_id, ticket_id, stage, threshold, clock_version, kind, level, due_at, fired_at, via, action_state, target, target_unit_id)
         SELECT $1, tm.ticket_id, tm.stage, $2, $3, tm.kind, tm.level, tm.due_at, clock_timestamp(), $4,
                CASE WHEN tm.kind = 'supervise' THEN 'pending' ELSE 'none' END, tm.target, ${targetUnitSql('tm.target', 'tm.ticket_id')} FROM tm
         ON CONFLICT (clock_id, threshold, clock_version) DO NOTHING
         RETURNING *),
       ${firingEffectsCtes('coalesce($6, t.status)')}
       SELECT id::text, clock_id, ticket_id, stage, threshold, clock_version, kind, level, due_at, fired_at, via, action_state, action_result, notified_at,
              target, target_unit_id FROM ins`,
      [clockId, threshold, version, via, at ?? null, ticketStatus ?? null]);
    return rows[0];
  }

  // ── batch firing (set-based: many due timers per transaction) ───────────────

  /**
   * Locks up to `limit` pending timers due by the database clock (minus `graceMs`) whose clock still runs at
   * their version, oldest first, then their tickets, then their clocks — all `SKIP LOCKED`, so this never waits
   * (no deadlock with workflow actions, which lock ticket then clock) and concurrent batches take disjoint rows.
   * Returns the timers whose ticket and clock this transaction now holds, and how many due timers it saw.
   * The bound is an InitPlan (`(SELECT clock_timestamp())`) so that the due-time index can stop at it.
   */
  async lockDueTimers(m: EntityManager, limit: number, graceMs: number): Promise<{ candidates: number; locked: DueTimerKey[] }> {
    const rows: Array<{ candidates: number; locked: DueTimerKey[] | null }> = await m.query(
      `WITH due AS (
         SELECT tm.clock_id, tm.threshold, tm.clock_version, tm.ticket_id, tm.due_at
           FROM sla_timers tm JOIN ticket_clocks c ON c.id = tm.clock_id AND c.clock_version = tm.clock_version AND c.state = 'running'
          WHERE tm.state = 'pending' AND tm.due_at <= (SELECT clock_timestamp() - make_interval(secs => $2::double precision / 1000))
          ORDER BY tm.due_at LIMIT $1
          FOR UPDATE OF tm SKIP LOCKED),
       lt AS (
         SELECT t.id FROM tickets t WHERE t.id IN (SELECT ticket_id FROM due) FOR UPDATE OF t SKIP LOCKED),
       lc AS (
         SELECT c.id FROM ticket_clocks c
          WHERE (c.id, c.clock_version) IN (SELECT clock_id, clock_version FROM due WHERE ticket_id IN (SELECT id FROM lt)) AND c.state = 'running'
          FOR UPDATE OF c SKIP LOCKED)
       SELECT (SELECT count(*) FROM due)::int AS candidates,
              (SELECT json_agg(json_build_object('clock_id', d.clock_id, 'threshold', d.threshold, 'clock_version', d.clock_version, 'ticket_id', d.ticket_id)
                               ORDER BY d.due_at, d.threshold)
                 FROM due d WHERE d.clock_id IN (SELECT id FROM lc)) AS locked`,
      [limit, graceMs]);
    return { candidates: rows[0]!.candidates, locked: rows[0]!.locked ?? [] };
  }

  /**
   * THE firing, for many timers at once: the same conditional insert as `insertFiring` (unique key clock,
   * threshold, clock version; only for a running clock at that version and a pending timer due by
   * `clock_timestamp()`), with the same effects in the same statement — timer marked fired, clock's fired
   * thresholds and colour, ticket event (not for 督办), `sla.notify` outbox row. At most one timer per ticket
   * per statement (events are numbered per ticket; the caller fires the next one in its next statement).
   * The caller holds the tickets' and clocks' row locks (`lockDueTimers`). Keep in step with `insertFiring`.
   */
  async fireTimers(m: EntityManager, keys: DueTimerKey[], via: 'job' | 'reconciler'): Promise<Array<{ id: string; kind: FiringRow['kind'] }>> {
    if (keys.length === 0) return [];
    return m.query(
      `WITH x AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[]) AS x(clock_id, threshold, clock_version)),
       tm AS (
         SELECT DISTINCT ON (tm.ticket_id) tm.clock_id, tm.threshold, tm.clock_version, tm.ticket_id, tm.kind, tm.level, tm.due_at, c.stage,
                ${ladderTargetSql('tm.kind', 'tm.threshold', 'c.policy_code', 'c.policy_version')} AS target
           FROM x JOIN sla_timers tm ON tm.clock_id = x.clock_id AND tm.threshold = x.threshold AND tm.clock_version = x.clock_version
           JOIN ticket_clocks c ON c.id = tm.clock_id AND c.clock_version = tm.clock_version AND c.state = 'running'
          WHERE tm.state = 'pending' AND tm.due_at <= clock_timestamp()
          ORDER BY tm.ticket_id, tm.due_at, tm.threshold),
       ins AS (
         INSERT INTO sla_firings (clock_id, ticket_id, stage, threshold, clock_version, kind, level, due_at, fired_at, via, action_state, target, target_unit_id)
         SELECT tm.clock_id, tm.ticket_id, tm.stage, tm.threshold, tm.clock_version, tm.kind, tm.level, tm.due_at, clock_timestamp(), $4,
                CASE WHEN tm.kind = 'supervise' THEN 'pending' ELSE 'none' END, tm.target, ${targetUnitSql('tm.target', 'tm.ticket_id')} FROM tm
         ON CONFLICT (clock_id, threshold, clock_version) DO NOTHING
         RETURNING id, clock_id, ticket_id, stage, threshold, clock_version, kind, level, due_at, fired_at, target, target_unit_id),
       ${firingEffectsCtes('t.status')}
       SELECT id::text AS id, kind FROM ins`,
      [keys.map((k) => k.clock_id), keys.map((k) => k.threshold), keys.map((k) => k.clock_version), via]);
  }

  /**
   * Milliseconds (database clock) until the earliest pending timer of a running clock version that is due
   * within `horizonMs`, or null when none is; ≤ 0 means one is due now (not fired yet, or locked by another).
   */
  async msUntilNextDue(horizonMs: number): Promise<number | null> {
    const rows: Array<{ ms: number }> = await this.ds.query(
      `SELECT (extract(epoch FROM (tm.due_at - clock_timestamp())) * 1000)::float8 AS ms
         FROM sla_timers tm JOIN ticket_clocks c ON c.id = tm.clock_id AND c.clock_version = tm.clock_version AND c.state = 'running'
        WHERE tm.state = 'pending' AND tm.due_at <= (SELECT clock_timestamp() + make_interval(secs => $1::double precision / 1000))
        ORDER BY tm.due_at LIMIT 1`, [horizonMs]);
    return rows[0] ? rows[0].ms : null;
  }

  /** Appends an SLA event to the ticket's log (the ticket row is locked by the caller). Changes no ticket state or version. */
  async insertTicketEvent(m: EntityManager, ticketId: string, status: string, action: string, note: string | null, data: Record<string, unknown>): Promise<void> {
    await m.query(
      `INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_id, actor_role, from_status, to_status, note, data)
       SELECT t.id, t.created_at, (SELECT coalesce(max(e.seq), 0) + 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.filed_at = t.created_at),
              $2, NULL, 'system', $3, $3, $4, $5
         FROM tickets t WHERE t.id = $1`,
      [ticketId, action, status, note, JSON.stringify(data)]);
  }

  async lockTicket(m: EntityManager, ticketId: string): Promise<{ id: string; status: string } | undefined> {
    const rows = await m.query(`SELECT id, status FROM tickets WHERE id = $1 FOR UPDATE`, [ticketId]);
    return rows[0];
  }

  /** A firing of this clock version whose due instant lies after `at`: it fired while the caller's transaction ran. */
  async firedAfter(m: EntityManager, clockId: string, at: Date): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `SELECT 1 FROM sla_firings f JOIN ticket_clocks c ON c.id = f.clock_id AND c.clock_version = f.clock_version
        WHERE f.clock_id = $1 AND f.due_at > $2 LIMIT 1`, [clockId, at]);
    return rows.length > 0;
  }

  /** A firing with its ticket's number, platform and grid path, and the command centre an escalation goes to. */
  async firing(id: string): Promise<(FiringRow & { ticket_number: string; platform: string; grid_path: string;
    target_unit_code: string | null; target_unit_name_zh: string | null; target_unit_name_en: string | null }) | undefined> {
    const rows = await this.ds.query(
      `SELECT f.id::text, f.clock_id, f.ticket_id, f.stage, f.threshold, f.clock_version, f.kind, f.level, f.due_at, f.fired_at, f.via,
              f.action_state, f.action_result, f.notified_at, f.target, f.target_unit_id, t.number AS ticket_number, t.platform, t.grid_path::text AS grid_path,
              u.code AS target_unit_code, u.name_zh AS target_unit_name_zh, u.name_en AS target_unit_name_en
         FROM sla_firings f JOIN tickets t ON t.id = f.ticket_id LEFT JOIN units u ON u.id = f.target_unit_id WHERE f.id = $1`, [id]);
    return rows[0];
  }

  async firingsOfTicket(ticketId: string): Promise<FiringRow[]> {
    return this.ds.query(`SELECT id::text, clock_id, ticket_id, stage, threshold, clock_version, kind, level, due_at, fired_at, via, action_state, action_result, notified_at,
      target, target_unit_id FROM sla_firings WHERE ticket_id = $1 ORDER BY sla_firings.id`, [ticketId]);
  }

  async pendingActions(olderThanMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(
      `SELECT id::text FROM sla_firings WHERE action_state = 'pending' AND fired_at < clock_timestamp() - make_interval(secs => $1::double precision / 1000)
        ORDER BY fired_at LIMIT $2`, [olderThanMs, limit]);
    return rows.map((r) => r.id);
  }

  async ticketVersionAndMarker(ticketId: string, marker: string): Promise<{ version: number; done: boolean } | undefined> {
    const rows = await this.ds.query(
      `SELECT t.version, EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.filed_at = t.created_at AND e.action = 'supervise' AND strpos(e.note, $2) > 0) AS done
         FROM tickets t WHERE t.id = $1`, [ticketId, marker]);
    return rows[0];
  }

  async setActionState(id: string, state: 'done' | 'refused', result: string): Promise<void> {
    await this.ds.query(`UPDATE sla_firings SET action_state = $2, action_result = $3 WHERE id = $1 AND action_state = 'pending'`, [id, state, result]);
  }

  /**
   * Firings whose notification is still owed — not notified, not dead-lettered (or resent since), fired (resent)
   * between `lookbackMs` and `graceMs` ago — and whose `sla.notify` outbox row has been handed to the queue (or purged): the reconciler
   * looks for their jobs. A row not relayed yet is the relay's. Oldest first; partial index
   * `sla_firings_unnotified_idx`.
   */
  async unnotifiedFirings(graceMs: number, lookbackMs: number, limit: number): Promise<Array<{ id: string; retried_at: Date | null }>> {
    // A dead letter an admin resent is owed again (from its resend on) until it is delivered or dead-lettered anew.
    return this.ds.query(
      `SELECT f.id::text, d.retried_at FROM sla_firings f LEFT JOIN sla_dead_letters d ON d.firing_id = f.id
        WHERE f.notified_at IS NULL AND (d.id IS NULL OR d.retried_at IS NOT NULL)
          AND coalesce(d.retried_at, f.fired_at) >= clock_timestamp() - make_interval(secs => $2::double precision / 1000)
          AND coalesce(d.retried_at, f.fired_at) < clock_timestamp() - make_interval(secs => $1::double precision / 1000)
          AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = 'sla-notify-' || f.id AND o.relayed_at IS NULL)
        ORDER BY coalesce(d.retried_at, f.fired_at) LIMIT $3`, [graceMs, lookbackMs, limit]);
  }

  async markNotified(id: string): Promise<void> {
    await this.ds.query(`UPDATE sla_firings SET notified_at = coalesce(notified_at, clock_timestamp()) WHERE id = $1`, [id]);
  }

  // ── dead letters and recomputations ────────────────────────────────────────

  async deadLetter(firingId: string, attempts: number, error: string): Promise<void> {
    await this.ds.query(
      `INSERT INTO sla_dead_letters (firing_id, attempts, last_error) VALUES ($1, $2, $3)
       ON CONFLICT (firing_id) DO UPDATE SET attempts = sla_dead_letters.attempts + EXCLUDED.attempts, last_error = EXCLUDED.last_error, retried_at = NULL`,
      [firingId, attempts, error.slice(0, 500)]);
  }

  /** Dead letters of the tickets in the caller's subtree, newest first. */
  async deadLetters(limit: number, scopePath: string): Promise<Array<{ id: string; firing_id: string; attempts: number; last_error: string; created_at: Date; retried_at: Date | null;
    ticket_id: string; ticket_number: string; threshold: string; kind: string; fired_at: Date }>> {
    return this.ds.query(
      `SELECT d.id::text, d.firing_id::text, d.attempts, d.last_error, d.created_at, d.retried_at, f.ticket_id, t.number AS ticket_number, f.threshold, f.kind, f.fired_at
         FROM sla_dead_letters d JOIN sla_firings f ON f.id = d.firing_id JOIN tickets t ON t.id = f.ticket_id
        WHERE t.grid_path <@ $2::ltree
        ORDER BY d.id DESC LIMIT $1`, [limit, scopePath]);
  }

  /**
   * Marks a dead letter of a ticket in the caller's subtree as resent; undefined when there is none. Returns
   * what the audit entry needs: the firing, its ticket, and `retried_at` before and after.
   */
  async markDeadLetterRetried(m: EntityManager, id: string, scopePath: string): Promise<{
    firing_id: string; ticket_id: string; attempts: number; before_retried_at: Date | null; after_retried_at: Date;
  } | undefined> {
    const rows = await m.query(
      `WITH old AS (
         SELECT d.id, d.firing_id, d.attempts, d.retried_at, f.ticket_id
           FROM sla_dead_letters d JOIN sla_firings f ON f.id = d.firing_id JOIN tickets t ON t.id = f.ticket_id
          WHERE d.id = $1 AND t.grid_path <@ $2::ltree FOR UPDATE OF d),
       u AS (UPDATE sla_dead_letters d SET retried_at = now() FROM old WHERE d.id = old.id RETURNING d.id, d.retried_at)
       SELECT old.firing_id::text, old.ticket_id, old.attempts, old.retried_at AS before_retried_at, u.retried_at AS after_retried_at
         FROM old JOIN u ON u.id = old.id`, [id, scopePath]);
    return rows[0];
  }

  async insertRecomputation(m: EntityManager, r: { userId: string | null; filter: unknown; examined: number; moved: number; changes: unknown }): Promise<string> {
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO sla_recomputations (requested_by, filter, examined, moved, changes) VALUES ($1, $2, $3, $4, $5) RETURNING id::text`,
      [r.userId, JSON.stringify(r.filter), r.examined, r.moved, JSON.stringify(r.changes)]);
    return rows[0]!.id;
  }

  // ── clock start and stop in one statement each (the hot paths: filing, dispatch, sign) ────────────

  /**
   * Starts clocks — one, or a batch (claim-next signs several tickets at once) — in one statement: each clock
   * row with its SLA columns, its threshold timers and, for the timers due within `queueAheadSeconds`, their
   * `sla.fire` outbox rows (the outbox contract: job name, deterministic job id
   * `sla-fire-<clock>-<threshold>-v<version>`, payload). The caller computed each plan from cached policy and
   * calendar versions; the statement checks, per clock, that they are still the current ones for the ticket's
   * platform and grid path, and that no live clock of the stage exists. A clock whose check fails is not
   * written and its flags say which. Results are in the order given; `queued` counts the outbox rows of all.
   */
  async startClocks(m: EntityManager, clocks: readonly StartClockInsert[], queueAheadSeconds: number): Promise<{ results: StartClockResult[]; queued: number }> {
    if (clocks.length === 0) return { results: [], queued: 0 };
    if (new Set(clocks.map((c) => `${c.ticketId}/${c.stage}`)).size !== clocks.length) throw new Error('startClocks: one stage of one ticket twice in a batch');
    const input = clocks.map((c) => ({
      id: c.id, ticket_id: c.ticketId, stage: c.stage, platform: c.platform, grid_path: c.gridPath, clock_type: c.clockType,
      limit_seconds: c.limitSeconds, limit_days: c.limitDays, start_next_working_day: c.startNextWorkingDay, started_at: c.startedAt,
      deadline: c.deadline, calendar_versions: c.calendarVersions, policy_code: c.policyCode, policy_version: c.policyVersion,
      calendar_key: c.calendarKey, timers: c.timers.map((t) => ({ threshold: t.threshold, kind: t.kind, level: t.level, due_at: t.dueAt })),
    }));
    const rows: Array<{ input_id: string; free: boolean; policy_current: boolean; calendar_current: boolean; queued: number } & { [K in keyof ClockRow]: ClockRow[K] | null }> = await m.query(prepared('sla.startClocks',
      `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, ticket_id uuid, stage text, platform text, grid_path text, clock_type text,
                limit_seconds int, limit_days numeric, start_next_working_day boolean, started_at timestamptz, deadline timestamptz,
                calendar_versions jsonb, policy_code text, policy_version int, calendar_key text, timers jsonb)),
       chk AS (
         SELECT x.*,
                NOT EXISTS (SELECT 1 FROM ticket_clocks k WHERE k.ticket_id = x.ticket_id AND k.stage = x.stage AND k.state <> 'stopped') AS free,
                coalesce((SELECT p.code || '@' || p.current_version FROM sla_policies p
                           WHERE p.platform = x.platform OR p.platform IS NULL ORDER BY p.platform NULLS LAST LIMIT 1), '')
                  = x.policy_code || '@' || x.policy_version AS policy_current,
                coalesce(cal.key, '') = x.calendar_key AS calendar_current
           FROM x LEFT JOIN LATERAL (
             WITH RECURSIVE ${calendarChainCtes('x.grid_path')}
             SELECT string_agg(code || '@' || current_version, '>' ORDER BY depth DESC) AS key FROM chain) cal ON true),
       c AS (
         INSERT INTO ticket_clocks (id, ticket_id, stage, state, clock_type, limit_seconds, limit_days, start_next_working_day, extension_seconds,
                                    started_at, deadline, calendar_versions, policy_code, policy_version, calendar_key)
         SELECT id, ticket_id, stage, 'running', clock_type, limit_seconds, limit_days, start_next_working_day, 0,
                started_at, deadline, calendar_versions, policy_code, policy_version, calendar_key
           FROM chk WHERE free AND policy_current AND calendar_current
         RETURNING *),
       tm AS (
         INSERT INTO sla_timers (clock_id, threshold, clock_version, ticket_id, kind, level, due_at, queued)
         SELECT c.id, t.threshold, c.clock_version, c.ticket_id, t.kind, t.level, t.due_at,
                t.due_at <= now() + make_interval(secs => $2::int)
           FROM c JOIN chk ON chk.id = c.id, jsonb_to_recordset(chk.timers) AS t(threshold text, kind text, level text, due_at timestamptz)
         ON CONFLICT DO NOTHING RETURNING clock_id, threshold, clock_version, due_at, queued),
       ob AS (
         ${fireJobsInsert('tm', 'tm.queued')} RETURNING 1)
       SELECT chk.id::text AS input_id, chk.free, chk.policy_current, chk.calendar_current, (SELECT count(*)::int FROM ob) AS queued, c.*
         FROM chk LEFT JOIN c ON c.id = chk.id`), [JSON.stringify(input), queueAheadSeconds]);
    const byId = new Map(rows.map((r) => [r.input_id, r]));
    const results = clocks.map((c) => {
      const { input_id: _id, free, policy_current: policyCurrent, calendar_current: calendarCurrent, queued: _q, ...clock } = byId.get(c.id)!;
      return { free, policyCurrent, calendarCurrent, clock: clock.id === null ? null : (clock as ClockRow) };
    });
    return { results, queued: rows[0]?.queued ?? 0 };
  }

  /**
   * Stops the live clocks (one stage, or all with `stage` null) of some tickets at `at` and cancels their
   * pending timers, in one statement — except for a ticket with a clock that is paused, has a timer of its
   * current version due by `at` (it must fire first, see `SlaEngine.fireDue`) or fired after `at` (see
   * `SlaEngine.guardChange`): nothing of that ticket is written, and it is returned for the step-by-step path.
   */
  async stopClocks(m: EntityManager, ticketIds: readonly string[], stage: string | null, at: Date): Promise<string[]> {
    if (ticketIds.length === 0) return [];
    const rows: Array<{ blocked: string[] }> = await m.query(prepared('sla.stopClocks',
      `WITH live AS (
         SELECT id, ticket_id, state, clock_version FROM ticket_clocks
          WHERE ticket_id = ANY($1::uuid[]) AND state <> 'stopped' AND ($2::text IS NULL OR stage = $2)),
       blocked AS (
         -- Due instants are compared as differences, and pending timers as "not fired, not cancelled": a
         -- prepared statement's generic plan must look timers and firings up by clock, never through the
         -- partial due-time index of pending timers (a generic plan built while the table was small chose it).
         SELECT DISTINCT live.ticket_id FROM live
          WHERE live.state <> 'running'
             OR EXISTS (SELECT 1 FROM sla_timers tm WHERE tm.clock_id = live.id AND tm.clock_version = live.clock_version
                           AND tm.state <> 'fired' AND tm.state <> 'cancelled' AND tm.due_at - $3 <= interval '0')
             OR EXISTS (SELECT 1 FROM sla_firings f WHERE f.clock_id = live.id AND f.clock_version = live.clock_version
                           AND f.due_at - $3 > interval '0')),
       s AS (
         UPDATE ticket_clocks k SET state = 'stopped', stopped_at = $3, paused_at = NULL
           FROM live WHERE k.id = live.id AND live.ticket_id NOT IN (SELECT ticket_id FROM blocked) RETURNING k.id),
       x AS (
         UPDATE sla_timers tm SET state = 'cancelled' FROM s WHERE tm.clock_id = s.id AND tm.state <> 'fired' AND tm.state <> 'cancelled')
       SELECT coalesce(array_agg(ticket_id::text), '{}') AS blocked FROM blocked`), [ticketIds, stage, at]);
    return rows[0]!.blocked;
  }
}
