export class RoutingRuleResponse {
  id!: string;
  name!: string;
  platform!: string;
  categoryCodes!: string[];
  categoryPrefix!: string | null;
  gridNodeId!: string;
  windowStart!: string | null;
  windowEnd!: string | null;
  unitId!: string;
  position!: number;
  autoRegister!: boolean;
  autoDispatch!: boolean;
  active!: boolean;
  version!: number;
  createdAt!: string;
  updatedAt!: string;
  /**
   * Whether the caller may change it: true for a rule set in their subtree; false for one set above it (a city
   * rule that also routes the caller's district), listed because it decides their tickets too.
   */
  editable!: boolean;
}

export class RuleVerdictResponse {
  ruleId!: string;
  name!: string;
  position!: number;
  unitId!: string;
  matched!: boolean;
  /** Why not: `inactive`, `platform`, `category`, `grid` or `window`. */
  miss!: string | null;
}

export class DryRunResponse {
  ticketId!: string;
  /** The unit the ticket would go to (the rule's, or the fallback command centre). */
  unitId!: string | null;
  unitCode!: string | null;
  /** `rule` or `fallback` (the command centre whose jurisdiction is the nearest ancestor of the grid node). */
  source!: 'rule' | 'fallback' | 'none';
  ruleId!: string | null;
  autoRegister!: boolean;
  autoDispatch!: boolean;
  /** Local time (Asia/Shanghai) the windows were evaluated at. */
  localTime!: string;
  rulesConsidered!: RuleVerdictResponse[];
}

/** A queue entry: ids, state and urgency only (no reporter, no description). */
export class QueueItemResponse {
  id!: string;
  number!: string;
  platform!: string;
  categoryCode!: string;
  priority!: string;
  /** Phones, ID numbers and e-mails typed into it are masked (138****5678). */
  title!: string;
  status!: string;
  gridNodeId!: string;
  unitId!: string | null;
  coUnitIds!: string[];
  handlerId!: string | null;
  /** 建议派往单位: the unit the dispatch catalogue proposes (a rule that registers or only suggests), or null. */
  suggestedUnitId!: string | null;
  /** The routing rule behind `suggestedUnitId`. */
  suggestedByRuleId!: string | null;
  bounceCount!: number;
  ownerless!: boolean;
  /** Earliest running clock deadline, or null. */
  deadline!: string | null;
  overdue!: boolean;
  createdAt!: string;
  ageSeconds!: number;
  version!: number;
}

export class QueueResponse {
  count!: number;
  overdueCount!: number;
  ownerlessCount!: number;
  oldestAgeSeconds!: number | null;
  items!: QueueItemResponse[];
}

export class UnitDispatchSettingsResponse {
  unitId!: string;
  autoAssign!: boolean;
}
