import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CaseStandardView } from '../catalogue/catalogue.types';
import { SlaEngine } from '../sla/sla-engine.service';
import { TicketsRepository, type ClockRow, type TicketRow } from './tickets.repository';

/**
 * Per-stage clocks (立案, 签收, 处置, 核查, 回访, 调解) driven by the workflow's clock effects, inside the
 * action's transaction. Limits, calendars and timers come from the SLA engine (policies and calendars as
 * versioned data); each clock keeps the policy and calendar versions it was computed with. The database clock
 * (`now()`) is the only time source. The resolve limit (处置时限) counts from dispatch (派遣), as in 数字城管.
 */
@Injectable()
export class TicketClocks {
  constructor(private readonly repo: TicketsRepository, private readonly sla: SlaEngine) {}

  async start(m: EntityManager, ticket: TicketRow, stage: string, standard: CaseStandardView | undefined, now: Date): Promise<void> {
    const existing = await this.repo.liveClock(m, ticket.id, stage);
    if (existing) {
      await this.sla.fireDue(m, existing.id, now);
      await this.sla.guardChange(m, existing.id, now);
      await this.repo.updateClock(m, existing.id, { state: 'stopped', stopped_at: now });
      await this.sla.cancelTimers(m, existing.id);
    }
    const plan = await this.sla.plan(m, { platform: ticket.platform, gridPath: ticket.grid_path, priority: ticket.priority, unitId: ticket.unit_id }, stage, standard);
    const startedAt = stage === 'resolve' && ticket.dispatched_at ? ticket.dispatched_at : now;
    const facts = {
      clock_type: plan.clockType, limit_seconds: plan.limitSeconds, limit_days: plan.limitDays, start_next_working_day: plan.startNextWorkingDay,
      extension_seconds: 0, started_at: startedAt, pauses: [], paused_at: null,
    };
    await this.repo.insertClock(m, {
      ticket_id: ticket.id,
      stage,
      state: 'running',
      clock_type: plan.clockType,
      limit_seconds: plan.limitSeconds,
      limit_days: plan.limitDays,
      start_next_working_day: plan.startNextWorkingDay,
      extension_seconds: 0,
      started_at: startedAt,
      deadline: this.sla.deadline(plan.calendar, facts),
      calendar_versions: plan.calendarVersions,
    });
    const clock = (await this.repo.liveClock(m, ticket.id, stage))!;
    await this.sla.setClockSla(m, clock.id, plan);
    await this.sla.schedule(m, clock.id);
  }

  async stop(m: EntityManager, ticketId: string, stage: string | 'all', now: Date): Promise<void> {
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
