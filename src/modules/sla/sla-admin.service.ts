import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  SlaCalendarError, SlaCalendarErrorCode, addBusinessDuration, applyHolidaySchedule, parseHolidaySchedule, resolveCalendar, type CalendarDefinition,
} from '../../../libs/sla-calendar';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { retryPolicy } from '../../queue/outbox.service';
import { QueueService } from '../../queue/queue.service';
import { AuditService } from '../audit/audit.service';
import type { RequestMeta } from '../auth/auth.service';
import { hasCityScope, type Principal } from '../auth/principal';
import type { CreateCalendarRequest, CreatePolicyRequest, ImportScheduleRequest, UpdateCalendarRequest, UpdatePolicyRequest } from './dto/sla.request.dto';
import type { CalendarResponse, CalendarSummaryResponse, DeadLetterResponse, PolicyResponse } from './dto/sla.response.dto';
import { policyProblems, type PolicyDefinition } from './sla-policy';
import { SlaErrorCode, SlaException } from './sla.exception';
import { notifyJobId } from './sla.jobs';
import { SlaRepository } from './sla.repository';

const RESERVED = ['code', 'version', 'parentCode'];

function calendarErrors(err: unknown): Array<{ field: string; message: string }> | undefined {
  if (!(err instanceof SlaCalendarError)) return undefined;
  const details = err.details.map((d) => ({ field: d.line === undefined ? 'definition' : `line ${d.line}`, message: d.message }));
  return details.length > 0 ? details : [{ field: 'definition', message: err.message }];
}

/** The subtree test of ltree `<@`, on paths as text. */
function inSubtree(path: string, scopePath: string): boolean {
  return path === scopePath || path.startsWith(`${scopePath}.`);
}

type CalendarRow = NonNullable<Awaited<ReturnType<SlaRepository['calendar']>>>;

/**
 * Calendars (工作日历) and policies (时限策略) as versioned data; every change is a new version.
 *
 * Scope: an admin sees and changes the calendars of grid nodes in their subtree (another's is 404); national
 * calendars (no grid node) and policies (default or per platform, always city-wide) are read by every admin and
 * changed by a city-level admin only (403 `CITY_SCOPE_REQUIRED`). Dead letters are those of tickets in the
 * subtree. Every change is audited with its before and after, besides the generic HTTP audit entry.
 */
