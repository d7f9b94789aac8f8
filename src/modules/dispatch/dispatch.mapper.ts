import { maskPersonalText } from '../../common/personal-text';
import type { QueueItemResponse, QueueResponse, RoutingRuleResponse } from './dto/dispatch.response.dto';
import type { QueueRow, QueueSummaryRow, RuleRow } from './dispatch.repository';
import { minutesOf, type RoutingRule } from './routing-rules';

export function toRuleResponse(r: RuleRow & { editable?: boolean }): RoutingRuleResponse {
  return {
    // A rule from the caller's subtree is theirs to change; one set above it is shown read-only.
    editable: r.editable ?? true,
    id: r.id, name: r.name, platform: r.platform, categoryCodes: r.category_codes, categoryPrefix: r.category_prefix,
    gridNodeId: r.grid_node_id, windowStart: r.window_start, windowEnd: r.window_end, unitId: r.unit_id, position: r.position,
    autoRegister: r.auto_register, autoDispatch: r.auto_dispatch, active: r.active, version: r.version,
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

export function toRoutingRule(r: RuleRow): RoutingRule {
  const start = r.window_start === null ? null : minutesOf(r.window_start);
  const end = r.window_end === null ? null : minutesOf(r.window_end);
  return {
    id: r.id, name: r.name, platform: r.platform, categoryCodes: r.category_codes, categoryPrefix: r.category_prefix,
    gridPath: r.grid_path, window: start === null || end === null ? null : { start, end }, unitId: r.unit_id, position: r.position,
    autoRegister: r.auto_register, autoDispatch: r.auto_dispatch, active: r.active, unitActive: r.unit_active,
  };
}

/** A queue entry; the title is free text, so the personal data typed into it leaves masked. */
export function toQueueItem(q: QueueRow): QueueItemResponse {
  return {
    id: q.id, number: q.number, platform: q.platform, categoryCode: q.category_code, priority: q.priority, title: maskPersonalText(q.title),
    status: q.status, gridNodeId: q.grid_node_id, unitId: q.unit_id, coUnitIds: q.co_unit_ids, handlerId: q.handler_id,
    suggestedUnitId: q.suggested_unit_id, suggestedByRuleId: q.suggested_by_rule_id, bounceCount: q.bounce_count, ownerless: q.ownerless, deadline: q.deadline?.toISOString() ?? null, overdue: q.overdue,
    createdAt: q.created_at.toISOString(), ageSeconds: q.age_seconds, version: q.version,
  };
}

export function toQueueResponse(q: { items: QueueRow[]; summary: QueueSummaryRow }): QueueResponse {
  return {
    count: q.summary.count, overdueCount: q.summary.overdue_count, ownerlessCount: q.summary.ownerless_count,
    oldestAgeSeconds: q.summary.oldest_age_seconds, items: q.items.map(toQueueItem),
  };
}
