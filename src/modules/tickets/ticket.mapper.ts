import type { ClockResponse, TicketEventResponse, TicketResponse } from './dto/ticket.response.dto';
import { maskName, maskPersonalValue, maskPhone } from './personal-data';
import type { ClockRow, EventRow, TicketRow } from './tickets.repository';

/** Whitelists fields from rows into responses. Personal values arrive already decrypted and leave masked. */
export function toClockResponse(c: ClockRow, now: Date): ClockResponse {
  return {
    stage: c.stage,
    state: c.state,
    clockType: c.clock_type,
    startedAt: c.started_at.toISOString(),
    deadline: c.deadline?.toISOString() ?? null,
    stoppedAt: c.stopped_at?.toISOString() ?? null,
    overdue: c.deadline !== null && (c.stopped_at ?? now).getTime() > c.deadline.getTime(),
    // Thresholds this clock has fired (催办 remind, 预警 warning, 超期 breach, 督办 / 通报 ladder steps), in firing order.
    thresholdsFired: [...(c.thresholds_fired ?? [])],
    clockVersion: c.clock_version,
    calendarVersions: c.calendar_versions,
  };
}

export function toTicketResponse(
  t: TicketRow,
  personal: { reporterName: string | null; reporterPhone: string | null; attributes: Record<string, unknown> },
  clocks: ClockRow[],
  now: Date,
): TicketResponse {
  const maskedPersonal = Object.fromEntries(Object.entries(personal.attributes).map(([k, v]) => [k, maskPersonalValue(v)]));
  return {
    id: t.id, number: t.number, platform: t.platform, categoryId: t.category_id, categoryCode: t.category_code,
    caseStandardId: t.case_standard_id, priority: t.priority, title: t.title, description: t.description, address: t.address,
    lat: t.lat, lng: t.lng, gridNodeId: t.grid_node_id, channel: t.channel,
    reporter: personal.reporterName || personal.reporterPhone
      ? { name: personal.reporterName ? maskName(personal.reporterName) : null, phone: personal.reporterPhone ? maskPhone(personal.reporterPhone) : null }
      : null,
    attributes: { ...t.attributes, ...maskedPersonal },
    status: t.status, previousStatus: t.previous_status, unitId: t.unit_id, coUnitIds: t.co_unit_ids, handlerId: t.handler_id,
    filedBy: t.filed_by, resolvedBy: t.resolved_by, parentId: t.parent_id, bounceCount: t.bounce_count, ownerless: t.ownerless,
    supervisionCount: t.supervision_count, extensionPendingSeconds: t.extension_pending_seconds, suspensionPending: t.suspension_pending,
    firstContactAt: t.first_contact_at?.toISOString() ?? null, materialsComplete: t.materials_complete,
    mediation: t.platform === 'dispute_resolution' ? { sessions: t.mediation_session_count, outcome: t.mediation_outcome, referral: t.mediation_referral } : null,
    volunteerHours: t.volunteer_hours === null ? null : Number(t.volunteer_hours), callback: t.callback,
    version: t.version, createdAt: t.created_at.toISOString(), updatedAt: t.updated_at.toISOString(),
    dispatchedAt: t.dispatched_at?.toISOString() ?? null, resolvedAt: t.resolved_at?.toISOString() ?? null, closedAt: t.closed_at?.toISOString() ?? null,
    clocks: clocks.filter((c) => c.ticket_id === t.id).map((c) => toClockResponse(c, now)),
  };
}

export function toEventResponse(e: EventRow): TicketEventResponse {
  return {
    seq: e.seq, action: e.action, actorId: e.actor_id, actorRole: e.actor_role, actorName: e.actor_name,
    from: e.from_status, to: e.to_status, note: e.note, data: e.data, at: e.at.toISOString(),
  };
}
