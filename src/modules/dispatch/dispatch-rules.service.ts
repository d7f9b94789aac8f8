import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestMeta } from '../auth/auth.service';
import type { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import type { RoutingRuleRequest, UpdateRoutingRuleRequest } from './dto/dispatch.request.dto';
import type { RoutingRuleResponse, UnitDispatchSettingsResponse } from './dto/dispatch.response.dto';
import { DispatchErrorCode, DispatchException } from './dispatch.exception';
import { toRuleResponse } from './dispatch.mapper';
import { DispatchRepository, type RuleValues } from './dispatch.repository';
import { inSubtree } from './routing-rules';

/** 派单目录 management: rules within the caller's subtree; every change audited with its before and after. */
@Injectable()
export class DispatchRulesService {
  constructor(private readonly repo: DispatchRepository, private readonly audit: AuditService) {}

  async list(p: Principal): Promise<RoutingRuleResponse[]> {
    return (await this.repo.listRules(p.scopePath)).map(toRuleResponse);
  }

  async get(p: Principal, id: string): Promise<RoutingRuleResponse> {
    const row = await this.repo.readRule(p.scopePath, id);
    if (!row) throw new DispatchException(DispatchErrorCode.RULE_NOT_FOUND);
    return toRuleResponse(row);
  }

  async create(p: Principal, body: RoutingRuleRequest, meta: RequestMeta): Promise<RoutingRuleResponse> {
    const values = await this.validate(p, body);
    const id = await this.repo.transaction(async (m) => {
      const ruleId = await this.repo.insertRule(m, values, p.id);
      await this.record(m, p, meta, 'dispatch.rule.create', ruleId, { after: values });
      return ruleId;
    });
    return this.get(p, id);
  }

  async update(p: Principal, id: string, body: UpdateRoutingRuleRequest, meta: RequestMeta): Promise<RoutingRuleResponse> {
    const values = await this.validate(p, body);
    await this.repo.transaction(async (m) => {
      const before = await this.repo.findRule(p.scopePath, id, m, true);
      if (!before) throw new DispatchException(DispatchErrorCode.RULE_NOT_FOUND);
      if (before.version !== body.expectedVersion) {
        throw new DispatchException(DispatchErrorCode.RULE_STALE_VERSION, { en: `current version is ${before.version}`, zh: `当前版本为 ${before.version}` });
      }
      await this.repo.updateRule(m, id, values);
      await this.record(m, p, meta, 'dispatch.rule.update', id, { before: toRuleResponse(before), after: values });
    });
    return this.get(p, id);
  }

  async remove(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    await this.repo.transaction(async (m) => {
      const before = await this.repo.findRule(p.scopePath, id, m, true);
      if (!before) throw new DispatchException(DispatchErrorCode.RULE_NOT_FOUND);
      await this.repo.deleteRule(m, id);
      await this.record(m, p, meta, 'dispatch.rule.delete', id, { before: toRuleResponse(before) });
    });
  }

  async settings(p: Principal, unitId: string): Promise<UnitDispatchSettingsResponse> {
    const unit = await this.repo.unitVisible(p.scopePath, unitId);
    if (!unit) throw new DispatchException(DispatchErrorCode.QUEUE_UNIT_NOT_FOUND);
    return { unitId, autoAssign: (await this.repo.settings(unitId)).auto_assign };
  }

  /**
   * A unit's dispatch settings change only within the caller's subtree: a district dispatcher reads a city-wide
   * unit's settings (it serves the district) but may not change what every district gets (403 UNIT_ABOVE_SCOPE).
   */
  async saveSettings(p: Principal, unitId: string, autoAssign: boolean, meta: RequestMeta): Promise<UnitDispatchSettingsResponse> {
    const unit = await this.repo.unitVisible(p.scopePath, unitId);
    if (!unit) throw new DispatchException(DispatchErrorCode.QUEUE_UNIT_NOT_FOUND);
    if (!inSubtree(unit.jurisdiction_path, p.scopePath)) throw new DispatchException(DispatchErrorCode.UNIT_ABOVE_SCOPE);
    await this.repo.transaction(async (m) => {
      const before = (await this.repo.settings(unitId, m, true)).auto_assign;
      await this.repo.saveSettings(m, unitId, autoAssign);
      await this.record(m, p, meta, 'dispatch.unit_settings', unitId, { before: { autoAssign: before }, after: { autoAssign } });
    });
    return { unitId, autoAssign };
  }

  private async validate(p: Principal, b: RoutingRuleRequest): Promise<RuleValues> {
    const problems: Array<{ field: string; message: string }> = [];
    if ((b.windowStart === undefined) !== (b.windowEnd === undefined)) problems.push({ field: 'windowEnd', message: 'give both windowStart and windowEnd, or neither' });
    if (b.windowStart !== undefined && b.windowStart === b.windowEnd) problems.push({ field: 'windowEnd', message: 'an empty window never matches' });
    if (b.autoDispatch && !b.autoRegister) problems.push({ field: 'autoDispatch', message: 'automatic dispatch needs automatic registration' });
    if (problems.length > 0) throw new DispatchException(DispatchErrorCode.RULE_INVALID, undefined, problems);
    const node = await this.repo.gridNodeInScope(p.scopePath, b.gridNodeId);
    if (!node) throw new DispatchException(DispatchErrorCode.RULE_GRID_NODE_NOT_FOUND);
    const unit = await this.repo.unitVisible(p.scopePath, b.unitId);
    if (!unit || !unit.active) throw new DispatchException(DispatchErrorCode.RULE_UNIT_NOT_FOUND);
    // The unit must cover every ticket the rule matches: its jurisdiction contains the rule's grid node. Otherwise a
    // matched ticket is registered and its dispatch refused (UNIT_OUT_OF_JURISDICTION), and it waits unrouted.
    if (!inSubtree(node.path, unit.jurisdiction_path)) {
      throw new DispatchException(DispatchErrorCode.RULE_INVALID, undefined, [{ field: 'unitId', message: `the unit's jurisdiction does not cover the rule's grid node / 承办单位的辖区不覆盖该网格` }]);
    }
    const unknown = await this.repo.unknownCategories(b.platform, [...new Set(b.categoryCodes ?? [])]);
    if (b.categoryPrefix !== undefined && !(await this.repo.categoryPrefixUsed(b.platform, b.categoryPrefix))) {
      problems.push({ field: 'categoryPrefix', message: `no current category of ${b.platform} starts with ${b.categoryPrefix} / 该平台没有以此开头的现行分类` });
    }
    for (const code of unknown) problems.push({ field: 'categoryCodes', message: `${code} is not a current category of ${b.platform} / 不是该平台的现行分类` });
    if (problems.length > 0) throw new DispatchException(DispatchErrorCode.RULE_INVALID, undefined, problems);
    return {
      name: b.name, platform: b.platform, categoryCodes: [...new Set(b.categoryCodes ?? [])], categoryPrefix: b.categoryPrefix ?? null,
      gridNodeId: b.gridNodeId, windowStart: b.windowStart ?? null, windowEnd: b.windowEnd ?? null, unitId: b.unitId, position: b.position,
      autoRegister: b.autoRegister ?? false, autoDispatch: b.autoDispatch ?? false, active: b.active ?? true,
    };
  }

  /** The audit entry of a change, in the change's transaction `m`. */
  private async record(m: EntityManager, p: Principal, meta: RequestMeta, action: string, target: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.record({
      actorId: p.id, actorUsername: p.username, actorRole: p.role, action, target, result: 'success',
      requestId: meta.requestId, ip: meta.ip, details,
    }, m);
  }
}
