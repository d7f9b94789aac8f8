import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { decide, httpStatusFor, isAction, roleRefusal, type Action, type Effect, type Platform, type WorkflowActor, type WorkflowTicket } from '../../../libs/workflow';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { Principal } from '../auth/principal';
import type { CaseStandardView } from '../catalogue/catalogue.types';
import { CatalogueService } from '../catalogue/catalogue.service';
import type { TicketActionRequest } from './dto/ticket.request.dto';
import type { TicketResponse } from './dto/ticket.response.dto';
import { TicketClocks, type ClockStartRequest } from './ticket-clocks';
import { TicketQueryService } from './ticket-query.service';
import { ticketScope } from './ticket-scope';
import { TicketErrorCode, TicketException, WorkflowRefusal } from './tickets.exception';
import { TicketsRepository, type ActionWrite, type TicketRow, type TicketScope } from './tickets.repository';

const DONE = new Set(['closed', 'archived']);

/**
 * The inputs of an action that the event records as given (never personal data): with the effects' own facts
 * (unit, handler, mediation outcome, …) they let the log alone tell what happened.
 */
const EVENT_FACTS = [
  'unitId', 'coUnitIds', 'handlerId', 'reason', 'passed', 'approved', 'contacted', 'resolved', 'satisfaction', 'extraSeconds', 'parentId',
  'partiesConsent', 'mediationOutcome', 'mediationReferral', 'volunteerHours', 'publicNote', 'standardCode',
] as const satisfies ReadonlyArray<keyof TicketActionRequest>;

/**
 * The event that records an automatic assignment (自动分派). The `dispatch_auto_assign` trigger picks the handler
 * inside the dispatching UPDATE, after that action's event was built, so the pick gets its own event right after
 * it (actor `system`, status unchanged): not a workflow action, so the clock replay and the reports fold pass over it.
 */
export const AUTO_ASSIGN_EVENT = 'auto-assign';

/** The event that records the dispatch catalogue's proposal (建议派往单位) on a ticket; not a workflow action either. */
export const SUGGEST_UNIT_EVENT = 'suggest-unit';

/** Where a routing rule proposes to send a ticket (建议派往单位), and why (the rule, told in the event's note). */
export interface UnitSuggestion {
  unitId: string;
  ruleId: string;
  note: string;
}

/**
 * How a merged duplicate (并单) follows its parent's end: the parent's outcome is the child's, told to its
 * reporter by an event. The child stays `merged` (it counts once, through its parent) and gets its `closedAt`.
 */
const CHILD_EVENT_OF_PARENT_END: Readonly<Record<string, string>> = {
  closed: 'parent-closed',
  archived: 'parent-closed',
  voided: 'parent-voided', // 不予立案: the duplicates describe the same non-case
  cancelled: 'parent-cancelled', // the parent's filer withdrew it: the duplicates' reporters are told to file again if it persists
};

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