@Injectable()
export class SlaAdminService {
  constructor(
    private readonly repo: SlaRepository, private readonly queues: QueueService, private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async calendars(p: Principal): Promise<CalendarSummaryResponse[]> {
    return (await this.repo.listCalendars(p.scopePath)).map((c) => ({
      code: c.code, parentCode: c.parent_code, gridNodeId: c.grid_node_id, currentVersion: c.current_version, updatedAt: c.updated_at.toISOString(),
    }));
  }

  async calendar(p: Principal, code: string): Promise<CalendarResponse> {
    const c = await this.repo.calendar(this.repo.manager, code);
    if (!c || !this.visible(p, c)) throw new SlaException(SlaErrorCode.CALENDAR_NOT_FOUND);
    const history = await this.repo.calendarHistory(code);
    return {
      code: c.code, parentCode: c.parent_code, gridNodeId: c.grid_node_id, currentVersion: c.current_version, updatedAt: c.updated_at.toISOString(),
      definition: c.definition as unknown as Record<string, unknown>,
      versions: history.map((h) => ({ version: h.version, note: h.note, createdAt: h.created_at.toISOString() })),
    };
  }

  async createCalendar(p: Principal, body: CreateCalendarRequest, meta: RequestMeta): Promise<CalendarResponse> {
    await this.repo.transaction(async (m) => {
      const parent = await this.repo.calendar(m, body.parentCode);
      if (!parent) throw new SlaException(SlaErrorCode.CALENDAR_NOT_FOUND, { en: `parent ${body.parentCode}`, zh: `上级日历 ${body.parentCode}` });
      const path = await this.repo.gridNodePath(m, body.gridNodeId, p.scopePath);
      if (!path) throw new SlaException(SlaErrorCode.GRID_NODE_NOT_FOUND);
      // Inheritance runs down the grid tree (national → city → district): the parent covers the new calendar's node.
      if (parent.grid_path !== null && (parent.grid_path === path || !inSubtree(path, parent.grid_path))) {
        throw new SlaException(SlaErrorCode.CALENDAR_INVALID, undefined, [{ field: 'parentCode', message: `calendar ${body.parentCode} does not cover this grid node / 上级日历不覆盖该网格节点` }]);
      }
      // …and is the most specific calendar that does: a district calendar under a city that has one inherits the
      // city's closures, not only the national schedule.
      const chain = await this.repo.currentChainFor(m, path);
      const nearest = chain[chain.length - 1]?.code;
      if (nearest !== undefined && nearest !== body.parentCode) {
        throw new SlaException(SlaErrorCode.CALENDAR_INVALID, undefined, [{ field: 'parentCode', message: `the parent must be ${nearest}, the most specific calendar covering this grid node / 上级日历应为覆盖该网格节点的最具体日历 ${nearest}` }]);
      }
      const def = this.definition(body.definition, body.code, 1, body.parentCode);
      await this.validateChain(m, body.parentCode, def);
      if (!(await this.repo.insertCalendar(m, { code: body.code, parentCode: body.parentCode, gridNodeId: body.gridNodeId }))) {
        throw new SlaException(SlaErrorCode.CALENDAR_CODE_TAKEN);
      }
      await this.repo.addCalendarVersion(m, body.code, 1, def, body.note ?? null, p.id);
      // Calendars already below the new one's node (a district's, created before its city's) now inherit from it:
      // each gets a new version naming the new parent (clocks computed before keep the chain they recorded).
      for (const child of await this.repo.calendarsBelow(m, path, body.parentCode)) {
        const version = child.current_version + 1;
        const childDef: CalendarDefinition = { ...child.definition, version, parentCode: body.code };
        await this.validateChain(m, body.code, childDef);
        await this.repo.setCalendarParent(m, child.code, body.code);
        await this.repo.addCalendarVersion(m, child.code, version, childDef, `inherits from ${body.code} / 改为继承 ${body.code}`, p.id);
        await this.record(m, p, meta, 'sla.calendar.reparent', child.code, {
          before: { parentCode: body.parentCode, version: child.current_version }, after: { parentCode: body.code, version },
        });
      }
      await this.record(m, p, meta, 'sla.calendar.create', body.code, {
        after: { parentCode: body.parentCode, gridNodeId: body.gridNodeId, version: 1, definition: def }, note: body.note ?? null,
      });
    });
    return this.calendar(p, body.code);
  }

  async updateCalendar(p: Principal, code: string, body: UpdateCalendarRequest, meta: RequestMeta): Promise<CalendarResponse> {
    await this.repo.transaction(async (m) => {
      const c = await this.current(m, p, code, body.expectedVersion);
      const def = this.definition(body.definition, code, c.current_version + 1, c.parent_code ?? undefined);
      await this.validateChain(m, c.parent_code, def);
      await this.repo.addCalendarVersion(m, code, def.version, def, body.note ?? null, p.id);
      await this.record(m, p, meta, 'sla.calendar.update', code, {
        before: { version: c.current_version, definition: c.definition }, after: { version: def.version, definition: def }, note: body.note ?? null,
      });
    });
    return this.calendar(p, code);
  }

  /** Imports a year's State Council schedule: its year is replaced, listed days of other years merged, the rest kept; a new version. */
  async importSchedule(p: Principal, code: string, body: ImportScheduleRequest, meta: RequestMeta): Promise<CalendarResponse> {
    await this.repo.transaction(async (m) => {
      const c = await this.current(m, p, code, body.expectedVersion);
      let def: CalendarDefinition;
      try {
        def = applyHolidaySchedule(c.definition, parseHolidaySchedule(body.text), c.current_version + 1);
      } catch (err) {
        if (err instanceof SlaCalendarError) throw new SlaException(SlaErrorCode.SCHEDULE_INVALID, undefined, calendarErrors(err));
        throw err;
      }
      await this.validateChain(m, c.parent_code, def);
      const note = body.note ?? `schedule ${def.code}`;
      await this.repo.addCalendarVersion(m, code, def.version, def, note, p.id);
      await this.record(m, p, meta, 'sla.calendar.import_schedule', code, {
        before: { version: c.current_version, definition: c.definition }, after: { version: def.version, definition: def }, note,
      });
    });
    return this.calendar(p, code);
  }

  async policies(): Promise<PolicyResponse[]> {
    return (await this.repo.listPolicies()).map((r) => ({
      code: r.code, platform: r.platform, currentVersion: r.current_version, definition: r.definition as unknown as Record<string, unknown>, updatedAt: r.updated_at.toISOString(),
    }));
  }

  /** A platform's own policy. Policies apply city-wide: a city-level admin only. */
  async createPolicy(p: Principal, body: CreatePolicyRequest, meta: RequestMeta): Promise<PolicyResponse> {
    this.assertCityScope(p);
    const def = this.policyDefinition(body.definition);
    await this.repo.transaction(async (m) => {
      if (!(await this.repo.platformExists(m, body.platform))) throw new SlaException(SlaErrorCode.POLICY_INVALID, { en: `unknown platform ${body.platform}`, zh: `平台 ${body.platform} 不存在` });
      if (!(await this.repo.insertPolicy(m, body.code, body.platform))) throw new SlaException(SlaErrorCode.STALE_VERSION, { en: 'code or platform already has a policy', zh: '该编码或平台已有策略' });
      await this.repo.addPolicyVersion(m, body.code, 1, def, body.note ?? null, p.id);
      await this.record(m, p, meta, 'sla.policy.create', body.code, { after: { platform: body.platform, version: 1, definition: def }, note: body.note ?? null });
    });
    return (await this.policies()).find((x) => x.code === body.code)!;
  }

  /** A new version of the default or a platform policy (both city-wide): a city-level admin only. */
  async updatePolicy(p: Principal, code: string, body: UpdatePolicyRequest, meta: RequestMeta): Promise<PolicyResponse> {
    this.assertCityScope(p);
    const def = this.policyDefinition(body.definition);
    await this.repo.transaction(async (m) => {
      const row = await this.repo.policyForUpdate(m, code);
      if (!row) throw new SlaException(SlaErrorCode.POLICY_NOT_FOUND);
      if (row.current_version !== body.expectedVersion) throw new SlaException(SlaErrorCode.STALE_VERSION, { en: `current version is ${row.current_version}`, zh: `当前版本为 ${row.current_version}` });
      await this.repo.addPolicyVersion(m, code, row.current_version + 1, def, body.note ?? null, p.id);
      await this.record(m, p, meta, 'sla.policy.update', code, {
        before: { version: row.current_version, definition: row.definition }, after: { version: row.current_version + 1, definition: def }, note: body.note ?? null,
      });
    });
    return (await this.policies()).find((x) => x.code === code)!;
  }

  async deadLetters(p: Principal, limit: number): Promise<DeadLetterResponse[]> {
    return (await this.repo.deadLetters(limit, p.scopePath)).map((d) => ({
      id: d.id, firingId: d.firing_id, ticketId: d.ticket_id, ticketNumber: d.ticket_number, threshold: d.threshold, kind: d.kind,
      firedAt: d.fired_at.toISOString(), attempts: d.attempts, lastError: d.last_error, createdAt: d.created_at.toISOString(),
      retriedAt: d.retried_at?.toISOString() ?? null,
    }));
  }

  /** Sends a dead-lettered notification of a ticket in the caller's subtree again (a new job; the firing itself is not repeated). */
  async retryDeadLetter(p: Principal, id: string, meta: RequestMeta): Promise<{ queued: boolean }> {
    if (!/^\d{1,18}$/.test(id)) throw new SlaException(SlaErrorCode.DEAD_LETTER_NOT_FOUND);
    const resend = await this.repo.transaction(async (m) => {
      const d = await this.repo.markDeadLetterRetried(m, id, p.scopePath);
      if (!d) throw new SlaException(SlaErrorCode.DEAD_LETTER_NOT_FOUND);
      await this.record(m, p, meta, 'sla.dead_letter.retry', id, {
        firingId: d.firing_id, ticketId: d.ticket_id, attempts: d.attempts,
        before: { retriedAt: d.before_retried_at?.toISOString() ?? null }, after: { retriedAt: d.after_retried_at.toISOString() },
      });
      return { firingId: d.firing_id, at: d.after_retried_at };
    });
    // Added after commit; lost (a crash now, a Redis flush later), the reconciler re-creates it under the same id.
    await this.queues.add('sla.notify', { firingId: resend.firingId }, { jobId: notifyJobId(resend.firingId, resend.at), ...retryPolicy('sla.notify', this.config) });
    return { queued: true };
  }

  /** A national calendar (no grid node) is seen by every admin; another one only within the admin's subtree. */
  private visible(p: Principal, c: Pick<CalendarRow, 'grid_path'>): boolean {
    return c.grid_path === null || inSubtree(c.grid_path, p.scopePath);
  }

  private assertCityScope(p: Principal): void {
    if (!hasCityScope(p)) throw new SlaException(SlaErrorCode.CITY_SCOPE_REQUIRED);
  }

  /** The audit entry of a change, in the change's transaction `m`. */
  private async record(m: EntityManager, p: Principal, meta: RequestMeta, action: string, target: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.record({
      actorId: p.id, actorUsername: p.username, actorRole: p.role, action, target, result: 'success',
      requestId: meta.requestId, ip: meta.ip, details,
    }, m);
  }

  /**
   * The calendar to change, locked: 404 outside the caller's subtree, 403 for a national one (no grid node, or the
   * root of the inheritance, `cn-national`) unless the caller is a city-level admin, 409 when `expectedVersion` is
   * not current.
   */
  private async current(m: EntityManager, p: Principal, code: string, expectedVersion: number): Promise<CalendarRow> {
    const c = await this.repo.calendar(m, code, true);
    if (!c || !this.visible(p, c)) throw new SlaException(SlaErrorCode.CALENDAR_NOT_FOUND);
    if (c.grid_path === null || c.parent_code === null) this.assertCityScope(p);
    if (c.current_version !== expectedVersion) throw new SlaException(SlaErrorCode.STALE_VERSION, { en: `current version is ${c.current_version}`, zh: `当前版本为 ${c.current_version}` });
    return c;
  }

  private definition(raw: Record<string, unknown>, code: string, version: number, parentCode: string | undefined): CalendarDefinition {
    const reserved = Object.keys(raw).filter((k) => RESERVED.includes(k));
    if (reserved.length > 0) throw new SlaException(SlaErrorCode.CALENDAR_INVALID, undefined, reserved.map((k) => ({ field: `definition.${k}`, message: 'set by the server' })));
    return { ...(raw as object), code, version, ...(parentCode ? { parentCode } : {}) } as CalendarDefinition;
  }

  /** The new definition must resolve together with its ancestors' current versions. */
  private async validateChain(m: EntityManager, parentCode: string | null, def: CalendarDefinition): Promise<void> {
    const chain: CalendarDefinition[] = [def];
    let code = parentCode;
    while (code) {
      const c = await this.repo.calendar(m, code);
      if (!c) throw new SlaException(SlaErrorCode.CALENDAR_NOT_FOUND);
      chain.unshift(c.definition);
      code = c.parent_code;
    }
    try {
      const resolved = resolveCalendar(chain);
      // Working clocks need working time: a calendar with none (every weekday empty, or a closure of years) would give
      // their clocks no deadline at all.
      addBusinessDuration(resolved, new Date(), { type: 'working_hours', seconds: 3600 });
    } catch (err) {
      if (err instanceof SlaCalendarError && err.code === SlaCalendarErrorCode.HorizonExceeded) {
        throw new SlaException(SlaErrorCode.CALENDAR_INVALID, undefined, [{ field: 'definition', message: 'no working time in the next ten years / 未来十年内没有工作时间' }]);
      }
      if (err instanceof SlaCalendarError) throw new SlaException(SlaErrorCode.CALENDAR_INVALID, undefined, calendarErrors(err));
      throw err;
    }
  }

  private policyDefinition(raw: Record<string, unknown>): PolicyDefinition {
    const problems = policyProblems(raw);
    if (problems.length > 0) throw new SlaException(SlaErrorCode.POLICY_INVALID, undefined, problems.map((message) => ({ field: 'definition', message })));
    return raw as unknown as PolicyDefinition;
  }
}
