import type { CheckId, RequirementId } from './guards';
import type { StageProfile, TransitionId } from './transitions';
import { OPEN_STATES, type Action, type Platform, type Role, type State } from './workflow.types';

/** One row of the transition table: who may do an action, from where, under which guards. */
export interface Rule {
  /** States the action may start from. */
  from: readonly State[];
  /** Roles allowed to act. */
  roles: readonly Role[];
  /** Checks on actor and ticket, in order (see CHECKS). */
  checks: readonly CheckId[];
  /** Requirements on the input, in order (see REQUIREMENTS). */
  requires: readonly RequirementId[];
  /** How the target state and effects are computed (see TRANSITIONS). */
  transition: TransitionId;
}

/** A platform's change to one row: replace fields, or append checks and requirements. */
export interface RulePatch {
  from?: readonly State[];
  roles?: readonly Role[];
  transition?: TransitionId;
  addChecks?: readonly CheckId[];
  addRequires?: readonly RequirementId[];
}

/** A platform's table: clock wiring, actions it adds, actions it removes, rows it patches. */
export interface PlatformTable extends StageProfile {
  add: Partial<Record<Action, Rule>>;
  remove: readonly Action[];
  patch: Partial<Record<Action, RulePatch>>;
}

const HANDLER_OF_LEAD_UNIT: readonly CheckId[] = ['lead-unit-handler'];

/** Rows shared by every platform. */
export const BASE_RULES: Partial<Record<Action, Rule>> = {
  register: { from: ['reported'], roles: ['dispatcher', 'system'], checks: [], requires: [], transition: 'register' },
  void: { from: ['reported'], roles: ['dispatcher'], checks: [], requires: ['reason-text'], transition: 'void' },
  cancel: {
    from: ['reported'],
    roles: ['dispatcher', 'grid_worker', 'resident'],
    checks: ['filer-only'],
    requires: [],
    transition: 'cancel',
  },
  dispatch: { from: ['registered'], roles: ['dispatcher', 'system'], checks: [], requires: [], transition: 'dispatch' },
  sign: { from: ['dispatched'], roles: ['handler'], checks: HANDLER_OF_LEAD_UNIT, requires: [], transition: 'sign' },
  return: {
    from: ['dispatched', 'in_progress'],
    roles: ['handler'],
    checks: HANDLER_OF_LEAD_UNIT,
    requires: ['return-reason'],
    transition: 'return',
  },
  'review-return': { from: ['returned'], roles: ['dispatcher'], checks: [], requires: [], transition: 'review-return' },
  // 改派 at any time before resolution (SPEC §5, §6): a suspended ticket too. The paused handling clock stops
  // with its pause closed, and the new unit starts afresh (sign, then handling from the reassignment).
  reassign: {
    from: ['dispatched', 'in_progress', 'suspended'],
    roles: ['dispatcher'],
    checks: [],
    requires: [],
    transition: 'reassign',
  },
  'request-extension': {
    from: ['in_progress'],
    roles: ['handler'],
    checks: [...HANDLER_OF_LEAD_UNIT, 'no-extension-pending'],
    requires: ['reason-text'],
    transition: 'request-extension',
  },
  'decide-extension': {
    from: ['in_progress', 'suspended'],
    roles: ['dispatcher'],
    checks: ['extension-pending'],
    requires: [],
    transition: 'decide-extension',
  },
  suspend: {
    from: ['in_progress'],
    roles: ['handler', 'dispatcher'],
    checks: [...HANDLER_OF_LEAD_UNIT, 'suspension-request-once'],
    requires: [],
    transition: 'suspend',
  },
  resume: {
    from: ['suspended'],
    roles: ['handler', 'dispatcher', 'system'],
    checks: HANDLER_OF_LEAD_UNIT,
    requires: [],
    transition: 'resume',
  },
  resolve: { from: ['in_progress'], roles: ['handler'], checks: HANDLER_OF_LEAD_UNIT, requires: [], transition: 'resolve' },
  verify: {
    from: ['resolved'],
    roles: ['grid_worker', 'dispatcher'],
    checks: ['not-resolver'],
    requires: [],
    transition: 'verify',
  },
  merge: { from: OPEN_STATES, roles: ['dispatcher'], checks: [], requires: [], transition: 'merge' },
  supervise: {
    from: OPEN_STATES,
    roles: ['dispatcher', 'official', 'system'],
    checks: [],
    requires: [],
    transition: 'supervise',
  },
  'add-note': {
    from: OPEN_STATES,
    roles: ['handler', 'dispatcher', 'grid_worker'],
    checks: ['member-unit-handler'],
    requires: ['note-text'],
    transition: 'add-note',
  },
};

