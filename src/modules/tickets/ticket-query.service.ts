import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { Role } from '../auth/roles';
import { AuditService } from '../audit/audit.service';
import type { RevealResponse, TicketEventResponse, TicketResponse } from './dto/ticket.response.dto';
import type { TicketListRequest } from './dto/ticket.request.dto';
import { NO_PERSONAL_DATA, contentRestricted, toEventResponse, toTicketResponse } from './ticket.mapper';
import { TicketPersonalService } from './ticket-personal.service';
import { ticketScope } from './ticket-scope';
import { TicketErrorCode, TicketException } from './tickets.exception';
import { TicketsRepository, type ClockRow, type TicketRow } from './tickets.repository';

/** Reads: one ticket with clocks and timeline, the scoped list, events, and the audited reveal. */
@Injectable()
export class TicketQueryService {
  constructor(
    private readonly repo: TicketsRepository,
    private readonly personal: TicketPersonalService,
    private readonly audit: AuditService,
  ) {}

  async unitTypeOf(p: Principal): Promise<string | null> {
    if (!p.unitId) return null;
    return this.repo.unitType(p.unitId);
  }

  /**
   * Responses for rows read through the caller's scope (their `content_visible` says whether the caller may read
   * a dispute's content; a dispute row without it is shown restricted).
   */
  async view(rows: TicketRow[]): Promise<TicketResponse[]> {
    const { now, clocks } = await this.repo.clocksWithNow(rows.map((r) => r.id));
    return rows.map((t) => this.viewOf(t, clocks, now));
  }

  /** The response for a ticket whose clocks the caller already holds (e.g. just written), at `now`. */
  viewOf(t: TicketRow, clocks: ClockRow[], now: Date): TicketResponse {
    // A restricted reader's personal data is not even decrypted.
    return toTicketResponse(t, contentRestricted(t) ? NO_PERSONAL_DATA : this.personal.open(t), clocks, now);
  }

  async get(p: Principal, id: string): Promise<TicketResponse & { timeline: TicketEventResponse[] }> {
    const t = await this.repo.findVisible(ticketScope(p, await this.unitTypeOf(p)), id);
    if (!t) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
    const [view] = await this.view([t]);
    return { ...view!, timeline: (await this.repo.events(t.id)).map((e) => toEventResponse(e, t)) };
  }

  async events(p: Principal, id: string): Promise<TicketEventResponse[]> {
    const t = await this.repo.findVisible(ticketScope(p, await this.unitTypeOf(p)), id);
    if (!t) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
    return (await this.repo.events(t.id)).map((e) => toEventResponse(e, t));
  }

  async list(p: Principal, q: TicketListRequest): Promise<{ items: TicketResponse[]; nextCursor: string | null }> {
    const limit = q.limit ?? 50;
    let cursor: { createdAt: string; id: string } | undefined;
    if (q.cursor) {
      try {
        const [at, id] = Buffer.from(q.cursor, 'base64url').toString('utf8').split('|');
        if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(at ?? '') || !/^[0-9a-f-]{36}$/.test(id ?? '')) throw new Error('bad');
        cursor = { createdAt: at!, id: id! };
      } catch {
        throw new TicketException(TicketErrorCode.INVALID_CURSOR);
      }
    }
    const rows = await this.repo.list(ticketScope(p, await this.unitTypeOf(p)), {
      status: q.status, platform: q.platform, categoryCode: q.categoryCode, gridNodeId: q.gridNodeId, unitId: q.unitId, involvingUnitId: q.involvingUnitId,
      channel: q.channel, overdue: q.overdue === undefined ? undefined : q.overdue === 'true', q: q.q, cursor, limit,
      slaAlert: q.slaAlert,
    });
    const last = rows[rows.length - 1];
    return {
      items: await this.view(rows),
      nextCursor: rows.length === limit && last ? Buffer.from(`${last.created_at_exact}|${last.id}`).toString('base64url') : null,
    };
  }

  /**
   * Reveals full personal data with a stated reason; the reveal is audited before anything is returned. Whole: the
   * reporter, the personal attributes, and the free text (title, description, address, the timeline's notes and
   * reasons) that every other response shows with its phones, ID numbers and e-mails masked.
   */
  async reveal(p: Principal, id: string, reason: string, requestId: string): Promise<RevealResponse> {
    const t = await this.repo.findVisible(ticketScope(p, await this.unitTypeOf(p)), id);
    if (!t) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
    if (contentRestricted(t)) throw new TicketException(TicketErrorCode.DISPUTE_CONTENT_RESTRICTED);
    await this.audit.record({
      actorId: p.id, actorUsername: p.username, actorRole: p.role, action: 'pii.reveal', target: t.id,
      result: 'success', requestId, details: { reason, ticketNumber: t.number, ...(t.attributes?.anonymous === true ? { anonymous: true } : {}) },
    });
    const opened = this.personal.open(t);
    // 匿名 (request_handling `anonymous`): the resident asked that the unit handling the complaint not know who made
    // it. Its handlers get no reporter from the reveal; the dispatchers who call back (回访) still do.
    const hidden = t.attributes?.anonymous === true && p.role === Role.Handler;
    const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    const notes = (await this.repo.events(t.id))
      .map((e) => ({ seq: e.seq, action: e.action, note: e.note, reason: text(e.data.reason), publicNote: text(e.data.publicNote) }))
      .filter((n) => n.note !== null || n.reason !== null || n.publicNote !== null);
    return {
      reporter: hidden ? { name: null, phone: null } : { name: opened.reporterName, phone: opened.reporterPhone }, attributes: { ...opened.attributes },
      title: t.title, description: t.description, address: t.address, notes,
    };
  }
}
