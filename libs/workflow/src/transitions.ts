import { accept, refuse, type Decision } from './decision';
import {
  booleanField,
  idField,
  isRefused,
  reasonRequired,
  reasonText,
  secondsField,
  textField,
  unitAssignment,
  MAX_EXTENSION_SECONDS,
} from './guards';
import {
  SATISFACTIONS,
  type ClockStage,
  type DecisionContext,
  type Effect,
  type Satisfaction,
  type State,
} from './workflow.types';

/** Per-platform clock wiring the transitions read. */
export interface StageProfile {
  /** The clock that runs while the ticket is worked on: `resolve`, or `mediation` for disputes. */
  handlingStage: ClockStage;
  /** The clock started on resolution: `verify` (核查), or `callback` (回访) for request_handling. */
  afterResolveStage: ClockStage;
}

/** Computes the target state and effects once role, checks and requirements have passed. */
export type Transition = (ctx: DecisionContext, profile: StageProfile) => Decision;

/** Default number of returns after which a ticket is flagged ownerless (无主案件). */
export const DEFAULT_OWNERLESS_AFTER_BOUNCES = 3;

function clearPending(ctx: DecisionContext): Effect[] {
  const effects: Effect[] = [];
  if (ctx.ticket.extensionPending != null) effects.push({ kind: 'extension-clear' });
  if (ctx.ticket.suspensionPending === true) effects.push({ kind: 'suspension-clear' });
  return effects;
}

/** The clock that runs in a state where a unit holds the ticket. */
function unitStage(state: State | null | undefined, profile: StageProfile): ClockStage {
  return state === 'in_progress' || state === 'suspended' ? profile.handlingStage : 'sign';
}

function bounce(ctx: DecisionContext): Effect[] {
  const after = ctx.settings?.ownerlessAfterBounces ?? DEFAULT_OWNERLESS_AFTER_BOUNCES;
  const count = ctx.ticket.bounceCount + 1;
  const effects: Effect[] = [{ kind: 'increment-bounce' }];
  if (count >= after) effects.push({ kind: 'flag-ownerless', bounceCount: count });
  return effects;
}

/**
 * Hand the ticket to a new lead unit: dispatch, reassign, re-dispatch after an accepted return. The sign clock
 * (签收) starts, and so does the resolve clock (处置): its limit counts from 派遣, so a unit that never signs still
 * breaches it on time. A mediation clock (调解) counts from acceptance (受理 = sign) instead, as 人民调解 does.
 */
function toUnit(ctx: DecisionContext, p: StageProfile, stopStage: ClockStage | null): Decision {
  const unitId = idField(ctx, 'unitId');
  if (isRefused(unitId)) return unitId;
  if (stopStage !== null && unitId === ctx.ticket.unitId) {
    return refuse('SAME_UNIT', '须派往其他单位', 'The ticket must go to a different unit');
  }
  const assignment = unitAssignment(ctx, unitId);
  if (isRefused(assignment)) return assignment;
  const effects: Effect[] = [...clearPending(ctx)];
  if (stopStage !== null) effects.push({ kind: 'clock-stop', stage: stopStage });
  effects.push(
    { kind: 'set-unit', unitId },
    { kind: 'set-co-units', unitIds: assignment.coUnitIds },
    { kind: 'set-handler', handlerId: assignment.handlerId },
    { kind: 'clock-start', stage: 'sign' },
  );
  if (p.handlingStage === 'resolve') effects.push({ kind: 'clock-start', stage: 'resolve' });
  // 先行联系 is the unit's: a new unit contacts the resident again before it may resolve (request_handling).
  if (ctx.ticket.firstContactAt && unitId !== ctx.ticket.unitId) effects.push({ kind: 'clear-first-contact' });
  return accept('dispatched', effects);
}