/** Rows that only some platforms add. */
export const PLATFORM_ONLY_RULES = {
  'self-resolve': {
    from: ['reported'],
    roles: ['grid_worker'],
    checks: ['filer-only'],
    requires: [],
    transition: 'self-resolve',
  },
  claim: {
    from: ['registered'],
    roles: ['handler'],
    checks: ['claimer-unit'],
    requires: [],
    transition: 'claim',
  },
  'first-contact': {
    from: ['in_progress'],
    roles: ['handler'],
    checks: HANDLER_OF_LEAD_UNIT,
    requires: [],
    transition: 'first-contact',
  },
  'record-mediation': {
    from: ['in_progress'],
    roles: ['handler'],
    checks: HANDLER_OF_LEAD_UNIT,
    requires: ['note-text'],
    transition: 'record-mediation',
  },
  callback: {
    from: ['resolved'],
    roles: ['dispatcher', 'system', 'resident'],
    checks: ['filer-only', 'not-resolver'],
    requires: [],
    transition: 'callback',
  },
} as const satisfies Partial<Record<Action, Rule>>;

/** Each platform's variations, as data over BASE_RULES (SPEC §4). */
export const PLATFORM_TABLES: Record<Platform, PlatformTable> = {
  community_governance: {
    handlingStage: 'resolve',
    afterResolveStage: 'verify',
    add: { 'self-resolve': PLATFORM_ONLY_RULES['self-resolve'] },
    remove: [],
    // 数字城管: verification is on site, by a grid worker (现场核查).
    patch: { verify: { roles: ['grid_worker'] } },
  },
  dispute_resolution: {
    handlingStage: 'mediation',
    afterResolveStage: 'verify',
    add: { 'record-mediation': PLATFORM_ONLY_RULES['record-mediation'] },
    remove: [],
    patch: {
      resolve: { addChecks: ['mediation-session-recorded'], addRequires: ['mediation-outcome'] },
      'request-extension': { addRequires: ['parties-consent'] },
      // Pausing stops the month as an extension lengthens it: the parties agree to either.
      suspend: { addRequires: ['parties-consent-to-pause'] },
      // Dispute content is visible only to mediators and their supervisors, so no grid worker verifies.
      verify: { roles: ['dispatcher'] },
    },
  },
  request_handling: {
    handlingStage: 'resolve',
    afterResolveStage: 'callback',
    add: { 'first-contact': PLATFORM_ONLY_RULES['first-contact'], callback: PLATFORM_ONLY_RULES.callback },
    // The callback (回访) is this platform's verification.
    remove: ['verify'],
    patch: { resolve: { addChecks: ['first-contact-recorded'] } },
  },
  convenience_services: {
    handlingStage: 'resolve',
    afterResolveStage: 'verify',
    add: { 'self-resolve': PLATFORM_ONLY_RULES['self-resolve'] },
    remove: [],
    patch: {
      resolve: { addChecks: ['materials-complete'] },
      'self-resolve': { addChecks: ['materials-complete'] },
    },
  },
  party_building: {
    handlingStage: 'resolve',
    afterResolveStage: 'verify',
    add: { claim: PLATFORM_ONLY_RULES.claim },
    // Claimed by volunteers instead of dispatched: no dispatch, signing, reassignment or return review.
    remove: ['dispatch', 'sign', 'reassign', 'review-return'],
    patch: {
      register: { transition: 'register-to-pool' },
      return: { from: ['in_progress'], transition: 'return-to-pool' },
      resolve: { addRequires: ['volunteer-hours'] },
    },
  },
};

/** The effective row for an action on a platform, or undefined when the platform has no such action. */
export function ruleFor(platform: Platform, action: Action): Rule | undefined {
  const table = PLATFORM_TABLES[platform];
  if (table.remove.includes(action)) return undefined;
  const base = table.add[action] ?? BASE_RULES[action];
  if (base === undefined) return undefined;
  const patch = table.patch[action];
  if (patch === undefined) return base;
  return {
    from: patch.from ?? base.from,
    roles: patch.roles ?? base.roles,
    checks: [...base.checks, ...(patch.addChecks ?? [])],
    requires: [...base.requires, ...(patch.addRequires ?? [])],
    transition: patch.transition ?? base.transition,
  };
}