/** Who acts: a staff member (with their scope), the system, or a resident who filed the ticket. */
interface Actor {
  id: string;
  role: string;
  unitId: string | null;
  unitType: string | null;
  eventActorId: string | null;
  scope: TicketScope | null;
  /**
   * The ticket this actor filed, as the caller proved it (a resident is not a user, so `filed_by` is null; Open311
   * knows the filing API key): the workflow sees this actor as its filer (上报人).
   */
  filedTicketId?: string;
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
   * A resident's action (回访 through Open311) on a ticket they filed with no user account: the caller has
   * proved the filing (`filerId`, e.g. the API key that filed it) and is answered through its own read model.
   * Actor role `resident`, no scope, recorded with no actor id; the workflow's filer check compares `filerId`.
   * Throws like `act` (STALE_VERSION, the workflow's refusal); nothing changes when it does.
   */
  async actAsFiler(id: string, filerId: string, action: Action, body: TicketActionRequest): Promise<void> {
    const actor: Actor = { id: filerId, role: 'resident', unitId: null, unitType: null, eventActorId: null, scope: null, filedTicketId: id };
    await this.perform(actor, id, action, body);
  }

  /**
   * An automatic action (routing, SLA): actor role `system`, no scope, recorded with no actor id.
   * Returns the new version, or the refusal code when the workflow or the version check says no.
   */
  async actAsSystem(id: string, action: Action, body: TicketActionRequest): Promise<{ ok: true } | { ok: false; code: string }> {
    const { expectedVersion, ...rest } = body;
    return this.actAsSystemSteps(id, expectedVersion, [{ action, body: rest }]);
  }

  private async perform(actor: Actor, id: string, action: Action, body: TicketActionRequest): Promise<{ row: TicketRow; now: Date }> {
    return this.repo.transaction(async (m) => {
      const locked = await this.repo.lockForAction(m, actor.scope, id);
      if (!locked) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
      const r = await this.checkAndApply(m, actor, locked.row, action, body, locked.now);
      if (!r.ok) throw r.error;
      return { row: r.row, now: locked.now };
    });
  }

  /**
   * Automatic actions in sequence on one ticket, in one transaction (routing: register, then dispatch): the
   * first must find `expectedVersion`, each next one the version the previous left. When a later step is
   * refused before writing anything (the workflow, or a unit check), the earlier steps still commit; the
   * refused step and its code are returned. A `suggestion` (routing's proposed unit) is recorded first, on the
   * row and as a `suggest-unit` event, unless the ticket already carries the same one; refused with
   * `STALE_VERSION` like a first step.
   */
  async actAsSystemSteps(
    id: string, expectedVersion: number, steps: ReadonlyArray<{ action: Action; body: Omit<TicketActionRequest, 'expectedVersion'> }>,
    suggestion?: UnitSuggestion,
  ): Promise<{ ok: true } | { ok: false; action: Action | typeof SUGGEST_UNIT_EVENT; code: string }> {
    const actor: Actor = { id: 'system', role: 'system', unitId: null, unitType: null, eventActorId: null, scope: null };
    const first = suggestion ? SUGGEST_UNIT_EVENT : steps[0]?.action;
    try {
      return await this.repo.transaction(async (m) => {
        const locked = await this.repo.lockForAction(m, null, id);
        if (!locked) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
        let row = locked.row;
        let version = expectedVersion;
        if (suggestion) {
          if (row.version !== version) throw new TicketException(TicketErrorCode.STALE_VERSION);
          row = await this.recordSuggestion(m, row, suggestion);
          version = row.version;
        }
        for (const [k, step] of steps.entries()) {
          const r = await this.checkAndApply(m, actor, row, step.action, { ...step.body, expectedVersion: version }, locked.now);
          if (!r.ok) {
            if (k === 0) throw r.error;
            return { ok: false as const, action: step.action, code: r.error.code };
          }
          row = r.row;
          version = row.version;
        }
        return { ok: true as const };
      });
    } catch (err) {
      if ((err instanceof TicketException || err instanceof WorkflowRefusal) && first) return { ok: false, action: first, code: err.code };
      throw err;
    }
  }

  /**
   * Keeps routing's proposal on the locked ticket (`suggested_unit_id`, `suggested_by_rule_id`; version bumped, so
   * queue consoles hear of it) and logs it as a `suggest-unit` event by the system. The same proposal twice (a
   * second delivery of the routing job) writes nothing.
   */
  private async recordSuggestion(m: EntityManager, t: TicketRow, s: UnitSuggestion): Promise<TicketRow> {
    if (t.suggested_unit_id === s.unitId && t.suggested_by_rule_id === s.ruleId) return t;
    const version = await this.repo.updateTicket(m, t.id, { suggested_unit_id: s.unitId, suggested_by_rule_id: s.ruleId });
    await this.repo.insertEvent(m, {
      ticketId: t.id, action: SUGGEST_UNIT_EVENT, actorId: null, actorRole: 'system', from: t.status, to: t.status, note: s.note,
      data: { suggestedUnitId: s.unitId, ruleId: s.ruleId },
    });
    return { ...t, version, suggested_unit_id: s.unitId, suggested_by_rule_id: s.ruleId };
  }

  /**
   * The checks of an action on a locked ticket (version, units, parent), then the action. A check or the
   * workflow refusing is returned before anything is written; errors after the first write are thrown.
   */
  private async checkAndApply(
    m: EntityManager, actor: Actor, t: TicketRow, action: Action, body: TicketActionRequest, now: Date,
  ): Promise<{ ok: true; row: TicketRow } | { ok: false; error: TicketException | WorkflowRefusal }> {
    if (t.version !== body.expectedVersion) {
      // Authorisation before concurrency: a role that may never take this action hears 403, not "reload and retry".
      const forbidden = roleRefusal(t.platform as Platform, action, actor.role);
      if (forbidden) return { ok: false, error: new WorkflowRefusal(httpStatusFor(forbidden.code), forbidden.code, forbidden.message) };
      return { ok: false, error: new TicketException(TicketErrorCode.STALE_VERSION, { en: `current version is ${t.version}`, zh: `当前版本为 ${t.version}` }) };
    }
    for (const [unitId, lead] of [...(body.unitId ? [[body.unitId, true] as const] : []), ...(body.coUnitIds ?? []).map((u) => [u, false] as const)]) {
      const unit = await this.repo.unitForTicket(m, unitId, t.grid_path);
      // A deactivated unit takes no new work: neither as lead nor as a newly added co-unit (one already co-handling
      // may stay on the ticket as it moves on).
      if (!unit || (!unit.active && (lead || !(t.co_unit_ids ?? []).includes(unitId)))) return { ok: false, error: new TicketException(TicketErrorCode.UNIT_NOT_FOUND) };
      if (!unit.covers) return { ok: false, error: new TicketException(TicketErrorCode.UNIT_OUT_OF_JURISDICTION) };
    }
    if (body.handlerId !== undefined && body.unitId !== undefined) {
      // The workflow hands the ticket to a pre-assigned handler only together with a unit (dispatch, reassign,
      // re-dispatch after a return): the handler must be an active handler of that unit, or the ticket would
      // sit with someone who cannot see it while claim-next skips it for everyone else.
      if (!(await this.repo.isActiveHandlerOf(m, body.handlerId, body.unitId))) {
        return { ok: false, error: new TicketException(TicketErrorCode.HANDLER_NOT_IN_UNIT) };
      }
    }
    if (body.parentId) {
      // Locked, so that the parent cannot end (and settle its children) between this check and the merge.
      const parent = actor.scope ? await this.repo.findVisible(actor.scope, body.parentId, m, true) : await this.repo.findById(m, body.parentId, true);
      if (!parent || parent.id === t.id || ['closed', 'archived', 'voided', 'cancelled', 'merged'].includes(parent.status)) {
        return { ok: false, error: new TicketException(TicketErrorCode.PARENT_NOT_FOUND) };
      }
      // A duplicate is the same problem: on another platform it would end with a case of other rules (a dispute closed
      // by a patrol repair, without mediation).
      if (parent.platform !== t.platform) return { ok: false, error: new TicketException(TicketErrorCode.MERGE_ACROSS_PLATFORMS) };
    }
    // 立案 decides the case standard (立案标准): a dispatcher registering under another standard of the ticket's category
    // version changes it, and its default priority with it (the resolve limit, started at dispatch, follows).
    let extraPatch: Record<string, unknown> | undefined;
    if (body.standardCode !== undefined) {
      if (action !== 'register') {
        return { ok: false, error: new WorkflowRefusal(400, 'INVALID_INPUT', { zh: 'standardCode 仅用于立案', en: 'standardCode goes with register only' }) };
      }
      const standard = (await this.catalogue.categoryById(t.category_id, m))?.standards.find((s) => s.code === body.standardCode);
      if (!standard) return { ok: false, error: new TicketException(TicketErrorCode.STANDARD_NOT_FOUND) };
      if (standard.id !== t.case_standard_id) extraPatch = { case_standard_id: standard.id, priority: standard.priority };
    }
    const [outcome] = await this.applyLocked(m, [{ actor, ticket: t }], action, body, now, extraPatch);
    return outcome!.ok ? { ok: true, row: outcome!.row } : { ok: false, error: outcome!.refusal };
  }

  /**
   * Signs a batch of tickets that claim-next locked (`FOR UPDATE SKIP LOCKED`, version read under the lock),
   * each for its own handler, in the caller's transaction: one write statement, one clock stop and one clock
   * start for the whole batch. Returns, in order, each signed ticket with its clocks, or the workflow's
   * refusal for that ticket (nothing of it written; the others still are).
   */
  async signClaimed(
    m: EntityManager, claims: ReadonlyArray<{ p: Principal; ticket: TicketRow }>, unitType: string | null, now: Date,
  ): Promise<Array<{ ok: true; ticket: TicketResponse } | { ok: false; refusal: WorkflowRefusal }>> {
    const items = claims.map(({ p, ticket }) => ({
      actor: { id: p.id, role: p.role, unitId: p.unitId, unitType, eventActorId: p.id, scope: ticketScope(p, unitType) }, ticket,
    }));
    // No version check: each ticket's version was read under the lock the caller still holds.
    const outcomes = await this.applyLocked(m, items, 'sign', { expectedVersion: 0, note: '领取 (claim-next)' }, now);
    const signed = outcomes.flatMap((o) => (o.ok ? [o.row.id] : []));
    const clocks = await this.repo.clocks(m, signed);
    // A written row carries no content flag: for a dispute, the content rule is asked in SQL for the claimer
    // (now its assigned mediator), or the response would be restricted (fail closed).
    const views: Array<{ ok: true; ticket: TicketResponse } | { ok: false; refusal: WorkflowRefusal }> = [];
    for (const [i, o] of outcomes.entries()) {
      if (!o.ok) { views.push(o); continue; }
      const row = o.row.platform === 'dispute_resolution'
        ? { ...o.row, content_visible: await this.repo.contentVisible(items[i]!.actor.scope!, o.row.id, m) }
        : o.row;
      views.push({ ok: true, ticket: this.query.viewOf(row, clocks.filter((c) => c.ticket_id === row.id), now) });
    }
    return views;
  }

  /**
   * An action on tickets already locked and checked, in the caller's transaction: the workflow decides for
   * each; the accepted ones are written together — ticket patches and events in one statement (per shape of
   * patch), then each clock effect for all tickets at once (stops, then starts, in the order the workflow
   * gave them). A refused ticket is left untouched and its refusal returned in its place.
   */
  private async applyLocked(
    m: EntityManager, items: ReadonlyArray<{ actor: Actor; ticket: TicketRow }>, action: Action, body: TicketActionRequest, now: Date,
    extraPatch?: Record<string, unknown>,
  ): Promise<Array<{ ok: true; row: TicketRow } | { ok: false; refusal: WorkflowRefusal }>> {
    const decided = items.map(({ actor, ticket: t }) => {
      const decision = decide({
        platform: t.platform as Platform,
        ticket: actor.filedTicketId === t.id && t.filed_by === null ? { ...toWorkflowTicket(t), filedBy: actor.id } : toWorkflowTicket(t),
        actor: { id: actor.id, role: actor.role as WorkflowActor['role'], unitId: actor.unitId, unitType: actor.unitType },
        action,
        input: { ...body, reason: body.reason ?? undefined },
        settings: { ownerlessAfterBounces: this.config.dispatch.ownerlessAfterBounces },
      });
      if (!decision.ok) return { ok: false as const, refusal: new WorkflowRefusal(httpStatusFor(decision.code), decision.code, decision.message) };
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
      for (const key of EVENT_FACTS) {
        if (body[key] !== undefined) data[key] = body[key];
      }
      if (extraPatch) Object.assign(patch, extraPatch);
      const write: ActionWrite = {
        id: t.id, patch, event: { action, actorId: actor.eventActorId, actorRole: actor.role, from: t.status, to: decision.to, note: body.note ?? null, data },
      };
      return { ok: true as const, actor, ticket: t, to: decision.to, effects: decision.effects, write };
    });
    const accepted = decided.flatMap((d) => (d.ok ? [d] : []));

    // One write statement per shape of patch (a batch of claims is one shape).
    const written = new Map<string, { row: TicketRow; eventId: string }>();
    const shapes = new Map<string, ActionWrite[]>();
    for (const d of accepted) {
      const shape = Object.keys(d.write.patch).sort().join();
      shapes.set(shape, [...(shapes.get(shape) ?? []), d.write]);
    }
    for (const writes of shapes.values()) {
      const results = await this.repo.applyActions(m, writes);
      writes.forEach((w, i) => written.set(w.id, results[i]!));
    }
    // A ticket that arrived at an auto-assigning unit with no handler named came back with the trigger's pick.
    for (const d of accepted) {
      const row = written.get(d.ticket.id)!.row;
      const asked = Object.hasOwn(d.write.patch, 'handler_id') ? d.write.patch.handler_id : d.ticket.handler_id;
      if (d.to === 'dispatched' && row.handler_id !== null && row.handler_id !== asked) {
        await this.repo.insertEvent(m, {
          ticketId: row.id, action: AUTO_ASSIGN_EVENT, actorId: null, actorRole: 'system', from: 'dispatched', to: 'dispatched',
          note: '自动分派 (auto-assignment)', data: { unitId: row.unit_id, handlerId: row.handler_id },
        });
      }
    }
    if (body.attachmentIds?.length) {
      for (const d of accepted) {
        const linked = await this.repo.linkAttachments(m, d.ticket.id, body.attachmentIds, written.get(d.ticket.id)!.eventId);
        if (linked !== new Set(body.attachmentIds).size) throw new TicketException(TicketErrorCode.ATTACHMENT_NOT_FOUND);
      }
    }
    // Clock effects, step by step across the batch: a ticket's effects keep their order.
    const steps = Math.max(0, ...accepted.map((d) => d.effects.length));
    for (let k = 0; k < steps; k++) {
      const stops = new Map<string, string[]>();
      const starts: ClockStartRequest[] = [];
      for (const d of accepted) {
        const e = d.effects[k];
        if (!e) continue;
        const row = written.get(d.ticket.id)!.row;
        if (e.kind === 'clock-stop' || e.kind === 'clock-stop-all') {
          const stage = e.kind === 'clock-stop' ? e.stage : 'all';
          stops.set(stage, [...(stops.get(stage) ?? []), row.id]);
        } else if (e.kind === 'clock-start') {
          starts.push({ ticket: row, stage: e.stage, standard: await this.standardOf(row, m), ifNone: e.ifNone === true });
        } else {
          await this.applyClockEffect(m, row, e, now);
        }
      }
      for (const [stage, ids] of stops) await this.clocks.stopMany(m, ids, stage, now);
      if (starts.length > 0) await this.clocks.startMany(m, starts, now);
    }
    for (const d of accepted) {
      const row = written.get(d.ticket.id)!.row;
      if (CHILD_EVENT_OF_PARENT_END[d.to]) await this.settleMergedChildren(m, row, d.actor, body.reason ?? null, now);
      else if (d.to === 'merged' && row.parent_id) await this.repointMergedChildren(m, row, row.parent_id, d.actor);
    }
    return decided.map((d) => (d.ok ? { ok: true as const, row: written.get(d.ticket.id)!.row } : d));
  }

  private applyToTicket(e: Effect, t: TicketRow, patch: Record<string, unknown>, data: Record<string, unknown>, now: Date): void {
    switch (e.kind) {
      // The unit a ticket goes to is in the event (a dispatch names it in the body; a claim takes the claimer's).
      case 'set-unit': patch.unit_id = e.unitId; if (e.unitId !== null) data.unitId = e.unitId; break;
      case 'set-co-units': patch.co_unit_ids = e.unitIds; break;
      // Who holds the ticket is a fact of the log (null: back to the unit's inbox, to triage or to the claim pool).
      case 'set-handler': patch.handler_id = e.handlerId; data.handlerId = e.handlerId; break;
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
      case 'mediation-outcome':
        patch.mediation_outcome = e.outcome; patch.mediation_referral = e.referral;
        data.mediationOutcome = e.outcome; data.mediationReferral = e.referral;
        break;
      // Each resolve records the hours of that round of service: after a failed verification the next adds to them.
      case 'volunteer-hours': patch.volunteer_hours = Math.round((Number(t.volunteer_hours ?? 0) + e.hours) * 100) / 100; break;
      case 'callback-result': patch.callback = { contacted: e.contacted, resolved: e.resolved, satisfaction: e.satisfaction }; break;
      case 'clock-start': case 'clock-stop': case 'clock-pause': case 'clock-resume': case 'clock-stop-all': break;
    }
  }

  /** The clock effects that have no batch form (pause, resume, extension), for one ticket. */
  private async applyClockEffect(m: EntityManager, t: TicketRow, e: Effect, now: Date): Promise<void> {
    switch (e.kind) {
      case 'clock-pause': await this.clocks.pause(m, t.id, e.stage, now); break;
      case 'clock-resume': await this.clocks.resume(m, t.id, e.stage, now); break;
      case 'extension': await this.clocks.extend(m, t.id, e.stage, e.extraSeconds); break;
      default: break;
    }
  }

  /**
   * A merged duplicate follows its parent to its end (closed/archived, voided, cancelled): each child (and,
   * for chains merged before children were re-pointed, each grandchild) gets an event telling its reporter
   * the outcome, and a `closedAt`.
   */
  private async settleMergedChildren(
    m: EntityManager, parent: TicketRow, actor: { eventActorId: string | null; role: string }, reason: string | null, now: Date,
  ): Promise<void> {
    const action = CHILD_EVENT_OF_PARENT_END[parent.status]!;
    for (const child of await this.repo.mergedDescendants(m, parent.id)) {
      await this.repo.updateTicket(m, child.id, { closed_at: now });
      await this.repo.insertEvent(m, {
        ticketId: child.id, action, actorId: actor.eventActorId, actorRole: actor.role, from: 'merged', to: 'merged',
        data: {
          parentId: parent.id, parentNumber: parent.number, parentStatus: parent.status,
          ...(child.parent_id !== parent.id ? { mergedVia: child.parent_id } : {}),
          ...(reason !== null && parent.status !== 'closed' && parent.status !== 'archived' ? { reason } : {}), // why it was voided or withdrawn
        },
      });
    }
  }

  /**
   * A parent merged into another ticket hands its children over: they now follow the new parent (one level of
   * merging, so the new parent's end settles them), each with an event saying so.
   */
  private async repointMergedChildren(m: EntityManager, merged: TicketRow, newParentId: string, actor: { eventActorId: string | null; role: string }): Promise<void> {
    const moved = await this.repo.repointMergedChildren(m, merged.id, newParentId);
    for (const child of moved) {
      await this.repo.insertEvent(m, {
        ticketId: child.id, action: 'parent-merged', actorId: actor.eventActorId, actorRole: actor.role, from: 'merged', to: 'merged',
        data: { fromParentId: merged.id, fromParentNumber: merged.number, parentId: newParentId, parentNumber: child.parent_number },
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
