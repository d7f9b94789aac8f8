import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { CatalogueService } from '../catalogue/catalogue.service';
import type { RecomputeRequest } from './dto/sla.request.dto';
import type { ClockChangeResponse, RecomputeResponse } from './dto/sla.response.dto';
import { SlaEngine, type StandardLimit } from './sla-engine.service';
import { SlaErrorCode, SlaException } from './sla.exception';
import { SlaRepository } from './sla.repository';

/**
 * 重算: recomputes the clocks of a population under the current policy and calendar versions. A clock's
 * facts (start, pauses, extensions, stop) are the projection of its ticket's event log written in the same
 * transactions as the events; the limit and deadline are derived again. Every moved clock gets a new clock
 * version (its old timers go stale), fresh timers and an `sla-recompute` event; the run is stored in
 * `sla_recomputations` and audited.
 */
@Injectable()
export class SlaRecomputeService {
  constructor(
    private readonly repo: SlaRepository,
    private readonly engine: SlaEngine,
    private readonly catalogue: CatalogueService,
    private readonly audit: AuditService,
  ) {}

  async recompute(p: Principal, body: RecomputeRequest): Promise<RecomputeResponse> {
    if (!body.ticketIds && !body.platform && !body.categoryCode && !body.status) throw new SlaException(SlaErrorCode.RECOMPUTE_FILTER_REQUIRED);
    const dryRun = body.dryRun ?? false;
    const filter = {
      ticketIds: body.ticketIds, platform: body.platform, categoryCode: body.categoryCode, status: body.status,
      includeStopped: body.includeStopped ?? false, limit: body.limit ?? 1000, scopePath: p.scopePath,
    };
    const result = await this.repo.transaction(async (m) => {
      const candidates = await this.repo.clocksToRecompute(m, filter);
      const changes: ClockChangeResponse[] = [];
      for (const candidate of candidates) {
        const ticket = await this.repo.lockTicket(m, candidate.ticket_id);
        const c = await this.repo.clock(m, candidate.id, true);
        if (!ticket || !c) continue;
        const standard = await this.standardOf(c.category_id, c.case_standard_id);
        const plan = await this.engine.plan(m, { platform: c.platform, gridPath: c.grid_path, priority: c.priority, unitId: c.unit_id }, c.stage, standard);
        const deadline = this.engine.deadline(plan.calendar, {
          ...c, clock_type: plan.clockType, limit_seconds: plan.limitSeconds, limit_days: plan.limitDays, start_next_working_day: plan.startNextWorkingDay,
        });
        const samePolicy = c.policy_code === plan.policyCode && c.policy_version === plan.policyVersion;
        const sameDeadline = (c.deadline?.getTime() ?? null) === (deadline?.getTime() ?? null);
        if (samePolicy && c.calendar_key === plan.calendarKey && sameDeadline) continue;
        const change: ClockChangeResponse = {
          ticketId: c.ticket_id, clockId: c.id, stage: c.stage, state: c.state,
          fromDeadline: c.deadline?.toISOString() ?? null, toDeadline: deadline?.toISOString() ?? null,
          movedSeconds: c.deadline && deadline ? (deadline.getTime() - c.deadline.getTime()) / 1000 : null,
          fromPolicy: c.policy_code ? `${c.policy_code}@${c.policy_version}` : null, toPolicy: `${plan.policyCode}@${plan.policyVersion}`,
          fromCalendar: c.calendar_key, toCalendar: plan.calendarKey,
        };
        changes.push(change);
        if (dryRun) continue;
        await this.repo.recomputeClock(m, c.id, {
          limitSeconds: plan.limitSeconds, limitDays: plan.limitDays, clockType: plan.clockType, startNextWorkingDay: plan.startNextWorkingDay,
          deadline, policyCode: plan.policyCode, policyVersion: plan.policyVersion, calendarKey: plan.calendarKey, calendarVersions: plan.calendarVersions,
        });
        await this.engine.schedule(m, c.id);
        await this.repo.insertTicketEvent(m, c.ticket_id, ticket.status, 'sla-recompute', body.note ?? '时限重算 SLA recomputation', { ...change });
      }
      const recomputationId = dryRun ? null : await this.repo.insertRecomputation(m, {
        userId: p.id, filter: { ...filter, scopePath: undefined, dryRun }, examined: candidates.length, moved: changes.length, changes,
      });
      return { recomputationId, examined: candidates.length, changes };
    });
    await this.audit.record({
      actorId: p.id, actorUsername: p.username, actorRole: p.role, action: 'sla.recompute', target: result.recomputationId, result: 'success',
      details: { dryRun, examined: result.examined, moved: result.changes.length, filter: { ...filter, scopePath: undefined } },
    });
    return { recomputationId: result.recomputationId, dryRun, examined: result.examined, moved: result.changes.length, changes: result.changes };
  }

  private async standardOf(categoryId: string, standardId: string | null): Promise<StandardLimit | undefined> {
    if (!standardId) return undefined;
    const category = await this.catalogue.categoryById(categoryId);
    return category?.standards.find((s) => s.id === standardId);
  }
}
