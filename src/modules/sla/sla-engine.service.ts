import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, type EntitySubscriberInterface, type TransactionCommitEvent } from 'typeorm';
import {
  SlaCalendarError, SlaCalendarErrorCode, addBusinessDuration, addNatural, instantAtFraction,
  type ClockLimit, type ClockPause, type ResolvedCalendar,
} from '../../../libs/sla-calendar';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { OutboxService } from '../../queue/outbox.service';
import { DEFAULT_POLICY, scaleLimit, stageLimitFor, type PolicyDefinition, type SlaPriority } from './sla-policy';
import { SlaErrorCode, SlaException } from './sla.exception';
import type { ClockRow } from '../tickets/ticket-clock.types';
import { SlaCalendars } from './sla-calendars.service';
import { SlaRepository, type SlaClockRow, type StartClockInsert, type TimerInsert, type VersionedRow } from './sla.repository';

/** What a clock needs from its case standard (处置时限). */
export interface StandardLimit {
  priority: SlaPriority;
  clockType: 'natural' | 'working_hours' | 'working_days';
  resolveLimitSeconds: number | null;
  resolveLimitDays: number | null;
  startNextWorkingDay: boolean;
}

/** A clock's limit and the versions it was computed with. */
export interface ClockPlan {
  clockType: 'natural' | 'working_hours' | 'working_days';
  limitSeconds: number | null;
  limitDays: number | null;
  startNextWorkingDay: boolean;
  policyCode: string;
  policyVersion: number;
  calendarKey: string;
  calendarVersions: Record<string, number>;
  calendar: ResolvedCalendar;
}

/** The fields of a clock that decide its deadline. */
export interface ClockFacts {
  clock_type: 'natural' | 'working_hours' | 'working_days';
  limit_seconds: number | null;
  limit_days: string | number | null;
  start_next_working_day: boolean;
  extension_seconds: number;
  started_at: Date;
  pauses: Array<{ from: string; to: string }>;
  paused_at: Date | null;
}

const HANDLING_STAGES = new Set(['resolve', 'mediation']);

const OUTBOX_FLAG = 'slaOutboxPending';
/** The 督办 firings a transaction made on an action's path, carried out after it commits. */
const SUPERVISE_FLAG = 'slaSupervisePending';
const RELAY_COALESCE_MS = 20;
/** Bound on the cached "current" lookups (platforms are few; grid paths are the grid's leaves). */
const CURRENT_CACHE_MAX = 10_000;
/** A clock start retries with fresh lookups when an admin changed the policy or calendar meanwhile. */
const START_ATTEMPTS = 4;

export function fireJobId(clockId: string, threshold: string, version: number): string {
  // BullMQ job ids may not contain ':'.
  return `sla-fire-${clockId}-${threshold}-v${version}`;
}

/** The limit a clock counts, extension included; null when the clock has no limit. */
export function limitOf(c: ClockFacts): ClockLimit | null {
  if (c.limit_seconds === null && c.limit_days === null) return null;
  return c.clock_type === 'working_days'
    ? { type: c.clock_type, days: Number(c.limit_days ?? 0) + c.extension_seconds / 86400, startNextWorkingDay: c.start_next_working_day }
    : { type: c.clock_type, seconds: (c.limit_seconds ?? 0) + c.extension_seconds, startNextWorkingDay: c.start_next_working_day };
}

export function pausesOf(c: ClockFacts): ClockPause[] {
  const pauses: ClockPause[] = c.pauses.map((p) => ({ from: new Date(p.from), to: new Date(p.to) }));
  if (c.paused_at) pauses.push({ from: c.paused_at, to: null });
  return pauses;
}

/** A clock to start: the ticket's facts the plan depends on, the stage, the case standard's limit and the start instant. */
export interface ClockStart {
  ticket: { id: string; platform: string; gridPath: string; priority: string; unitId: string | null };
  stage: string;
  standard: StandardLimit | undefined;
  startedAt: Date;
}

