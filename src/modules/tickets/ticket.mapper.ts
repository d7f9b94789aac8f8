import { maskPersonalText } from '../../common/personal-text';
import type { ClockResponse, TicketEventResponse, TicketResponse } from './dto/ticket.response.dto';
import { maskName, maskPersonalValue, maskPhone } from './personal-data';
import type { ClockRow, EventRow, TicketRow } from './tickets.repository';

/**
 * Whitelists fields from rows into responses. Personal values arrive already decrypted and leave masked; free text
 * (title, description, address, event notes and reasons) leaves with the phones, ID numbers and e-mails typed into it
 * masked (`maskPersonalText`; the stored text is whole, revealed only through the audited reveal).
 */
export function toClockResponse(c: ClockRow, now: Date): ClockResponse {
  return {
    stage: c.stage,
    state: c.state,
    clockType: c.clock_type,
    startedAt: c.started_at.toISOString(),
    deadline: c.deadline?.toISOString() ?? null,
    stoppedAt: c.stopped_at?.toISOString() ?? null,
    // Judged when the clock stopped, when it was paused (a suspension holds the clock, and the deadline moves on when
    // it resumes), or now; the list filter `overdue` says the same (tickets.repository.ts).
    overdue: c.deadline !== null && (c.stopped_at ?? c.paused_at ?? now).getTime() > c.deadline.getTime(),
    // Thresholds this clock has fired (催办 remind, 预警 warning, 超期 breach, 督办 / 通报 ladder steps), in firing order.
    thresholdsFired: [...(c.thresholds_fired ?? [])],
    clockVersion: c.clock_version,
    calendarVersions: c.calendar_versions,
  };
}

/**
 * Whether the reader may follow this ticket but not read its content. Only disputes (纠纷化解) restrict content;
 * the SQL of the read computed `content_visible` for the caller (`contentClause` in tickets.repository.ts: the
 * assigned mediators and their supervisors). A dispute row without it was read without a caller and is restricted
 * (fail closed).
 */
export function contentRestricted(t: Pick<TicketRow, 'platform' | 'content_visible'>): boolean {
  return t.platform === 'dispute_resolution' && t.content_visible !== true;
}

/** No personal data: what a restricted reader's response is built from (nothing is decrypted for them). */
export const NO_PERSONAL_DATA = { reporterName: null, reporterPhone: null, attributes: {} } as const;

export function toTicketResponse(
  t: TicketRow,
  personal: { reporterName: string | null; reporterPhone: string | null; attributes: Readonly<Record<string, unknown>> },
  clocks: ClockRow[],
  now: Date,
): TicketResponse {
  const full = toFullTicketResponse(t, contentRestricted(t) ? NO_PERSONAL_DATA : personal, clocks, now);
  return contentRestricted(t) ? withoutContent(full) : full;
}

/**
 * A dispute as its filer (the grid worker who reported it) sees it: the status, number, category, priority, grid
 * node, unit, timestamps and clocks, to follow it — not its content. Content: title, description, address and
 * location, reporter, every platform attribute (parties 当事人, dispute type), the mediation (session count,
 * outcome, referral) and the callback; in the timeline, each event's note and data.
 */
function withoutContent(r: TicketResponse): TicketResponse {
  return {
    ...r, title: null, description: null, address: null, lat: null, lng: null, reporter: null, attributes: {}, mediaUrls: [],
    mediation: null, callback: null, volunteerHours: null, materialsComplete: null, contentRestricted: true,
  };
}

