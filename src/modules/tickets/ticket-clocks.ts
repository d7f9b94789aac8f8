import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { resolveClockStart } from '../../../libs/workflow';
import type { CaseStandardView } from '../catalogue/catalogue.types';
import { SlaEngine } from '../sla/sla-engine.service';
import { TicketErrorCode, TicketException } from './tickets.exception';
import { TicketsRepository, type ClockRow, type TicketRow } from './tickets.repository';

/** One clock to start: `ifNone` keeps a live clock of the stage instead of restarting it. */
export interface ClockStartRequest {
  ticket: TicketRow;
  stage: string;
  standard: CaseStandardView | undefined;
  ifNone?: boolean;
}

/**
 * Per-stage clocks (立案, 签收, 处置, 核查, 回访, 调解) driven by the workflow's clock effects, inside the
 * action's transaction. Limits, calendars and timers come from the SLA engine (policies and calendars as
 * versioned data); each clock keeps the policy and calendar versions it was computed with. The database clock
 * (`now()`) is the only time source. The resolve limit (处置时限) counts from dispatch (派遣), as in 数字城管.
 */
@Injectable()
export class TicketClocks {
  constructor(private readonly repo: TicketsRepository, private readonly sla: SlaEngine) {}

  /**
   * Starts a stage's clock with its SLA timers; a live clock of the same stage is stopped first. Usually one
   * statement (see `SlaEngine.startClocks`). Returns the new clock.
   */
  async start(m: EntityManager, ticket: TicketRow, stage: string, standard: CaseStandardView | undefined, now: Date): Promise<ClockRow> {
    return (await this.startMany(m, [{ ticket, stage, standard }], now))[0]!;
  }

  /**
   * Starts clocks of several tickets (a batch of claims): one statement for all, plus the stop-and-retry of any
   * stage still live — or, for a start marked `ifNone`, the live clock kept as it is (then no row is returned for it).
   */
  async startMany(m: EntityManager, starts: ReadonlyArray<ClockStartRequest & { ifNone?: false }>, now: Date): Promise<ClockRow[]>;
  async startMany(m: EntityManager, starts: ReadonlyArray<ClockStartRequest>, now: Date): Promise<Array<ClockRow | null>>;
  async startMany(m: EntityManager, starts: ReadonlyArray<ClockStartRequest>, now: Date): Promise<Array<ClockRow | null>> {
    const clockStarts = starts.map(({ ticket, stage, standard }) => ({
      ticket: { id: ticket.id, platform: ticket.platform, gridPath: ticket.grid_path, priority: ticket.priority, unitId: ticket.unit_id },
      stage, standard,
      startedAt: stage === 'resolve' ? resolveClockStart(ticket.dispatched_at, ticket.resolved_at, now) : now,
    }));
    const first = await this.sla.startClocks(m, clockStarts);
    const live = first.flatMap((r, i) => (r === 'live' && !starts[i]!.ifNone ? [i] : []));
    const out = first.map((r) => (r === 'live' ? null : r));
    if (live.length === 0) return out;
    for (const i of live) await this.stop(m, starts[i]!.ticket.id, starts[i]!.stage, now);
    const second = await this.sla.startClocks(m, live.map((i) => clockStarts[i]!));
    live.forEach((i, j) => {
      // The stage's live clock was just stopped under the ticket's row lock, so this cannot be 'live' again.
      const again = second[j]!;
      if (again === 'live') throw new TicketException(TicketErrorCode.STALE_VERSION);
      out[i] = again;
    });
    return out;
  }

  /** Relays the transaction's outbox rows right after it commits (coalesced with other commits' relays). */
  relayAfterCommit(m: EntityManager): void {
    this.sla.markOutbox(m);
  }

  /** Stops live clocks (one stage or all): one statement unless a clock is paused or has a threshold to fire first. */
  async stop(m: EntityManager, ticketId: string, stage: string | 'all', now: Date): Promise<void> {
    await this.stopMany(m, [ticketId], stage, now);
  }

  /** Stops live clocks of several tickets: one statement for all, then the step-by-step path for the tickets it could not stop. */
  async stopMany(m: EntityManager, ticketIds: readonly string[], stage: string | 'all', now: Date): Promise<void> {
    const blocked = await this.sla.stopClocks(m, ticketIds, stage === 'all' ? null : stage, now);
    for (const id of blocked) await this.stopStepByStep(m, id, stage, now);
  }

  private async stopStepByStep(m: EntityManager, ticketId: string, stage: string | 'all', now: Date): Promise<void> {
    const clocks = await this.repo.clocks(m, [ticketId]);
    for (const c of clocks) {
      if (c.state === 'stopped' || (stage !== 'all' && c.stage !== stage)) continue;
      await this.sla.fireDue(m, c.id, now);
      await this.sla.guardChange(m, c.id, now);
      const pauses = c.state === 'paused' && c.paused_at ? [...c.pauses, { from: c.paused_at.toISOString(), to: now.toISOString() }] : undefined;
      await this.repo.updateClock(m, c.id, { state: 'stopped', stopped_at: now, paused_at: null, pauses });
      await this.sla.cancelTimers(m, c.id);
    }
  }

  async pause(m: EntityManager, ticketId: string, stage: string, now: Date): Promise<void> {
    const c = await this.repo.liveClock(m, ticketId, stage);
    if (!c || c.state !== 'running') return;
    await this.sla.fireDue(m, c.id, now);
    await this.sla.guardChange(m, c.id, now);
    await this.repo.updateClock(m, c.id, { state: 'paused', paused_at: now, bumpVersion: true });
    await this.sla.cancelTimers(m, c.id);
  }

  async resume(m: EntityManager, ticketId: string, stage: string, now: Date): Promise<void> {
    const c = await this.repo.liveClock(m, ticketId, stage);
    if (!c || c.state !== 'paused' || !c.paused_at) return;
    const pauses = [...c.pauses, { from: c.paused_at.toISOString(), to: now.toISOString() }];
    const deadline = this.sla.deadline(await this.calendarOf(m, c), { ...c, pauses, paused_at: null });
    await this.repo.updateClock(m, c.id, { state: 'running', paused_at: null, pauses, deadline, bumpVersion: true });
    await this.sla.schedule(m, c.id);
  }

  /** An approved extension (延期) moves the limit; a days clock takes it as whole-day equivalents. */
  async extend(m: EntityManager, ticketId: string, stage: string, extraSeconds: number): Promise<void> {
    const c = await this.repo.liveClock(m, ticketId, stage);
    if (!c) return;
    const now = await this.repo.now(m);
    await this.sla.fireDue(m, c.id, now);
    await this.sla.guardChange(m, c.id, now);
    const extension = c.extension_seconds + extraSeconds;
    const deadline = this.sla.deadline(await this.calendarOf(m, c), { ...c, extension_seconds: extension });
    await this.repo.updateClock(m, c.id, { extension_seconds: extension, deadline, bumpVersion: true });
    await this.sla.schedule(m, c.id);
  }

  private async calendarOf(m: EntityManager, c: ClockRow) {
    const key = c.calendar_key ?? null;
    const t = (await this.repo.findById(m, c.ticket_id))!;
    return this.sla.calendarOf(m, { calendar_key: key, grid_path: t.grid_path });
  }
}