/**
 * The SLA engine's core, used inside the workflow's transactions: which calendar and policy a clock uses,
 * its deadline, and its threshold timers (rows in `sla_timers`, handed to BullMQ through the outbox once
 * they come within the queue-ahead horizon). Calendar and policy versions are immutable, so resolved
 * calendars and policy versions are cached by key.
 */
@Injectable()
export class SlaEngine implements OnModuleInit, EntitySubscriberInterface {
  private readonly logger = new Logger('SlaEngine');
  private readonly policies = new Map<string, PolicyDefinition>();

  constructor(
    private readonly repo: SlaRepository, private readonly cals: SlaCalendars, private readonly outbox: OutboxService, private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // After-commit hook: relay the timers a transaction wrote as soon as it commits.
    if (!this.ds.subscribers.includes(this)) this.ds.subscribers.push(this);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const data = event.queryRunner.data as Record<string, unknown> | undefined;
    if (data?.[OUTBOX_FLAG]) {
      data[OUTBOX_FLAG] = false;
      this.relayCoalesced();
    }
    const supervisions = data?.[SUPERVISE_FLAG] as string[] | undefined;
    if (supervisions?.length) {
      data![SUPERVISE_FLAG] = [];
      this.supervisor?.(supervisions);
    }
  }

  /** Who carries out the 督办 of firings an action's transaction made, once it commits (SlaFiringService). */
  private supervisor?: (firingIds: string[]) => void;

  setSupervisor(supervisor: (firingIds: string[]) => void): void {
    this.supervisor = supervisor;
  }

  private relayTimer: NodeJS.Timeout | null = null;

  /**
   * One relay for the commits of the next few milliseconds: under a burst of firings a relay per commit
   * would double the commits; a relay batches up to 500 rows. The periodic relay remains the safety net.
   */
  private relayCoalesced(): void {
    if (this.relayTimer) return;
    this.relayTimer = setTimeout(() => {
      this.relayTimer = null;
      this.outbox.relaySoon();
    }, RELAY_COALESCE_MS);
    this.relayTimer.unref();
  }

  /** Marks the transaction so its outbox rows are relayed right after commit. */
  markOutbox(m: EntityManager): void {
    if (m.queryRunner) m.queryRunner.data = { ...(m.queryRunner.data ?? {}), [OUTBOX_FLAG]: true };
  }

  async currentCalendar(m: EntityManager, gridPath: string): Promise<{ calendar: ResolvedCalendar; key: string }> {
    return this.cals.current(m, gridPath);
  }

  /** A calendar exactly as a clock recorded it (`cn-national@1>fuxin@2`). */
  async calendarByKey(m: EntityManager, key: string): Promise<ResolvedCalendar> {
    return this.cals.byKey(m, key);
  }

  async policy(m: EntityManager, code: string | null, version: number | null): Promise<PolicyDefinition> {
    if (code === null || version === null) return DEFAULT_POLICY;
    const key = `${code}@${version}`;
    const cached = this.policies.get(key);
    if (cached) return cached;
    const row = await this.repo.policyVersion(m, code, version);
    if (!row) throw new SlaException(SlaErrorCode.POLICY_NOT_FOUND);
    this.policies.set(key, row.definition);
    return row.definition;
  }

  /** The limit of a new clock under the current policy and calendar of its ticket's platform and grid node. */
  async plan(m: EntityManager, t: { platform: string; gridPath: string; priority: string; unitId: string | null }, stage: string, standard: StandardLimit | undefined): Promise<ClockPlan> {
    const policyRow = await this.repo.currentPolicyFor(m, t.platform);
    this.policies.set(`${policyRow.code}@${policyRow.version}`, policyRow.definition);
    const { calendar, key } = await this.currentCalendar(m, t.gridPath);
    return this.planWith(policyRow, calendar, key, t, stage, standard);
  }

