import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { isPlatform, replayClocks, type ClockReplayEvent, type ReplayedClock, type State } from '../../../libs/workflow';
import type { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { CatalogueService } from '../catalogue/catalogue.service';
import type { RecomputeRequest } from './dto/sla.request.dto';
import type { ClockChangeResponse, RecomputeResponse } from './dto/sla.response.dto';
import { SlaEngine, type StandardLimit } from './sla-engine.service';
import { SlaErrorCode, SlaException } from './sla.exception';
import { SlaRepository, type RecomputeTicketRow, type ReplayedClockWrite, type SlaClockRow } from './sla.repository';

/** The facts of a clock run: what the event log decides (the limit and deadline come from the policy and calendar). */
interface ClockFactsOfRun {
  state: 'running' | 'paused' | 'stopped';
  startedAt: Date;
  stoppedAt: Date | null;
  pausedAt: Date | null;
  pauses: Array<{ from: string; to: string }>;
  extensionSeconds: number;
}

/** A stored clock and the run of the log it stands for; either may be missing (a repair). */
type Pairing =
  | { kind: 'matched'; stored: SlaClockRow; facts: ClockFactsOfRun }
  | { kind: 'missing'; stage: string; facts: ClockFactsOfRun; startedAt: Date }
  | { kind: 'unexplained'; stored: SlaClockRow };

const FACT_NAMES = ['state', 'startedAt', 'stoppedAt', 'pausedAt', 'pauses', 'extensionSeconds'] as const;

function factsOfRow(c: SlaClockRow): ClockFactsOfRun {
  return { state: c.state, startedAt: c.started_at, stoppedAt: c.stopped_at, pausedAt: c.paused_at, pauses: c.pauses, extensionSeconds: c.extension_seconds };
}

function factsOfRun(r: ReplayedClock): ClockFactsOfRun {
  return {
    state: r.state, startedAt: r.startedAt, stoppedAt: r.stoppedAt, pausedAt: r.pausedAt, extensionSeconds: r.extensionSeconds,
    pauses: r.pauses.map((p) => ({ from: p.from.toISOString(), to: p.to.toISOString() })),
  };
}

const ms = (d: Date | string | null): number | null => (d === null ? null : typeof d === 'string' ? Date.parse(d) : d.getTime());

/** Which facts of the stored clock disagree with the replayed ones (instants compared to the millisecond). */
function differingFacts(stored: ClockFactsOfRun, replayed: ClockFactsOfRun): string[] {
  const same: Record<(typeof FACT_NAMES)[number], boolean> = {
    state: stored.state === replayed.state,
    startedAt: ms(stored.startedAt) === ms(replayed.startedAt),
    stoppedAt: ms(stored.stoppedAt) === ms(replayed.stoppedAt),
    pausedAt: ms(stored.pausedAt) === ms(replayed.pausedAt),
    pauses: stored.pauses.length === replayed.pauses.length
      && stored.pauses.every((p, i) => ms(p.from) === ms(replayed.pauses[i]!.from) && ms(p.to) === ms(replayed.pauses[i]!.to)),
    extensionSeconds: stored.extensionSeconds === replayed.extensionSeconds,
  };
  return FACT_NAMES.filter((name) => !same[name]);
}

/**
 * 重算: recomputes the clocks of a population under the current policy and calendar versions. By default the
 * clock facts (start, pauses, extensions, stop) are replayed from each ticket's event log (libs/workflow
 * `replayClocks`, which mirrors how the workflow's clock effects drive clocks), so a clock row that disagrees with
 * the log is repaired and reported; with `source: 'clocks'` the stored facts are kept. The limit and deadline are
 * derived again. Every moved clock gets a new clock version (its old timers go stale), fresh timers and an
 * `sla-recompute` event; the run is stored in `sla_recomputations` and audited. A dry run changes nothing.
 */
@Injectable()
export class SlaRecomputeService {
  constructor(
    private readonly repo: SlaRepository,
    private readonly engine: SlaEngine,
    private readonly catalogue: CatalogueService,
    private readonly audit: AuditService,
  ) {}

  async recompute(p: Principal, body: RecomputeRequest): Promise<RecomputeResponse> {
    if (!body.ticketIds && !body.platform && !body.categoryCode && !body.status) throw new SlaException(SlaErrorCode.RECOMPUTE_FILTER_REQUIRED);
    const dryRun = body.dryRun ?? false;
    const source = body.source === 'clocks' ? 'clocks' : 'events';
    const limit = body.limit ?? 1000;
    const filter = {
      ticketIds: body.ticketIds, platform: body.platform, categoryCode: body.categoryCode, status: body.status,
      includeStopped: body.includeStopped ?? false, limit, scopePath: p.scopePath, afterTicketId: body.afterTicketId,
    };
    const result = await this.repo.transaction(async (m) => {
      const matched = await this.repo.ticketsToRecompute(m, { ...filter, limit: limit + 1 });
      const tickets = matched.slice(0, limit);
      const standards = new Map<string, StandardLimit | undefined>();
      const changes: ClockChangeResponse[] = [];
      let examined = 0;
      for (const ticket of tickets) {
        const locked = await this.repo.lockTicket(m, ticket.id);
        if (!locked) continue;
        const stored = await this.repo.clocksOfTicket(m, ticket.id);
        const pairings = source === 'events' ? await this.pairWithLog(m, ticket, stored) : stored.map((c): Pairing => ({ kind: 'matched', stored: c, facts: factsOfRow(c) }));
        for (const pairing of pairings) {
          if (!filter.includeStopped && !isLive(pairing)) continue;
          examined++;
          const change = await this.recomputeOne(m, ticket, pairing, standards, dryRun);
          if (!change) continue;
          changes.push(change);
          if (!dryRun) await this.repo.insertTicketEvent(m, ticket.id, locked.status, 'sla-recompute', body.note ?? '时限重算 SLA recomputation', { ...change });
        }
      }
      const limitReached = matched.length > limit;
      const recorded = { ...filter, scopePath: undefined, dryRun, source };
      const recomputationId = dryRun ? null : await this.repo.insertRecomputation(m, {
        userId: p.id, filter: recorded, examined, moved: changes.length, changes,
      });
      return { recomputationId, examined, changes, tickets: tickets.length, limitReached, next: limitReached ? tickets[tickets.length - 1]!.id : null };
    });
    const repaired = result.changes.filter((c) => c.repaired.length > 0).length;
    await this.audit.record({
      actorId: p.id, actorUsername: p.username, actorRole: p.role, action: 'sla.recompute', target: result.recomputationId, result: 'success',
      details: { dryRun, source, examined: result.examined, moved: result.changes.length, repaired, filter: { ...filter, scopePath: undefined } },
    });
    return {
      recomputationId: result.recomputationId, dryRun, source, examined: result.examined, moved: result.changes.length, repaired,
      ticketsExamined: result.tickets, limitReached: result.limitReached, nextAfterTicketId: result.next, changes: result.changes,
    };
  }

  /**
   * Replays the ticket's log and pairs each stage's runs, in start order, with the stored clocks of that stage in
   * creation order. Unexplained rows come first (stopping them frees the stage for a live run), then the pairs in
   * start order (earlier runs stop before later ones go live), then the runs no row recorded.
   */
  private async pairWithLog(m: EntityManager, ticket: RecomputeTicketRow, stored: SlaClockRow[]): Promise<Pairing[]> {
    if (!isPlatform(ticket.platform)) return stored.map((c) => ({ kind: 'matched', stored: c, facts: factsOfRow(c) }));
    const events: ClockReplayEvent[] = (await this.repo.eventsForReplay(m, ticket.id)).map((e) => ({
      action: e.action, from: e.from_status as State | null, to: e.to_status as State, at: e.at, data: e.data,
    }));
    const runs = replayClocks(ticket.platform, events);
    const unexplained: Pairing[] = [];
    const matched: Pairing[] = [];
    const missing: Pairing[] = [];
    const seen = new Map<string, number>();
    for (const run of runs) {
      const index = seen.get(run.stage) ?? 0;
      seen.set(run.stage, index + 1);
      const row = stored.filter((c) => c.stage === run.stage)[index];
      if (row) matched.push({ kind: 'matched', stored: row, facts: factsOfRun(run) });
      else missing.push({ kind: 'missing', stage: run.stage, facts: factsOfRun(run), startedAt: events[run.startedBy]!.at });
    }
    for (const row of stored) {
      const index = stored.filter((c) => c.stage === row.stage).indexOf(row);
      if (index >= (seen.get(row.stage) ?? 0)) unexplained.push({ kind: 'unexplained', stored: row });
    }
    return [...unexplained, ...matched, ...missing];
  }

  private async recomputeOne(m: EntityManager, ticket: RecomputeTicketRow, pairing: Pairing, standards: Map<string, StandardLimit | undefined>, dryRun: boolean): Promise<ClockChangeResponse | null> {
    if (pairing.kind === 'unexplained') {
      const c = pairing.stored;
      if (c.state === 'stopped') return null; // nothing runs that the log does not explain
      if (!dryRun) {
        await this.repo.stopUnexplainedClock(m, c.id);
        await this.engine.schedule(m, c.id); // a stopped clock keeps no pending timer
      }
      const policy = c.policy_code ? `${c.policy_code}@${c.policy_version}` : null;
      return {
        ticketId: ticket.id, clockId: c.id, stage: c.stage, state: 'stopped', fromDeadline: c.deadline?.toISOString() ?? null, toDeadline: c.deadline?.toISOString() ?? null,
        movedSeconds: c.deadline ? 0 : null, fromPolicy: policy, toPolicy: policy ?? '', fromCalendar: c.calendar_key, toCalendar: c.calendar_key ?? '', repaired: ['unexplained'],
      };
    }
    const stage = pairing.kind === 'matched' ? pairing.stored.stage : pairing.stage;
    const facts = pairing.facts;
    const standard = await this.standardOf(m, standards, ticket.category_id, ticket.case_standard_id);
    const plan = await this.engine.plan(m, { platform: ticket.platform, gridPath: ticket.grid_path, priority: ticket.priority, unitId: ticket.unit_id }, stage, standard);
    // A paused clock keeps the deadline it had when the pause began (as the live path does); resuming moves it.
    const deadline = this.engine.deadline(plan.calendar, {
      clock_type: plan.clockType, limit_seconds: plan.limitSeconds, limit_days: plan.limitDays, start_next_working_day: plan.startNextWorkingDay,
      extension_seconds: facts.extensionSeconds, started_at: facts.startedAt, pauses: facts.pauses, paused_at: null,
    });
    const write: ReplayedClockWrite = {
      ...facts, limitSeconds: plan.limitSeconds, limitDays: plan.limitDays, clockType: plan.clockType, startNextWorkingDay: plan.startNextWorkingDay,
      deadline, policyCode: plan.policyCode, policyVersion: plan.policyVersion, calendarKey: plan.calendarKey, calendarVersions: plan.calendarVersions,
    };
    const toPolicy = `${plan.policyCode}@${plan.policyVersion}`;
    if (pairing.kind === 'missing') {
      const clockId = dryRun ? null : await this.repo.insertReplayedClock(m, ticket.id, stage, pairing.startedAt, write);
      if (clockId) await this.engine.schedule(m, clockId);
      return {
        ticketId: ticket.id, clockId: clockId ?? '', stage, state: facts.state, fromDeadline: null, toDeadline: deadline?.toISOString() ?? null, movedSeconds: null,
        fromPolicy: null, toPolicy, fromCalendar: null, toCalendar: plan.calendarKey, repaired: ['missing'],
      };
    }
    const c = pairing.stored;
    const repaired = differingFacts(factsOfRow(c), facts);
    const samePolicy = c.policy_code === plan.policyCode && c.policy_version === plan.policyVersion;
    const sameDeadline = (c.deadline?.getTime() ?? null) === (deadline?.getTime() ?? null);
    if (repaired.length === 0 && samePolicy && c.calendar_key === plan.calendarKey && sameDeadline) return null;
    if (!dryRun) {
      await this.repo.rewriteClock(m, c.id, write);
      await this.engine.schedule(m, c.id);
    }
    return {
      ticketId: ticket.id, clockId: c.id, stage, state: facts.state,
      fromDeadline: c.deadline?.toISOString() ?? null, toDeadline: deadline?.toISOString() ?? null,
      movedSeconds: c.deadline && deadline ? (deadline.getTime() - c.deadline.getTime()) / 1000 : null,
      fromPolicy: c.policy_code ? `${c.policy_code}@${c.policy_version}` : null, toPolicy,
      fromCalendar: c.calendar_key, toCalendar: plan.calendarKey, repaired,
    };
  }

  private async standardOf(m: EntityManager, cache: Map<string, StandardLimit | undefined>, categoryId: string, standardId: string | null): Promise<StandardLimit | undefined> {
    if (!standardId) return undefined;
    if (!cache.has(standardId)) {
      const category = await this.catalogue.categoryById(categoryId, m);
      cache.set(standardId, category?.standards.find((s) => s.id === standardId));
    }
    return cache.get(standardId);
  }
}

function isLive(p: Pairing): boolean {
  if (p.kind === 'unexplained') return p.stored.state !== 'stopped';
  if (p.kind === 'missing') return p.facts.state !== 'stopped';
  return p.stored.state !== 'stopped' || p.facts.state !== 'stopped';
}
