import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { decide, httpStatusFor, isAction, type Action, type Effect, type Platform, type WorkflowActor, type WorkflowTicket } from '../../../libs/workflow';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { Principal } from '../auth/principal';
import type { CaseStandardView } from '../catalogue/catalogue.types';
import { CatalogueService } from '../catalogue/catalogue.service';
import type { TicketActionRequest } from './dto/ticket.request.dto';
import type { TicketResponse } from './dto/ticket.response.dto';
import { TicketClocks } from './ticket-clocks';
import { TicketQueryService } from './ticket-query.service';
import { ticketScope } from './ticket-scope';
import { TicketErrorCode, TicketException, WorkflowRefusal } from './tickets.exception';
import { TicketsRepository, type TicketRow, type TicketScope } from './tickets.repository';

const DONE = new Set(['closed', 'archived']);

function toWorkflowTicket(t: TicketRow): WorkflowTicket {
  return {
    id: t.id,
    status: t.status as WorkflowTicket['status'],
    previousStatus: t.previous_status as WorkflowTicket['previousStatus'],
    unitId: t.unit_id,
    coUnitIds: t.co_unit_ids,
    handlerId: t.handler_id,
    filedBy: t.filed_by,
    resolvedBy: t.resolved_by,
    firstContactAt: t.first_contact_at,
    extensionPending: t.extension_pending_seconds ? { extraSeconds: t.extension_pending_seconds } : null,
    suspensionPending: t.suspension_pending,
    bounceCount: t.bounce_count,
    materialsComplete: t.materials_complete ?? true,
    mediationSessionCount: t.mediation_session_count,
  };
}

/**
 * Every workflow action: lock the ticket, check the version, let libs/workflow decide, apply its effects,
 * append the event — all in one transaction, so a refused or conflicting action changes nothing.
 */
@Injectable()
export class TicketActionsService {
  private readonly standards = new Map<string, CaseStandardView | undefined>();

  constructor(
    private readonly repo: TicketsRepository,
    private readonly catalogue: CatalogueService,
    private readonly clocks: TicketClocks,
    private readonly query: TicketQueryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A staff member's action, within their scope. */
  async act(p: Principal, id: string, actionName: string, body: TicketActionRequest): Promise<TicketResponse> {
    if (!isAction(actionName)) throw new TicketException(TicketErrorCode.UNKNOWN_ACTION);
    const unitType = await this.query.unitTypeOf(p);
    const scope = ticketScope(p, unitType);
    await this.perform({ id: p.id, role: p.role, unitId: p.unitId, unitType, eventActorId: p.id, scope }, id, actionName, body);
    const row = await this.repo.findVisible(scope, id);
    if (!row) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND); // e.g. a handler who returned it no longer sees it
    return (await this.query.view([row]))[0]!;
  }

  /**
   * An automatic action (routing, SLA): actor role `system`, no scope, recorded with no actor id.
   * Returns the new version, or the refusal code when the workflow or the version check says no.
   */
  async actAsSystem(id: string, action: Action, body: TicketActionRequest): Promise<{ ok: true } | { ok: false; code: string }> {
    try {
      await this.perform({ id: 'system', role: 'system', unitId: null, unitType: null, eventActorId: null, scope: null }, id, action, body);
      return { ok: true };
    } catch (err) {
      if (err instanceof TicketException || err instanceof WorkflowRefusal) return { ok: false, code: err.code };
      throw err;
    }
  }

  /**
   * A staff member's action inside the caller's transaction (claim-next locks its candidate with SKIP LOCKED,
   * then signs it in the same transaction). The caller commits; a refusal throws and rolls everything back.
   */
  async actWithin(m: EntityManager, p: Principal, id: string, action: Action, body: TicketActionRequest, knownUnitType?: string | null): Promise<TicketResponse> {
    // Read through the caller's connection: a second pooled connection per transaction can starve the pool.
    // The caller may already have read the type of the actor's unit in its own statement (claim-next does).
    const unitType = !p.unitId ? null : knownUnitType !== undefined ? knownUnitType : (await this.repo.unitInfo(m, p.unitId))?.type ?? null;
    const { row, now } = await this.perform({ id: p.id, role: p.role, unitId: p.unitId, unitType, eventActorId: p.id, scope: ticketScope(p, unitType) }, id, action, body, m);
    // The ticket as the action left it, with its clocks, at the transaction's time (no timeline: see docs/api.md).
    return this.query.viewOf(row, await this.repo.clocks(m, [row.id]), now);
  }