  private planWith(
    policyRow: VersionedRow<PolicyDefinition>, calendar: ResolvedCalendar, key: string,
    t: { priority: string; unitId: string | null }, stage: string, standard: StandardLimit | undefined,
  ): ClockPlan {
    const policy = policyRow.definition;
    let limit: ClockLimit | null = null;
    if (HANDLING_STAGES.has(stage) && standard) {
      const base: ClockLimit = standard.clockType === 'working_days'
        ? { type: 'working_days', days: standard.resolveLimitDays ?? 0, startNextWorkingDay: standard.startNextWorkingDay }
        : { type: standard.clockType, seconds: standard.resolveLimitSeconds ?? 0, startNextWorkingDay: standard.startNextWorkingDay };
      limit = scaleLimit(base, policy, t.priority as SlaPriority, standard.priority, t.unitId);
    } else {
      limit = stageLimitFor(policy, stage, t.priority);
    }
    return {
      clockType: limit?.type ?? 'natural',
      limitSeconds: limit && limit.type !== 'working_days' ? (limit.seconds ?? 0) + (limit.days ?? 0) * 86400 : null,
      limitDays: limit && limit.type === 'working_days' ? limit.days ?? 0 : null,
      startNextWorkingDay: limit?.startNextWorkingDay ?? false,
      policyCode: policyRow.code,
      policyVersion: policyRow.version,
      calendarKey: key,
      calendarVersions: { ...calendar.versions },
      calendar,
    };
  }

  // The current policy per platform and calendar chain per grid path, as last seen. Used only by `startClock`,
  // whose insert re-checks both against the database in the same statement, so a change by an admin (in any
  // process) is seen by the next clock: the check fails, nothing is written, and the start retries fresh.
  private readonly currentPolicies = new Map<string, VersionedRow<PolicyDefinition>>();
  private readonly currentCalendarKeys = new Map<string, string>();

  private async cachedPlan(m: EntityManager, t: { platform: string; gridPath: string; priority: string; unitId: string | null }, stage: string, standard: StandardLimit | undefined): Promise<ClockPlan> {
    let policyRow = this.currentPolicies.get(t.platform);
    if (!policyRow) {
      policyRow = await this.repo.currentPolicyFor(m, t.platform);
      this.policies.set(`${policyRow.code}@${policyRow.version}`, policyRow.definition);
      if (this.currentPolicies.size >= CURRENT_CACHE_MAX) this.currentPolicies.clear();
      this.currentPolicies.set(t.platform, policyRow);
    }
    let key = this.currentCalendarKeys.get(t.gridPath);
    let calendar: ResolvedCalendar;
    if (key === undefined) {
      ({ calendar, key } = await this.currentCalendar(m, t.gridPath));
      if (this.currentCalendarKeys.size >= CURRENT_CACHE_MAX) this.currentCalendarKeys.clear();
      this.currentCalendarKeys.set(t.gridPath, key);
    } else {
      calendar = await this.calendarByKey(m, key);
    }
    return this.planWith(policyRow, calendar, key, t, stage, standard);
  }

