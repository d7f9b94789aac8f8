import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { calendarVersionKey, resolveCalendar, type CalendarDefinition, type ResolvedCalendar } from '../../../libs/sla-calendar';
import { SlaErrorCode, SlaException } from './sla.exception';
import { SlaRepository } from './sla.repository';

/**
 * Working calendars as data: the chain a grid node uses now (national → city → district, each at its current
 * version) and any chain exactly as a clock recorded it (`cn-national@1>fuxin@2`). Versions are immutable, so a
 * resolved chain is cached by its key; which versions are current is read each time. Used by the SLA engine for
 * deadlines and by the report fold for business-time durations.
 */
@Injectable()
export class SlaCalendars {
  private readonly byKeyCache = new Map<string, ResolvedCalendar>();

  constructor(private readonly repo: SlaRepository) {}

  /** The calendar chain in force now for a grid node, with its key. */
  async current(m: EntityManager, gridPath: string): Promise<{ calendar: ResolvedCalendar; key: string }> {
    const chain = await this.repo.currentChainFor(m, gridPath);
    const key = chain.map((c) => `${c.code}@${c.version}`).join('>');
    return { calendar: await this.byKey(m, key), key };
  }

  /** A calendar exactly as a clock recorded it (`cn-national@1>fuxin@2`). */
  async byKey(m: EntityManager, key: string): Promise<ResolvedCalendar> {
    const cached = this.byKeyCache.get(key);
    if (cached) return cached;
    const pairs = key.split('>').map((part) => {
      const [code, version] = part.split('@');
      return { code: code!, version: Number(version) };
    });
    const rows = await this.repo.calendarVersions(m, pairs);
    const defs: CalendarDefinition[] = pairs.map((p) => {
      const row = rows.find((r) => r.code === p.code && r.version === p.version);
      if (!row) throw new SlaException(SlaErrorCode.CALENDAR_NOT_FOUND, { en: `calendar ${p.code}@${p.version}`, zh: `日历 ${p.code}@${p.version}` });
      return row.definition;
    });
    const resolved = resolveCalendar(defs);
    if (calendarVersionKey(resolved) !== key) throw new SlaException(SlaErrorCode.CALENDAR_INVALID, { en: `stored calendar ${key} does not match its versions`, zh: `日历 ${key} 与版本不符` });
    this.byKeyCache.set(key, resolved);
    return resolved;
  }
}