  private async perform(
    actor: { id: string; role: string; unitId: string | null; unitType: string | null; eventActorId: string | null; scope: TicketScope | null },
    id: string,
    action: Action,
    body: TicketActionRequest,
    within?: EntityManager,
  ): Promise<{ row: TicketRow; now: Date }> {
    const scope = actor.scope;
    const inTransaction = <T>(fn: (m: EntityManager) => Promise<T>): Promise<T> => (within ? fn(within) : this.repo.transaction(fn));
    return inTransaction(async (m) => {
      const locked = await this.repo.lockForAction(m, scope, id);
      if (!locked) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
      const { row: t, now } = locked;
      if (t.version !== body.expectedVersion) {
        throw new TicketException(TicketErrorCode.STALE_VERSION, { en: `current version is ${t.version}`, zh: `当前版本为 ${t.version}` });
      }
      for (const [unitId, lead] of [...(body.unitId ? [[body.unitId, true] as const] : []), ...(body.coUnitIds ?? []).map((u) => [u, false] as const)]) {
        const unit = await this.repo.unitForTicket(m, unitId, t.grid_path);
        if (!unit || (lead && !unit.active)) throw new TicketException(TicketErrorCode.UNIT_NOT_FOUND);
        if (!unit.covers) throw new TicketException(TicketErrorCode.UNIT_OUT_OF_JURISDICTION);
      }
      if (body.parentId) {
        const parent = scope ? await this.repo.findVisible(scope, body.parentId, m) : await this.repo.findById(m, body.parentId);
        if (!parent || parent.id === t.id || ['closed', 'archived', 'voided', 'cancelled', 'merged'].includes(parent.status)) {
          throw new TicketException(TicketErrorCode.PARENT_NOT_FOUND);
        }
      }
      const decision = decide({
        platform: t.platform as Platform,
        ticket: toWorkflowTicket(t),
        actor: { id: actor.id, role: actor.role as WorkflowActor['role'], unitId: actor.unitId, unitType: actor.unitType },
        action,
        input: { ...body, reason: body.reason ?? undefined },
        settings: { ownerlessAfterBounces: this.config.dispatch.ownerlessAfterBounces },
      });
      if (!decision.ok) throw new WorkflowRefusal(httpStatusFor(decision.code), decision.code, decision.message);

      const patch: Record<string, unknown> = {};
      const data: Record<string, unknown> = {};
      if (decision.to !== t.status) {
        patch.status = decision.to;
        patch.previous_status = t.status;
        if (decision.to === 'dispatched') patch.dispatched_at = now;
        if (decision.to === 'resolved') patch.resolved_at = now;
        if (DONE.has(decision.to)) patch.closed_at = now;
      }
      for (const e of decision.effects) this.applyToTicket(e, t, patch, data, now);
      for (const key of ['unitId', 'coUnitIds', 'reason', 'passed', 'approved', 'contacted', 'resolved', 'satisfaction', 'extraSeconds', 'parentId', 'mediationOutcome', 'volunteerHours'] as const) {
        if (body[key] !== undefined) data[key] = body[key];
      }
      const { row: updated, eventId } = await this.repo.applyAction(m, t.id, patch, {
        action, actorId: actor.eventActorId, actorRole: actor.role, from: t.status, to: decision.to, note: body.note ?? null, data,
      });
      if (body.attachmentIds?.length) {
        const linked = await this.repo.linkAttachments(m, t.id, body.attachmentIds, eventId);
        if (linked !== new Set(body.attachmentIds).size) throw new TicketException(TicketErrorCode.ATTACHMENT_NOT_FOUND);
      }
      await this.applyClockEffects(m, updated, decision.effects, now);
      if (DONE.has(decision.to)) await this.closeMergedChildren(m, updated, actor, now);
      return { row: updated, now };
    });
  }

