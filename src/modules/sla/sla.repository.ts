import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { CalendarDefinition } from '../../../libs/sla-calendar';
import type { ClockRow } from '../tickets/ticket-clock.types';
import type { PolicyDefinition } from './sla-policy';

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

export interface TimerInsert {
  threshold: string;
  kind: string;
  level: string | null;
  dueAt: Date;
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
    return m.query(
      `WITH RECURSIVE start AS (
         SELECT coalesce(
           (SELECT c.code FROM sla_calendars c JOIN grid_nodes g ON g.id = c.grid_node_id
             WHERE $1::ltree <@ g.path ORDER BY nlevel(g.path) DESC LIMIT 1),
           (SELECT code FROM sla_calendars WHERE parent_code IS NULL)) AS code),
       chain AS (
         SELECT c.code, c.parent_code, c.current_version, 0 AS depth FROM sla_calendars c JOIN start s ON s.code = c.code
         UNION ALL
         SELECT p.code, p.parent_code, p.current_version, chain.depth + 1 FROM sla_calendars p JOIN chain ON chain.parent_code = p.code)
       SELECT code, current_version AS version FROM chain ORDER BY depth DESC`, [gridPath]);
  }

  async calendarVersions(m: EntityManager, pairs: Array<{ code: string; version: number }>): Promise<Array<{ code: string; version: number; definition: CalendarDefinition }>> {
    return m.query(
      `SELECT v.code, v.version, v.definition FROM sla_calendar_versions v
         JOIN unnest($1::text[], $2::int[]) AS p(code, version) ON p.code = v.code AND p.version = v.version`,
      [pairs.map((p) => p.code), pairs.map((p) => p.version)]);
  }

  async listCalendars(): Promise<Array<{ code: string; parent_code: string | null; grid_node_id: string | null; current_version: number; updated_at: Date }>> {
    return this.ds.query(`SELECT code, parent_code, grid_node_id, current_version, updated_at FROM sla_calendars ORDER BY parent_code NULLS FIRST, code`);
  }

  async calendar(m: EntityManager, code: string, lock = false): Promise<{ code: string; parent_code: string | null; grid_node_id: string | null; current_version: number; definition: CalendarDefinition; updated_at: Date } | undefined> {
    const rows = await m.query(
      `SELECT c.code, c.parent_code, c.grid_node_id, c.current_version, c.updated_at, v.definition
         FROM sla_calendars c JOIN sla_calendar_versions v ON v.code = c.code AND v.version = c.current_version
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

  async policyForUpdate(m: EntityManager, code: string): Promise<{ code: string; platform: string | null; current_version: number } | undefined> {
    const rows = await m.query(`SELECT code, platform, current_version FROM sla_policies WHERE code = $1 FOR UPDATE`, [code]);
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

  // ── timers ─────────────────────────────────────────────────────────────────

  async cancelTimers(m: EntityManager, clockId: string, keepVersion: number | null): Promise<void> {
    await m.query(`UPDATE sla_timers SET state = 'cancelled' WHERE clock_id = $1 AND state = 'pending' AND ($2::int IS NULL OR clock_version <> $2)`, [clockId, keepVersion]);
  }

  async insertTimers(m: EntityManager, clockId: string, ticketId: string, version: number, timers: TimerInsert[]): Promise<TimerInsert[]> {
    if (timers.length === 0) return [];
    const rows: Array<{ threshold: string }> = await m.query(
      `INSERT INTO sla_timers (clock_id, threshold, clock_version, ticket_id, kind, level, due_at)
       SELECT $1, x.threshold, $2, $3, x.kind, x.level, x.due_at FROM unnest($4::text[], $5::text[], $6::text[], $7::timestamptz[]) AS x(threshold, kind, level, due_at)
       ON CONFLICT DO NOTHING RETURNING threshold`,
      [clockId, version, ticketId, timers.map((t) => t.threshold), timers.map((t) => t.kind), timers.map((t) => t.level), timers.map((t) => t.dueAt.toISOString())]);
    const inserted = new Set(rows.map((r) => r.threshold));
    return timers.filter((t) => inserted.has(t.threshold));
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

  /** Overdue pending timers of live clock versions (the reconciler fires them). */
  async overdueTimers(limit: number, graceMs: number): Promise<Array<{ clock_id: string; threshold: string; clock_version: number }>> {
    return this.ds.query(
      `SELECT tm.clock_id, tm.threshold, tm.clock_version FROM sla_timers tm
        WHERE tm.state = 'pending' AND tm.due_at <= clock_timestamp() - make_interval(secs => $2::double precision / 1000)
        ORDER BY tm.due_at LIMIT $1`, [limit, graceMs]);
  }

  /** Pending timers due within the horizon, with the delay the job should have (from the database clock). */
  async upcomingTimers(horizonMs: number, limit: number): Promise<Array<{ clock_id: string; threshold: string; clock_version: number; delay_ms: number }>> {
    return this.ds.query(
      `SELECT tm.clock_id, tm.threshold, tm.clock_version,
              greatest(0, ceil(extract(epoch FROM (tm.due_at - clock_timestamp())) * 1000))::int AS delay_ms
         FROM sla_timers tm
        WHERE tm.state = 'pending' AND tm.due_at <= clock_timestamp() + make_interval(secs => $1::double precision / 1000)
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
         SELECT id, stage FROM ticket_clocks WHERE id = $1 AND clock_version = $3 AND state = 'running' FOR UPDATE),
       tm AS (
         SELECT tm.ticket_id, tm.kind, tm.level, tm.due_at, c.stage FROM sla_timers tm JOIN c ON c.id = tm.clock_id
          WHERE tm.clock_id = $1 AND tm.threshold = $2 AND tm.clock_version = $3 AND tm.state = 'pending' AND tm.due_at <= coalesce($5::timestamptz, clock_timestamp())),
       ins AS (
         INSERT INTO sla_firings (clock_id, ticket_id, stage, threshold, clock_version, kind, level, due_at, fired_at, via, action_state)
         SELECT $1, tm.ticket_id, tm.stage, $2, $3, tm.kind, tm.level, tm.due_at, clock_timestamp(), $4,
                CASE WHEN tm.kind = 'supervise' THEN 'pending' ELSE 'none' END FROM tm
         ON CONFLICT (clock_id, threshold, clock_version) DO NOTHING
         RETURNING *),
       upd AS (
         UPDATE sla_timers SET state = 'fired' WHERE clock_id = $1 AND threshold = $2 AND clock_version = $3 AND EXISTS (SELECT 1 FROM ins)),
       mark AS (
         UPDATE ticket_clocks k SET
           thresholds_fired = CASE WHEN $2 = ANY(k.thresholds_fired) THEN k.thresholds_fired ELSE array_append(k.thresholds_fired, $2) END,
           level = CASE WHEN ins.level IS NULL THEN k.level
                        WHEN k.level IS NULL OR array_position(ARRAY['blue','yellow','red'], ins.level) > array_position(ARRAY['blue','yellow','red'], k.level) THEN ins.level
                        ELSE k.level END
         FROM ins WHERE k.id = ins.clock_id),
       ev AS (
         INSERT INTO ticket_events (ticket_id, seq, action, actor_id, actor_role, from_status, to_status, note, data)
         SELECT ins.ticket_id, (SELECT coalesce(max(e.seq), 0) + 1 FROM ticket_events e WHERE e.ticket_id = ins.ticket_id),
                'sla-' || ins.kind, NULL, 'system', coalesce($6, t.status), coalesce($6, t.status),
                CASE ins.kind WHEN 'remind' THEN '催办 reminder' WHEN 'warning' THEN '预警 warning' WHEN 'breach' THEN '超期 breach' ELSE '通报 public notice' END || ' (' || ins.stage || ')',
                jsonb_build_object('clockId', ins.clock_id, 'stage', ins.stage, 'threshold', ins.threshold, 'kind', ins.kind, 'level', ins.level,
                  'clockVersion', ins.clock_version, 'dueAt', to_char(ins.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'firingId', ins.id::text)
           FROM ins JOIN tickets t ON t.id = ins.ticket_id WHERE ins.kind <> 'supervise'),
       ob AS (
         INSERT INTO outbox (job_name, job_id, payload)
         SELECT 'sla.notify', 'sla-notify-' || ins.id, jsonb_build_object('firingId', ins.id::text) FROM ins
         ON CONFLICT (job_id) DO NOTHING)
       SELECT id::text, clock_id, ticket_id, stage, threshold, clock_version, kind, level, due_at, fired_at, via, action_state, action_result, notified_at FROM ins`,
      [clockId, threshold, version, via, at ?? null, ticketStatus ?? null]);
    return rows[0];
  }

  /** Appends an SLA event to the ticket's log (the ticket row is locked by the caller). Changes no ticket state or version. */
  async insertTicketEvent(m: EntityManager, ticketId: string, status: string, action: string, note: string | null, data: Record<string, unknown>): Promise<void> {
    await m.query(
      `INSERT INTO ticket_events (ticket_id, seq, action, actor_id, actor_role, from_status, to_status, note, data)
       VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM ticket_events WHERE ticket_id = $1), $2, NULL, 'system', $3, $3, $4, $5)`,
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

  async firing(id: string): Promise<(FiringRow & { ticket_number: string; platform: string; grid_path: string }) | undefined> {
    const rows = await this.ds.query(
      `SELECT f.id::text, f.clock_id, f.ticket_id, f.stage, f.threshold, f.clock_version, f.kind, f.level, f.due_at, f.fired_at, f.via,
              f.action_state, f.action_result, f.notified_at, t.number AS ticket_number, t.platform, t.grid_path::text AS grid_path
         FROM sla_firings f JOIN tickets t ON t.id = f.ticket_id WHERE f.id = $1`, [id]);
    return rows[0];
  }

  async firingsOfTicket(ticketId: string): Promise<FiringRow[]> {
    return this.ds.query(`SELECT id::text, clock_id, ticket_id, stage, threshold, clock_version, kind, level, due_at, fired_at, via, action_state, action_result, notified_at
      FROM sla_firings WHERE ticket_id = $1 ORDER BY id`, [ticketId]);
  }

  async pendingActions(olderThanMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(
      `SELECT id::text FROM sla_firings WHERE action_state = 'pending' AND fired_at < clock_timestamp() - make_interval(secs => $1::double precision / 1000)
        ORDER BY fired_at LIMIT $2`, [olderThanMs, limit]);
    return rows.map((r) => r.id);
  }

  async ticketVersionAndMarker(ticketId: string, marker: string): Promise<{ version: number; done: boolean } | undefined> {
    const rows = await this.ds.query(
      `SELECT t.version, EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.action = 'supervise' AND strpos(e.note, $2) > 0) AS done
         FROM tickets t WHERE t.id = $1`, [ticketId, marker]);
    return rows[0];
  }

  async setActionState(id: string, state: 'done' | 'refused', result: string): Promise<void> {
    await this.ds.query(`UPDATE sla_firings SET action_state = $2, action_result = $3 WHERE id = $1 AND action_state = 'pending'`, [id, state, result]);
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

  async deadLetters(limit: number): Promise<Array<{ id: string; firing_id: string; attempts: number; last_error: string; created_at: Date; retried_at: Date | null;
    ticket_id: string; ticket_number: string; threshold: string; kind: string; fired_at: Date }>> {
    return this.ds.query(
      `SELECT d.id::text, d.firing_id::text, d.attempts, d.last_error, d.created_at, d.retried_at, f.ticket_id, t.number AS ticket_number, f.threshold, f.kind, f.fired_at
         FROM sla_dead_letters d JOIN sla_firings f ON f.id = d.firing_id JOIN tickets t ON t.id = f.ticket_id
        ORDER BY d.id DESC LIMIT $1`, [limit]);
  }

  async markDeadLetterRetried(m: EntityManager, id: string): Promise<string | undefined> {
    const rows: Array<{ firing_id: string }> = await m.query(
      `WITH u AS (UPDATE sla_dead_letters SET retried_at = now() WHERE id = $1 RETURNING firing_id::text) SELECT firing_id FROM u`, [id]);
    return rows[0]?.firing_id;
  }

  async insertRecomputation(m: EntityManager, r: { userId: string | null; filter: unknown; examined: number; moved: number; changes: unknown }): Promise<string> {
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO sla_recomputations (requested_by, filter, examined, moved, changes) VALUES ($1, $2, $3, $4, $5) RETURNING id::text`,
      [r.userId, JSON.stringify(r.filter), r.examined, r.moved, JSON.stringify(r.changes)]);
    return rows[0]!.id;
  }
}
