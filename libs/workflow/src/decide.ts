import { refuse, type Decision, type Refused } from './decision';
import { CHECKS, REQUIREMENTS, isRefused } from './guards';
import { PLATFORM_TABLES, ruleFor, type Rule } from './rules';
import { TRANSITIONS } from './transitions';
import {
  ACTIONS,
  COMPLETED_STATES,
  OPEN_STATES,
  PLATFORMS,
  ROLES,
  STATES,
  TERMINAL_STATES,
  type Action,
  type ActionQueryContext,
  type DecisionContext,
  type Effect,
  type OpenState,
  type Platform,
  type Role,
  type State,
  type TerminalState,
} from './workflow.types';

/** Whether a state still needs work (supervision and merging apply). */
export function isOpen(state: State): state is OpenState {
  return (OPEN_STATES as readonly State[]).includes(state);
}

/** Whether no action leaves this state. */
export function isTerminal(state: State): state is TerminalState {
  return (TERMINAL_STATES as readonly State[]).includes(state);
}

/** Whether the ticket ended handled (closed or archived), as 结案率 counts it. */
export function isCompleted(state: State): boolean {
  return (COMPLETED_STATES as readonly State[]).includes(state);
}

/** Narrow an untrusted string (e.g. the `:action` path segment) to an Action. */
export function isAction(value: unknown): value is Action {
  return (ACTIONS as readonly unknown[]).includes(value);
}

/** Narrow an untrusted string to a Platform. */
export function isPlatform(value: unknown): value is Platform {
  return (PLATFORMS as readonly unknown[]).includes(value);
}

/** Narrow an untrusted string to a State. */
export function isState(value: unknown): value is State {
  return (STATES as readonly unknown[]).includes(value);
}

/** What happens when a ticket is filed: it starts `reported` with the register (立案) clock running. */
export function initialTransition(): { to: 'reported'; effects: Effect[] } {
  return { to: 'reported', effects: [{ kind: 'clock-start', stage: 'register' }] };
}

/** The actions a platform has at all. */
export function platformActions(platform: Platform): Action[] {
  return ACTIONS.filter((action) => ruleFor(platform, action) !== undefined);
}

/**
 * Decide an action: pure, total, never throws. Checks in order: the action exists; the platform has it
 * (ACTION_NOT_ON_PLATFORM); the state allows it (ILLEGAL_TRANSITION); the role may (FORBIDDEN_ROLE);
 * actor and ticket checks; input requirements; then the transition computes target and effects.
 * A refusal means nothing may change.
 */
export function decide(ctx: DecisionContext): Decision {
  if (!isAction(ctx.action)) {
    return refuse('UNKNOWN_ACTION', '未知操作', `Unknown action "${String(ctx.action)}"`);
  }
  const gate = gateFor(ctx, ctx.action);
  if (isRefused(gate)) return gate;
  const effects: Effect[] = [];
  for (const id of gate.requires) {
    const outcome = REQUIREMENTS[id](ctx);
    if (isRefused(outcome)) return outcome;
    effects.push(...outcome);
  }
  const decision = TRANSITIONS[gate.transition](ctx, PLATFORM_TABLES[ctx.platform]);
  if (!decision.ok) return decision;
  return { ok: true, to: decision.to, effects: [...decision.effects, ...effects] };
}

/**
 * The authorisation part of the table alone: the FORBIDDEN_ROLE refusal `decide` gives when a role may take an
 * action on a platform in no state at all, else null (also for an action the platform lacks: `decide` refuses
 * that). Callers that refuse stale requests (409) ask this first, so that a role which may never act hears 403
 * rather than "reload and try again".
 */
export function roleRefusal(platform: Platform, action: Action, role: unknown): Refused | null {
  const rule = ruleFor(platform, action);
  return rule === undefined ? null : ruleRoleRefusal(rule, action, role);
}

/** The FORBIDDEN_ROLE refusal when `role` is not one of the rule's roles, else null (shared with `decide`). */
function ruleRoleRefusal(rule: Rule, action: Action, role: unknown): Refused | null {
  if ((ROLES as readonly unknown[]).includes(role) && rule.roles.includes(role as Role)) return null;
  return refuse('FORBIDDEN_ROLE', `您的角色无权执行"${action}"操作`, `Role ${String(role)} may not ${action}`);
}

/**
 * Actions this actor could take on this ticket now, ignoring input (for UIs: which buttons to show).
 * An action listed here may still be refused by `decide` for its input (missing reason, etc.).
 */
export function allowedActions(ctx: ActionQueryContext): Action[] {
  return ACTIONS.filter((action) => !isRefused(gateFor({ ...ctx, action }, action)));
}

/** Everything but the input: platform, state, role, actor and ticket checks. */
function gateFor(ctx: DecisionContext, action: Action): Rule | Refused {
  const { platform, ticket, actor } = ctx;
  if (!isPlatform(platform)) {
    return refuse('INVALID_INPUT', '未知平台', `Unknown platform "${String(platform)}"`);
  }
  if (!isState(ticket.status)) {
    return refuse('INVALID_INPUT', '未知工单状态', `Unknown ticket status "${String(ticket.status)}"`);
  }
  const rule = ruleFor(platform, action);
  if (rule === undefined) {
    return refuse('ACTION_NOT_ON_PLATFORM', `本平台不支持"${action}"操作`, `The ${platform} platform has no "${action}" action`);
  }
  if (!rule.from.includes(ticket.status)) {
    return refuse(
      'ILLEGAL_TRANSITION',
      `工单当前状态（${ticket.status}）不允许"${action}"操作`,
      `Action "${action}" is not allowed while the ticket is ${ticket.status}`,
    );
  }
  const forbidden = ruleRoleRefusal(rule, action, actor.role);
  if (forbidden) return forbidden;
  for (const id of rule.checks) {
    const refusal = CHECKS[id](ctx);
    if (refusal !== null) return refusal;
  }
  return rule;
}