/** The transitions, by name. Platform tables pick among them. */
export const TRANSITIONS = {
  register: (): Decision => accept('registered', [{ kind: 'clock-stop', stage: 'register' }]),

  /** party_building: registration opens the claim pool, so the claim (sign) clock starts. */
  'register-to-pool': (): Decision =>
    accept('registered', [
      { kind: 'clock-stop', stage: 'register' },
      { kind: 'clock-start', stage: 'sign' },
    ]),

  void: (): Decision => accept('voided', [{ kind: 'clock-stop', stage: 'register' }]),

  cancel: (): Decision => accept('cancelled', [{ kind: 'clock-stop', stage: 'register' }]),

  dispatch: (ctx: DecisionContext, p: StageProfile): Decision => toUnit(ctx, p, null),

  claim: (ctx: DecisionContext, p: StageProfile): Decision =>
    accept('in_progress', [
      { kind: 'set-unit', unitId: ctx.actor.unitId ?? null },
      { kind: 'set-co-units', unitIds: [] },
      { kind: 'set-handler', handlerId: ctx.actor.id },
      { kind: 'clock-stop', stage: 'sign' },
      { kind: 'clock-start', stage: p.handlingStage },
    ]),

  /**
   * A resolve clock has run since the dispatch and is kept (`ifNone`); a mediation clock starts here, as does a
   * resolve clock for a ticket dispatched before dispatches started it.
   */
  sign: (ctx: DecisionContext, p: StageProfile): Decision =>
    accept('in_progress', [
      { kind: 'set-handler', handlerId: ctx.actor.id },
      { kind: 'clock-stop', stage: 'sign' },
      { kind: 'clock-start', stage: p.handlingStage, ifNone: true },
    ]),

  /** The unit's clock keeps running while the dispatcher reviews, so a wrongful return costs time. */
  return: (ctx: DecisionContext): Decision => accept('returned', [...clearPending(ctx), ...bounce(ctx)]),

  /** party_building: a volunteer gives the task back to the claim pool; no review needed. */
  'return-to-pool': (ctx: DecisionContext, p: StageProfile): Decision =>
    accept('registered', [
      ...clearPending(ctx),
      ...bounce(ctx),
      { kind: 'clock-stop', stage: p.handlingStage },
      { kind: 'set-unit', unitId: null },
      { kind: 'set-co-units', unitIds: [] },
      { kind: 'set-handler', handlerId: null },
      { kind: 'clock-start', stage: 'sign' },
    ]),

  'review-return': (ctx: DecisionContext, p: StageProfile): Decision => {
    const approved = booleanField(ctx, 'approved');
    if (isRefused(approved)) return approved;
    const back: State = ctx.ticket.previousStatus === 'in_progress' ? 'in_progress' : 'dispatched';
    if (!approved) return accept(back); // 驳回退单: back to the same unit, clocks untouched
    const stage = unitStage(back, p);
    if (ctx.input?.unitId !== undefined) return toUnit(ctx, p, stage); // 同意退单并重新派遣
    return accept('registered', [
      { kind: 'clock-stop', stage },
      ...(stage === 'sign' ? [{ kind: 'clock-stop', stage: p.handlingStage } as const] : []),
      { kind: 'set-unit', unitId: null },
      { kind: 'set-co-units', unitIds: [] },
      { kind: 'set-handler', handlerId: null },
    ]);
  },

  reassign: (ctx: DecisionContext, p: StageProfile): Decision => toUnit(ctx, p, unitStage(ctx.ticket.status, p)),

  'first-contact': (): Decision => accept('in_progress', [{ kind: 'first-contact' }]),

  'record-mediation': (): Decision => accept('in_progress', [{ kind: 'mediation-session' }]),

  'request-extension': (ctx: DecisionContext): Decision => {
    const seconds = secondsField(ctx.input?.extraSeconds, MAX_EXTENSION_SECONDS);
    if (isRefused(seconds)) return seconds;
    return accept(ctx.ticket.status, [{ kind: 'extension-request', extraSeconds: seconds }]);
  },

  'decide-extension': (ctx: DecisionContext, p: StageProfile): Decision => {
    const approved = booleanField(ctx, 'approved');
    if (isRefused(approved)) return approved;
    if (!approved) return accept(ctx.ticket.status, [{ kind: 'extension-clear' }]);
    const asked = ctx.ticket.extensionPending?.extraSeconds ?? 0;
    // The dispatcher may grant less than was asked, never more.
    const granted = ctx.input?.extraSeconds === undefined ? asked : secondsField(ctx.input.extraSeconds, asked);
    if (isRefused(granted)) return granted;
    return accept(ctx.ticket.status, [
      { kind: 'extension', stage: p.handlingStage, extraSeconds: granted },
      { kind: 'extension-clear' },
    ]);
  },

  /**
   * A handler asks (申请挂起, needs a reason); a dispatcher decides a pending request (`approved`)
   * or, with none pending, suspends directly with a reason.
   */
  suspend: (ctx: DecisionContext, p: StageProfile): Decision => {
    if (ctx.actor.role === 'handler') {
      const reason = reasonText(ctx);
      if (isRefused(reason)) return reason;
      if (reason === null) return reasonRequired();
      return accept('in_progress', [{ kind: 'suspension-request', reason }]);
    }
    if (ctx.ticket.suspensionPending === true) {
      const approved = booleanField(ctx, 'approved');
      if (isRefused(approved)) return approved;
      if (!approved) return accept('in_progress', [{ kind: 'suspension-clear' }]);
      return accept('suspended', [
        { kind: 'suspension-clear' },
        { kind: 'clock-pause', stage: p.handlingStage },
      ]);
    }
    const reason = reasonText(ctx);
    if (isRefused(reason)) return reason;
    if (reason === null) return reasonRequired();
    return accept('suspended', [{ kind: 'clock-pause', stage: p.handlingStage }]);
  },

  resume: (_ctx: DecisionContext, p: StageProfile): Decision =>
    accept('in_progress', [{ kind: 'clock-resume', stage: p.handlingStage }]),

  resolve: (ctx: DecisionContext, p: StageProfile): Decision =>
    accept('resolved', [
      ...clearPending(ctx),
      { kind: 'set-resolver', userId: ctx.actor.id },
      { kind: 'clock-stop', stage: p.handlingStage },
      { kind: 'clock-start', stage: p.afterResolveStage },
    ]),

  /** 自行处置: the filer fixes it on the spot; someone else verifies. */
  'self-resolve': (ctx: DecisionContext, p: StageProfile): Decision =>
    accept('resolved', [
      { kind: 'set-resolver', userId: ctx.actor.id },
      { kind: 'clock-stop', stage: 'register' },
      { kind: 'clock-start', stage: p.afterResolveStage },
    ]),

  /** verify_pass → closed; verify_fail (reason required) → rework by the same unit, or triage if none. */
  verify: (ctx: DecisionContext, p: StageProfile): Decision => {
    const passed = booleanField(ctx, 'passed');
    if (isRefused(passed)) return passed;
    if (passed) return accept('closed', [{ kind: 'clock-stop', stage: 'verify' }]);
    const reason = reasonText(ctx);
    if (isRefused(reason)) return reason;
    if (reason === null) return reasonRequired();
    const reopened: Effect[] = [
      { kind: 'clock-stop', stage: 'verify' },
      { kind: 'reopen', cause: 'verify_fail' },
      { kind: 'set-resolver', userId: null },
    ];
    // A self-resolved ticket has no unit to send back to: it returns to triage for dispatch.
    if (ctx.ticket.unitId === null) return accept('registered', reopened);
    return accept('in_progress', [...reopened, { kind: 'clock-start', stage: p.handlingStage }]);
  },

  /**
   * 回访: unreachable or satisfied → archived; dissatisfied → 重办 (back to in_progress at the same
   * unit, with supervision, and 先行联系 required again).
   */
  callback: (ctx: DecisionContext, p: StageProfile): Decision => {
    const contacted = booleanField(ctx, 'contacted');
    if (isRefused(contacted)) return contacted;
    if (!contacted) {
      return accept('archived', [
        { kind: 'clock-stop', stage: 'callback' },
        { kind: 'callback-result', contacted: false, resolved: null, satisfaction: null },
      ]);
    }
    const resolved = booleanField(ctx, 'resolved');
    if (isRefused(resolved)) return resolved;
    const satisfaction: unknown = ctx.input?.satisfaction;
    if (!(SATISFACTIONS as readonly unknown[]).includes(satisfaction)) {
      return refuse(
        'INVALID_INPUT',
        '须填写满意度（满意 / 基本满意 / 不满意）',
        `satisfaction must be one of ${SATISFACTIONS.join(', ')}`,
      );
    }
    const result: Effect = {
      kind: 'callback-result',
      contacted: true,
      resolved,
      satisfaction: satisfaction as Satisfaction,
    };
    if (satisfaction !== 'dissatisfied') {
      return accept('archived', [{ kind: 'clock-stop', stage: 'callback' }, result]);
    }
    const note = textField(ctx.input?.note, 'note');
    if (isRefused(note)) return note;
    return accept('in_progress', [
      { kind: 'clock-stop', stage: 'callback' },
      result,
      { kind: 'reopen', cause: 'callback_dissatisfied' },
      { kind: 'set-resolver', userId: null },
      { kind: 'clear-first-contact' },
      { kind: 'supervise', reason: note ?? '回访不满意，重办督办 / dissatisfied callback', source: 'callback' },
      { kind: 'clock-start', stage: p.handlingStage },
    ]);
  },

  merge: (ctx: DecisionContext): Decision => {
    const parentId = idField(ctx, 'parentId');
    if (isRefused(parentId)) return parentId;
    if (ctx.ticket.id !== undefined && parentId === ctx.ticket.id) {
      return refuse('INVALID_INPUT', '不能并入自身', 'A ticket cannot be merged into itself');
    }
    return accept('merged', [...clearPending(ctx), { kind: 'set-parent', parentId }, { kind: 'clock-stop-all' }]);
  },

  supervise: (ctx: DecisionContext): Decision => {
    const reason = reasonText(ctx);
    if (isRefused(reason)) return reason;
    if (reason === null) return reasonRequired();
    const source = ctx.actor.role === 'system' ? 'system' : 'manual';
    return accept(ctx.ticket.status, [{ kind: 'supervise', reason, source }]);
  },

  'add-note': (ctx: DecisionContext): Decision => accept(ctx.ticket.status),
} as const satisfies Record<string, Transition>;

/** The name of a transition. */
export type TransitionId = keyof typeof TRANSITIONS;