  private applyToTicket(e: Effect, t: TicketRow, patch: Record<string, unknown>, data: Record<string, unknown>, now: Date): void {
    switch (e.kind) {
      case 'set-unit': patch.unit_id = e.unitId; break;
      case 'set-co-units': patch.co_unit_ids = e.unitIds; break;
      case 'set-handler': patch.handler_id = e.handlerId; break;
      case 'set-resolver': patch.resolved_by = e.userId; break;
      case 'set-parent': patch.parent_id = e.parentId; break;
      case 'increment-bounce': patch.bounce_count = t.bounce_count + 1; break;
      case 'flag-ownerless': patch.ownerless = true; data.ownerless = true; break;
      case 'supervise': patch.supervision_count = t.supervision_count + 1; data.supervision = { source: e.source }; break;
      case 'extension-request': patch.extension_pending_seconds = e.extraSeconds; break;
      case 'extension-clear': patch.extension_pending_seconds = null; break;
      case 'extension': data.extensionGranted = e.extraSeconds; break;
      case 'suspension-request': patch.suspension_pending = true; break;
      case 'suspension-clear': patch.suspension_pending = false; break;
      case 'first-contact': patch.first_contact_at = t.first_contact_at ?? now; break;
      case 'clear-first-contact': patch.first_contact_at = null; break;
      case 'reopen': data.reopen = e.cause; break;
      case 'mediation-session': patch.mediation_session_count = t.mediation_session_count + 1; break;
      case 'mediation-outcome': patch.mediation_outcome = e.outcome; patch.mediation_referral = e.referral; break;
      case 'volunteer-hours': patch.volunteer_hours = e.hours; break;
      case 'callback-result': patch.callback = { contacted: e.contacted, resolved: e.resolved, satisfaction: e.satisfaction }; break;
      case 'clock-start': case 'clock-stop': case 'clock-pause': case 'clock-resume': case 'clock-stop-all': break;
    }
  }

  private async applyClockEffects(m: EntityManager, t: TicketRow, effects: Effect[], now: Date): Promise<void> {
    for (const e of effects) {
      switch (e.kind) {
        case 'clock-start': await this.clocks.start(m, t, e.stage, await this.standardOf(t, m), now); break;
        case 'clock-stop': await this.clocks.stop(m, t.id, e.stage, now); break;
        case 'clock-stop-all': await this.clocks.stop(m, t.id, 'all', now); break;
        case 'clock-pause': await this.clocks.pause(m, t.id, e.stage, now); break;
        case 'clock-resume': await this.clocks.resume(m, t.id, e.stage, now); break;
        case 'extension': await this.clocks.extend(m, t.id, e.stage, e.extraSeconds); break;
        default: break;
      }
    }
  }

  /** A merged duplicate follows its parent to closure: each child gets an event telling its reporter the outcome. */
  private async closeMergedChildren(m: EntityManager, parent: TicketRow, actor: { eventActorId: string | null; role: string }, now: Date): Promise<void> {
    for (const child of await this.repo.mergedChildren(m, parent.id)) {
      await this.repo.updateTicket(m, child.id, { closed_at: now });
      await this.repo.insertEvent(m, {
        ticketId: child.id, action: 'parent-closed', actorId: actor.eventActorId, actorRole: actor.role, from: 'merged', to: 'merged',
        data: { parentId: parent.id, parentNumber: parent.number, parentStatus: parent.status },
      });
    }
  }

  private async standardOf(t: TicketRow, m: EntityManager): Promise<CaseStandardView | undefined> {
    if (!t.case_standard_id) return undefined;
    if (!this.standards.has(t.case_standard_id)) {
      // Category versions are immutable, so a standard read once never changes.
      const category = await this.catalogue.categoryById(t.category_id, m);
      this.standards.set(t.case_standard_id, category?.standards.find((s) => s.id === t.case_standard_id));
    }
    return this.standards.get(t.case_standard_id);
  }
}
