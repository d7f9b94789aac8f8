import { Injectable, Logger } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { TicketActionsService } from '../tickets/ticket-actions.service';
import type { DryRunResponse } from './dto/dispatch.response.dto';
import { DispatchErrorCode, DispatchException } from './dispatch.exception';
import { toRoutingRule } from './dispatch.mapper';
import { DispatchRepository, type RoutingTicketRow, type UnitRow } from './dispatch.repository';
import { minutesOf, route, type RoutingRule, type RuleVerdict } from './routing-rules';

export interface RoutingDecision {
  match: RoutingRule | null;
  verdicts: RuleVerdict[];
  fallback: UnitRow | undefined;
  localTime: string;
}

export type RouteOutcome = 'routed' | 'registered' | 'suggested' | 'no-rule' | 'not-reported' | 'missing' | 'refused';

/**
 * Routing after filing (派单): the first matching rule of the dispatch catalogue decides the unit and whether
 * registration and dispatch happen automatically; without one the ticket waits in the triage queue of the
 * command centre whose jurisdiction is the nearest ancestor of its grid node. A matching rule that does not
 * dispatch by itself leaves its unit on the ticket as the catalogue's proposal (建议派往单位) for the dispatcher.
 */
@Injectable()
export class RouterService {
  private readonly logger = new Logger('Router');

  constructor(private readonly repo: DispatchRepository, private readonly actions: TicketActionsService) {}

  async decide(t: Pick<RoutingTicketRow, 'platform' | 'category_code' | 'grid_path'>, at?: string): Promise<RoutingDecision> {
    const [matched, fallback] = await Promise.all([this.matchRule(t, at), this.repo.fallbackCentre(t.grid_path)]);
    return { ...matched, fallback };
  }

  /** The first rule matching the ticket now (or at `at`), with every rule's verdict. */
  private async matchRule(t: Pick<RoutingTicketRow, 'platform' | 'category_code' | 'grid_path'>, at?: string): Promise<Omit<RoutingDecision, 'fallback'>> {
    const [rules, localTime] = await Promise.all([this.repo.rulesCovering(t.grid_path), this.repo.localTime(at)]);
    const { match, verdicts } = route(rules.map(toRoutingRule), { platform: t.platform, categoryCode: t.category_code, gridPath: t.grid_path }, minutesOf(localTime) ?? 0);
    return { match, verdicts, localTime };
  }

  /** Where a ticket would go now (or at `at`) and why; routes nothing. */
  async dryRun(p: Principal, ticketId: string, at?: string): Promise<DryRunResponse> {
    const t = await this.repo.ticketForRouting(ticketId, p.scopePath);
    if (!t) throw new DispatchException(DispatchErrorCode.DRY_RUN_TICKET_NOT_FOUND);
    const d = await this.decide(t, at);
    const unit = d.match ? await this.repo.unitById(d.match.unitId) : d.fallback;
    return {
      ticketId: t.id,
      unitId: unit?.id ?? null,
      unitCode: unit?.code ?? null,
      source: d.match ? 'rule' : d.fallback ? 'fallback' : 'none',
      ruleId: d.match?.id ?? null,
      autoRegister: d.match?.autoRegister ?? false,
      autoDispatch: d.match?.autoDispatch ?? false,
      localTime: d.localTime,
      rulesConsidered: d.verdicts.map((v) => ({
        ruleId: v.rule.id, name: v.rule.name, position: v.rule.position, unitId: v.rule.unitId, matched: v.matched, miss: v.miss,
      })),
    };
  }

  /**
   * The `dispatch.route` job. Re-reads the ticket; acts only while it is still `reported` (or `registered` by
   * an earlier delivery of this job that stopped before dispatching), so a second delivery does nothing.
   * Register and dispatch run in one transaction; a refused dispatch leaves the registration committed.
   */
  async routeTicket(ticketId: string): Promise<RouteOutcome> {
    const t = await this.repo.ticketForRouting(ticketId);
    if (!t) return 'missing';
    const resumable = t.status === 'registered' && t.last_action === 'register' && t.last_actor_role === 'system';
    if (t.status !== 'reported' && !resumable) return 'not-reported';
    // The fallback command centre is only for tickets without a rule, which wait for people: not read here. Time
    // windows are matched at the filing instant, so a job delayed or re-run by the reconciler decides as it would have.
    const { match } = await this.matchRule(t, t.filed_at);
    if (!match) return 'no-rule';
    const note = `派单目录规则「${match.name}」自动处理 (routing rule ${match.id})`;
    const steps: Array<{ action: 'register' | 'dispatch'; body: { note: string; unitId?: string } }> = [];
    if (match.autoRegister && t.status === 'reported') steps.push({ action: 'register', body: { note } });
    if (match.autoRegister && match.autoDispatch) steps.push({ action: 'dispatch', body: { unitId: match.unitId, note } });
    // A rule that stops short of dispatching keeps its unit on the ticket for the dispatcher. Recorded before the
    // registration (same transaction), so a resumed routing still finds the system's `register` as the last event.
    const suggestion = (match.autoRegister && match.autoDispatch) || t.status !== 'reported' ? undefined
      : { unitId: match.unitId, ruleId: match.id, note: `派单目录规则「${match.name}」建议派往 (routing rule ${match.id} suggests its unit)` };
    if (steps.length === 0 && !suggestion) return 'registered';
    const r = await this.actions.actAsSystemSteps(t.id, t.version, steps, suggestion);
    if (!r.ok) return this.refused(t.id, r.action, r.code);
    return match.autoDispatch && match.autoRegister ? 'routed' : match.autoRegister ? 'registered' : 'suggested';
  }

  private refused(ticketId: string, action: string, code: string): RouteOutcome {
    // Someone acted first (STALE_VERSION) or the workflow refused: the ticket stays with the people.
    this.logger.log(`routing ${action} of ticket ${ticketId} refused: ${code}`);
    return 'refused';
  }
}
