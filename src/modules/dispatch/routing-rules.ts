/**
 * Routing rules 派单目录, as plain values: which rule a ticket matches and, for the dry-run, why every other
 * rule did not. No framework, no database: the router loads rules and the ticket, this decides.
 */

/** A routing rule as the matcher sees it. */
export interface RoutingRule {
  id: string;
  name: string;
  platform: string;
  /** Exact category codes; empty with no prefix = every category of the platform. */
  categoryCodes: readonly string[];
  /** Category code prefix (e.g. `01` = every 部件 公用设施), or null. */
  categoryPrefix: string | null;
  /** ltree path of the rule's grid node: the rule covers that subtree. */
  gridPath: string;
  /** Local time window (Asia/Shanghai) as minutes since midnight; `start > end` wraps past midnight. */
  window: { start: number; end: number } | null;
  unitId: string;
  position: number;
  autoRegister: boolean;
  autoDispatch: boolean;
  active: boolean;
  /** False once the rule's unit is deactivated: the rule then matches nothing (the next rule or the fallback decides). */
  unitActive: boolean;
}

/** The ticket facts a rule looks at. */
export interface RoutableTicket {
  platform: string;
  categoryCode: string;
  gridPath: string;
}

/** Why a rule did not match, first failing criterion in this order. */
export type RuleMiss = 'inactive' | 'unit-inactive' | 'platform' | 'category' | 'grid' | 'window';

export interface RuleVerdict {
  rule: RoutingRule;
  matched: boolean;
  miss: RuleMiss | null;
}

/** True when `path` is `ancestor` or lies below it (ltree `<@`). */
export function inSubtree(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}.`);
}

/** Minutes since local midnight of a 'HH:MM' or 'HH:MM:SS' string; null when malformed. */
export function minutesOf(hhmm: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** Whether local minute `at` falls in [start, end); a window with start > end runs past midnight. */
export function inWindow(window: { start: number; end: number }, at: number): boolean {
  return window.start < window.end ? at >= window.start && at < window.end : at >= window.start || at < window.end;
}

export function categoryMatches(rule: Pick<RoutingRule, 'categoryCodes' | 'categoryPrefix'>, code: string): boolean {
  if (rule.categoryCodes.length === 0 && rule.categoryPrefix === null) return true;
  return rule.categoryCodes.includes(code) || (rule.categoryPrefix !== null && code.startsWith(rule.categoryPrefix));
}

export function judgeRule(rule: RoutingRule, ticket: RoutableTicket, localMinute: number): RuleVerdict {
  const miss: RuleMiss | null = !rule.active ? 'inactive'
    : !rule.unitActive ? 'unit-inactive'
    : rule.platform !== ticket.platform ? 'platform'
      : !categoryMatches(rule, ticket.categoryCode) ? 'category'
        : !inSubtree(ticket.gridPath, rule.gridPath) ? 'grid'
          : rule.window && !inWindow(rule.window, localMinute) ? 'window'
            : null;
  return { rule, matched: miss === null, miss };
}

/** Rules in their explicit order (position, then id for a stable tie-break). */
export function orderRules<T extends Pick<RoutingRule, 'position' | 'id'>>(rules: readonly T[]): T[] {
  return [...rules].sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Every rule judged in order; the first match wins. */
export function route(rules: readonly RoutingRule[], ticket: RoutableTicket, localMinute: number): { match: RoutingRule | null; verdicts: RuleVerdict[] } {
  const verdicts = orderRules(rules).map((r) => judgeRule(r, ticket, localMinute));
  return { match: verdicts.find((v) => v.matched)?.rule ?? null, verdicts };
}