function toFullTicketResponse(
  t: TicketRow,
  personal: { reporterName: string | null; reporterPhone: string | null; attributes: Readonly<Record<string, unknown>> },
  clocks: ClockRow[],
  now: Date,
): TicketResponse {
  const maskedPersonal = Object.fromEntries(Object.entries(personal.attributes).map(([k, v]) => [k, maskPersonalValue(v)]));
  return {
    id: t.id, number: t.number, platform: t.platform, categoryId: t.category_id, categoryCode: t.category_code,
    caseStandardId: t.case_standard_id, priority: t.priority,
    title: maskPersonalText(t.title), description: maskPersonalText(t.description), address: maskPersonalText(t.address),
    lat: t.lat, lng: t.lng, gridNodeId: t.grid_node_id, channel: t.channel, mediaUrls: t.media_urls ?? [],
    reporter: personal.reporterName || personal.reporterPhone
      ? { name: personal.reporterName ? maskName(personal.reporterName) : null, phone: personal.reporterPhone ? maskPhone(personal.reporterPhone) : null }
      : null,
    attributes: { ...t.attributes, ...maskedPersonal },
    status: t.status, previousStatus: t.previous_status, unitId: t.unit_id, coUnitIds: t.co_unit_ids, handlerId: t.handler_id,
    suggestedUnitId: t.suggested_unit_id ?? null, suggestedByRuleId: t.suggested_by_rule_id ?? null,
    filedBy: t.filed_by, resolvedBy: t.resolved_by, parentId: t.parent_id, bounceCount: t.bounce_count, ownerless: t.ownerless,
    supervisionCount: t.supervision_count, slaAlert: t.sla_alert ?? null, slaAlertedAt: t.sla_alerted_at?.toISOString() ?? null,
    extensionPendingSeconds: t.extension_pending_seconds, suspensionPending: t.suspension_pending,
    firstContactAt: t.first_contact_at?.toISOString() ?? null, materialsComplete: t.materials_complete,
    mediation: t.platform === 'dispute_resolution' ? { sessions: t.mediation_session_count, outcome: t.mediation_outcome, referral: t.mediation_referral } : null,
    volunteerHours: t.volunteer_hours === null ? null : Number(t.volunteer_hours), callback: t.callback,
    version: t.version, createdAt: t.created_at.toISOString(), updatedAt: t.updated_at.toISOString(),
    dispatchedAt: t.dispatched_at?.toISOString() ?? null, resolvedAt: t.resolved_at?.toISOString() ?? null, closedAt: t.closed_at?.toISOString() ?? null,
    clocks: clocks.filter((c) => c.ticket_id === t.id).map((c) => toClockResponse(c, now)),
    contentRestricted: false,
  };
}

/**
 * An event of the timeline, with the attachments it carries (SPEC §5: actor, time, from, to, note, attachments).
 * For a reader whose ticket is `contentRestricted`, the note, data and attachments (mediation notes, outcome,
 * reasons, units' remarks, evidence) are withheld: they see what happened and when (action, actor, from → to),
 * not what was said.
 */
export function toEventResponse(e: EventRow, ticket: Pick<TicketRow, 'platform' | 'content_visible'>): TicketEventResponse {
  const restricted = contentRestricted(ticket);
  return {
    seq: e.seq, action: e.action, actorId: e.actor_id, actorRole: e.actor_role, actorName: e.actor_name,
    from: e.from_status, to: e.to_status, note: restricted ? null : maskPersonalText(e.note), data: restricted ? {} : maskEventData(e.data),
    at: e.at.toISOString(),
    attachments: restricted ? [] : e.attachments, contentRestricted: restricted,
  };
}

/**
 * The free text an event's data may carry: the `reason` of a return, suspension, void, cancellation…, and a
 * `publicNote` (words for the resident). Masked in the timeline, whole in the reveal.
 */
const FREE_TEXT_DATA_KEYS = ['reason', 'publicNote'] as const;

/** An event's data with the personal data typed into its free text masked. */
function maskEventData(data: Record<string, unknown>): Record<string, unknown> {
  if (!FREE_TEXT_DATA_KEYS.some((k) => typeof data[k] === 'string')) return data;
  const out = { ...data };
  for (const k of FREE_TEXT_DATA_KEYS) if (typeof out[k] === 'string') out[k] = maskPersonalText(out[k]);
  return out;
}