  /**
   * Starts stages' clocks — one, or a batch (claim-next signs several tickets at once): each plan (cached
   * current policy and calendar), deadline and threshold timers computed here, then one statement writes the
   * clocks, their timers and their outbox rows, checking that each plan's versions are still current. Returns,
   * in the order given, each new clock, or `live` when the stage already has a live clock (nothing written
   * for it: the caller stops it and starts again).
   */
  async startClocks(m: EntityManager, starts: readonly ClockStart[]): Promise<Array<ClockRow | 'live'>> {
    const out: Array<ClockRow | 'live'> = new Array(starts.length);
    let todo = starts.map((_, i) => i);
    for (let attempt = 1; todo.length > 0; attempt++) {
      const inserts: StartClockInsert[] = [];
      for (const i of todo) {
        const { ticket: t, stage, standard, startedAt } = starts[i]!;
        const plan = await this.cachedPlan(m, t, stage, standard);
        const facts: ClockFacts = {
          clock_type: plan.clockType, limit_seconds: plan.limitSeconds, limit_days: plan.limitDays, start_next_working_day: plan.startNextWorkingDay,
          extension_seconds: 0, started_at: startedAt, pauses: [], paused_at: null,
        };
        const deadline = this.deadline(plan.calendar, facts);
        const policy = await this.policy(m, plan.policyCode, plan.policyVersion);
        inserts.push({
          id: randomUUID(), ticketId: t.id, stage, platform: t.platform, gridPath: t.gridPath,
          clockType: plan.clockType, limitSeconds: plan.limitSeconds, limitDays: plan.limitDays, startNextWorkingDay: plan.startNextWorkingDay,
          startedAt, deadline, calendarVersions: plan.calendarVersions, policyCode: plan.policyCode, policyVersion: plan.policyVersion,
          calendarKey: plan.calendarKey, timers: deadline ? thresholdTimers(plan.calendar, policy, facts, deadline) : [],
        });
      }
      const { results, queued } = await this.repo.startClocks(m, inserts, this.config.sla.queueAheadSeconds);
      if (queued > 0) this.markOutbox(m);
      const again: number[] = [];
      results.forEach((r, k) => {
        const i = todo[k]!;
        if (!r.free) out[i] = 'live';
        else if (r.clock) out[i] = r.clock;
        else {
          // The policy or calendar changed since it was cached: forget it and plan again from the database.
          const t = starts[i]!.ticket;
          this.currentPolicies.delete(t.platform);
          this.currentCalendarKeys.delete(t.gridPath);
          again.push(i);
        }
      });
      if (again.length > 0 && attempt >= START_ATTEMPTS) throw new SlaException(SlaErrorCode.STALE_VERSION);
      todo = again;
    }
    return out;
  }

  /**
   * Stops the live clocks (one stage, or all) of some tickets at `at`: one statement in the usual case.
   * Returns the tickets with a paused clock, a threshold due by `at` or one that fired after it, for which
   * nothing was written: they take the step-by-step path (fire due thresholds in this transaction, refuse a
   * change overtaken by a firing, stop, cancel timers).
   */
  async stopClocks(m: EntityManager, ticketIds: readonly string[], stage: string | null, at: Date): Promise<string[]> {
    return this.repo.stopClocks(m, ticketIds, stage, at);
  }

  /** The deadline of a clock, or null with no limit or while paused before reaching it. */
  deadline(calendar: ResolvedCalendar, c: ClockFacts): Date | null {
    const limit = limitOf(c);
    if (!limit) return null;
    try {
      return addBusinessDuration(calendar, c.started_at, limit, pausesOf(c));
    } catch (err) {
      // Paused before the limit was reached: no deadline until it resumes.
      if (err instanceof SlaCalendarError && err.code === SlaCalendarErrorCode.OpenPause) return null;
      // Anything else is a calendar or limit the admin checks should have refused (a calendar with no working time
      // for ten years): the clock runs without a deadline, and says why in the log rather than failing the action.
      this.logger.error(`no deadline for a ${c.clock_type} clock started ${c.started_at.toISOString()} on calendar ${calendar.code}: ${(err as Error).message}`);
      return null;
    }
  }

  /** The calendar a clock was computed with (its key), or the current one for clocks from before the SLA engine. */
  async calendarOf(m: EntityManager, c: { calendar_key: string | null; grid_path: string }): Promise<ResolvedCalendar> {
    if (c.calendar_key) return this.calendarByKey(m, c.calendar_key);
    return (await this.currentCalendar(m, c.grid_path)).calendar;
  }

  /**
   * Refuses a clock change (stop, pause, extension) when a threshold of the current clock version fired with a
   * due instant after the change's own time: the firing won the race while this transaction was in flight, so
   * the change must be retried (and then happens after the firing) — one consistent outcome, never both orders.
   */
  async guardChange(m: EntityManager, clockId: string, at: Date): Promise<void> {
    if (await this.repo.firedAfter(m, clockId, at)) throw new SlaException(SlaErrorCode.FIRED_CONCURRENTLY);
  }

