/**
 * libs/workflow — the ticket lifecycle of 一网五平台 as a pure state machine.
 * No framework imports: callers pass plain values and apply the returned effects.
 * See README.md for the diagram, the action table and the per-platform rules.
 */
export {
  ACTIONS,
  CLOCK_STAGES,
  COMPLETED_STATES,
  MEDIATION_OUTCOMES,
  MEDIATION_REFERRALS,
  OPEN_STATES,
  PARTY_BRANCH_UNIT_TYPE,
  PLATFORMS,
  RETURN_REASONS,
  ROLES,
  SATISFACTIONS,
  STATES,
  TERMINAL_STATES,
} from './src/workflow.types';
export type {
  Action,
  ActionQueryContext,
  ClockStage,
  DecisionContext,
  Effect,
  EffectKind,
  MediationOutcome,
  MediationReferral,
  OpenState,
  Platform,
  ReopenCause,
  ReturnReason,
  Role,
  Satisfaction,
  State,
  TerminalState,
  WorkflowActor,
  WorkflowInput,
  WorkflowSettings,
  WorkflowTicket,
} from './src/workflow.types';
export { WORKFLOW_ERROR_CODES, httpStatusFor } from './src/workflow-errors';
export type { LocalizedMessage, WorkflowErrorCode } from './src/workflow-errors';
export type { Accepted, Decision, Refused } from './src/decision';
export {
  allowedActions,
  decide,
  initialTransition,
  isAction,
  isCompleted,
  isOpen,
  isPlatform,
  isState,
  isTerminal,
  platformActions,
  roleRefusal,
} from './src/decide';
export { BASE_RULES, PLATFORM_ONLY_RULES, PLATFORM_TABLES, ruleFor } from './src/rules';
export type { PlatformTable, Rule, RulePatch } from './src/rules';
export { CHECKS, MAX_EXTENSION_SECONDS, MAX_TEXT_LENGTH, MAX_VOLUNTEER_HOURS, MIN_RETURN_TEXT_LENGTH, REQUIREMENTS } from './src/guards';
export type { CheckId, RequirementId } from './src/guards';
export { DEFAULT_OWNERLESS_AFTER_BOUNCES, TRANSITIONS } from './src/transitions';
export type { StageProfile, TransitionId } from './src/transitions';
export { clockEffectsOfEvent, replayClocks, resolveClockStart } from './src/clock-replay';
export type { ClockReplayEvent, ReplayClockEffect, ReplayedClock, ReplayedPause } from './src/clock-replay';
