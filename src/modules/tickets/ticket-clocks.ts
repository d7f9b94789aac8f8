import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CN_NATIONAL_2025_2026, addBusinessDuration, resolveCalendar, type ClockLimit, type ClockPause, type ResolvedCalendar } from '../../../libs/sla-calendar';
import type { CaseStandardView } from '../catalogue/catalogue.types';
import { TicketsRepository, type ClockRow, type TicketRow } from './tickets.repository';

/**
 * Per-stage clocks (立案, 签收, 处置, 核查, 回访, 调解) driven by the workflow's clock effects. Deadlines come
 * from libs/sla-calendar and the case standard; the database clock (`now()`) is the only time source.
 * The resolve limit (处置时限) counts from dispatch (派遣), as in 数字城管.
 */
@Injectable()
export class TicketClocks {
  // The national calendar in code until calendars become data (the SLA issue); each clock records its versions.
  private readonly calendar: ResolvedCalendar = resolveCalendar([CN_NATIONAL_2025_2026]);

  constructor(private readonly repo: TicketsRepository) {}

  async start(m: EntityManager, ticket: TicketRow, stage: string, standard: CaseStandardView | undefined, now: Date): Promise<void> {
    const existing = await this.repo.liveClock(m, ticket.id, stage);
    if (existing) await this.repo.updateClock(m, existing.id, { state: 'stopped', stopped_at: now });
    const limited = (stage === 'resolve' || stage === 'mediation') && standard;
    const clock = {
      ticket_id: ticket.id,
      stage,
      state: 'running' as const,
      clock_type: limited ? standard.clockType : ('natural' as const),
      limit_seconds: limited ? standard.resolveLimitSeconds : null,
      limit_days: limited ? standard.resolveLimitDays : null,
      start_next_working_day: limited ? standard.startNextWorkingDay : false,
      extension_seconds: 0,
      started_at: stage === 'resolve' && ticket.dispatched_at ? ticket.dispatched_at : now,
      deadline: null as Date | null,
      calendar_versions: limited ? { ...this.calendar.versions } : {},
    };
    clock.deadline = this.deadline({ ...clock, pauses: [], paused_at: null, limit_days: clock.limit_days === null ? null : String(clock.limit_days) });
    await this.repo.insertClock(m, clock);
  }

  async stop(m: EntityManager, ticketId: string, stage: string | 'all', now: Date): Promise<void> {
    const clocks = await this.repo.clocks(m, [ticketId]);
    for (const c of clocks) {
      if (c.state === 'stopped' || (stage !== 'all' && c.stage !== stage)) continue;
      const pauses = c.state === 'paused' && c.paused_at ? [...c.pauses, { from: c.paused_at.toISOString(), to: now.toISOString() }] : undefined;
      await this.repo.updateClock(m, c.id, { state: 'stopped', stopped_at: now, paused_at: null, pauses });
    }
  }

  async pause(m: EntityManager, ticketId: string, stage: string, now: Date): Promise<void> {
    const c = await this.repo.liveClock(m, ticketId, stage);
    if (!c || c.state !== 'running') return;
    await this.repo.updateClock(m, c.id, { state: 'paused', paused_at: now, bumpVersion: true });
  }

  async resume(m: EntityManager, ticketId: string, stage: string, now: Date): Promise<void> {
    const c = await this.repo.liveClock(m, ticketId, stage);
    if (!c || c.state !== 'paused' || !c.paused_at) return;
    const pauses = [...c.pauses, { from: c.paused_at.toISOString(), to: now.toISOString() }];
    await this.repo.updateClock(m, c.id, { state: 'running', paused_at: null, pauses, deadline: this.deadline({ ...c, pauses, paused_at: null }), bumpVersion: true });
  }

  /** An approved extension (延期) moves the limit; a days clock takes it as whole-day equivalents. */
  async extend(m: EntityManager, ticketId: string, stage: string, extraSeconds: number): Promise<void> {
    const c = await this.repo.liveClock(m, ticketId, stage);
    if (!c) return;
    const extension = c.extension_seconds + extraSeconds;
    await this.repo.updateClock(m, c.id, { extension_seconds: extension, deadline: this.deadline({ ...c, extension_seconds: extension }), bumpVersion: true });
  }

  deadline(c: Pick<ClockRow, 'clock_type' | 'limit_seconds' | 'limit_days' | 'start_next_working_day' | 'extension_seconds' | 'started_at' | 'pauses' | 'paused_at'>): Date | null {
    if (c.limit_seconds === null && c.limit_days === null) return null;
    const limit: ClockLimit = c.clock_type === 'working_days'
      ? { type: c.clock_type, days: Number(c.limit_days ?? 0) + c.extension_seconds / 86400, startNextWorkingDay: c.start_next_working_day }
      : { type: c.clock_type, seconds: (c.limit_seconds ?? 0) + c.extension_seconds, startNextWorkingDay: c.start_next_working_day };
    const pauses: ClockPause[] = c.pauses.map((p) => ({ from: new Date(p.from), to: new Date(p.to) }));
    if (c.paused_at) pauses.push({ from: c.paused_at, to: null });
    try {
      return addBusinessDuration(this.calendar, c.started_at, limit, pauses);
    } catch {
      return null; // paused before the limit was reached: no deadline until it resumes
    }
  }
}