  /**
   * Before a workflow action changes a clock at `at`: fires, in the action's transaction, every threshold of
   * the clock's current version that was due by then and has not fired yet. So a resolve after the deadline
   * always carries its breach, whichever of the job and the action ran first.
   */
  async fireDue(m: EntityManager, clockId: string, at: Date): Promise<void> {
    const due = await this.repo.dueTimersOf(m, clockId, at);
    if (due.length === 0) return;
    const ticket = await this.repo.lockTicketOfClock(m, clockId);
    if (!ticket) return;
    for (const t of due) {
      const fired = await this.repo.insertFiring(m, clockId, t.threshold, t.clock_version, 'action', at, ticket.status);
      if (!fired) continue;
      this.markOutbox(m);
      // A 督办 goes through the workflow (a `supervise` action) in its own transaction, after this one commits: at
      // once rather than at the reconciler's next pass (which remains the safety net if this process dies first).
      if (fired.action_state === 'pending' && m.queryRunner) {
        const data = (m.queryRunner.data ?? {}) as Record<string, unknown>;
        m.queryRunner.data = { ...data, [SUPERVISE_FLAG]: [...((data[SUPERVISE_FLAG] as string[] | undefined) ?? []), fired.id] };
      }
    }
  }

  /** Cancels every pending timer of a clock (it stopped or paused). */
  async cancelTimers(m: EntityManager, clockId: string): Promise<void> {
    await this.repo.cancelTimers(m, clockId, null);
  }

  /**
   * Writes the threshold timers of a clock's current version and hands those due within the queue-ahead
   * horizon to the outbox as delayed jobs with deterministic ids. Timers of older versions are cancelled. A threshold that already fired in an
   * earlier version and is still reached (e.g. after a pause) is not fired again.
   */
  async schedule(m: EntityManager, clockId: string): Promise<number> {
    const c = await this.repo.clock(m, clockId);
    if (!c) return 0;
    await this.repo.cancelTimers(m, clockId, c.state === 'running' ? c.clock_version : null);
    if (c.state !== 'running' || !c.deadline) return 0;
    const timers = await this.timersFor(m, c);
    // Only the timers due within the queue-ahead horizon get their job now; `queueUpcoming` queues the rest.
    const inserted = await this.repo.insertTimers(m, c.id, c.ticket_id, c.clock_version, timers, this.config.sla.queueAheadSeconds);
    await this.outbox.addMany(m, inserted.map((t) => ({
      name: 'sla.fire' as const, data: { clockId: c.id, threshold: t.threshold, clockVersion: c.clock_version }, jobId: fireJobId(c.id, t.threshold, c.clock_version), runAt: t.dueAt,
    })));
    if (inserted.length > 0) this.markOutbox(m);
    return inserted.length;
  }

  private async timersFor(m: EntityManager, c: SlaClockRow): Promise<TimerInsert[]> {
    if (!limitOf(c) || !c.deadline) return [];
    const calendar = await this.calendarOf(m, c);
    const policy = await this.policy(m, c.policy_code, c.policy_version);
    const out = thresholdTimers(calendar, policy, c, c.deadline);
    if (c.thresholds_fired.length === 0) return out;
    const now = await this.repo.now(m);
    // Already reached and already fired under an earlier version: carried over, not fired twice.
    return out.filter((t) => !(c.thresholds_fired.includes(t.threshold) && t.dueAt.getTime() <= now.getTime()));
  }
}

/** The threshold timers (催办, 预警, 超期, then the 督办 / 通报 ladder) of a clock with a deadline, from its policy. */
export function thresholdTimers(calendar: ResolvedCalendar, policy: PolicyDefinition, c: ClockFacts, deadline: Date): TimerInsert[] {
  const limit = limitOf(c);
  if (!limit) return [];
  const pauses = pausesOf(c);
  const out: TimerInsert[] = [];
  for (const th of policy.thresholds) {
    const due = th.fraction === 1 ? deadline : instantAtFraction(calendar, c.started_at, limit, th.fraction, pauses);
    out.push({ threshold: th.code, kind: th.kind, level: th.level, dueAt: due });
  }
  for (const step of policy.ladder) {
    out.push({ threshold: step.code, kind: step.kind, level: 'red', dueAt: addNatural(deadline, step.afterBreachSeconds) });
  }
  return out;
}
