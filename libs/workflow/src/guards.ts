import { refuse, type Refused } from './decision';
import {
  MEDIATION_OUTCOMES,
  MEDIATION_REFERRALS,
  PARTY_BRANCH_UNIT_TYPE,
  RETURN_REASONS,
  type DecisionContext,
  type Effect,
  type MediationOutcome,
  type MediationReferral,
} from './workflow.types';

/** Longest free text (reason, note) accepted, in characters. */
export const MAX_TEXT_LENGTH = 2000;
/** Shortest explanation (说明) a return accepts, in characters after trimming: a word, not a stray key. */
export const MIN_RETURN_TEXT_LENGTH = 2;
/** Longest extension that may be asked for at once: one year. */
export const MAX_EXTENSION_SECONDS = 366 * 24 * 3600;
/** Most volunteer hours recorded by one resolution. */
export const MAX_VOLUNTEER_HOURS = 1000;

/**
 * Checks on the actor and on the ticket (not on the input). They run in `decide` and in
 * `allowedActions`, so a UI never offers an action these would refuse.
 */
export const CHECKS = {
  /** grid workers and residents act only on tickets they filed (上报人本人). */
  'filer-only': (ctx: DecisionContext): Refused | null => {
    const { actor, ticket } = ctx;
    if (actor.role !== 'grid_worker' && actor.role !== 'resident') return null;
    if (ticket.filedBy !== null && ticket.filedBy === actor.id) return null;
    return refuse('NOT_FILER', '仅上报人本人可执行此操作', 'Only the person who filed the ticket may do this');
  },
  /** A handler must belong to the lead unit (主办单位); co-units (协办单位) may only add notes. */
  'lead-unit-handler': (ctx: DecisionContext): Refused | null => {
    const { actor, ticket } = ctx;
    if (actor.role !== 'handler') return null;
    if (ticket.unitId !== null && actor.unitId != null && actor.unitId === ticket.unitId) return null;
    if (actor.unitId != null && ticket.coUnitIds.includes(actor.unitId)) {
      return refuse(
        'NOT_HANDLING_UNIT',
        '协办单位只能添加备注，此操作须由主办单位执行',
        'A co-handling unit may only add notes; the lead unit must do this',
      );
    }
    return refuse('NOT_HANDLING_UNIT', '您不属于本案的承办单位', 'You do not belong to the unit handling this ticket');
  },
  /** A handler must belong to the lead unit or a co-unit. */
  'member-unit-handler': (ctx: DecisionContext): Refused | null => {
    const { actor, ticket } = ctx;
    if (actor.role !== 'handler') return null;
    const unit = actor.unitId;
    if (unit != null && (unit === ticket.unitId || ticket.coUnitIds.includes(unit))) return null;
    return refuse('NOT_HANDLING_UNIT', '您不属于本案的主办或协办单位', 'You do not belong to a unit handling this ticket');
  },
  /** party_building: only a handler of a party branch (党员志愿者) may claim. */
  'claimer-unit': (ctx: DecisionContext): Refused | null => {
    const { actor } = ctx;
    if (actor.unitId != null && actor.unitId !== '' && actor.unitType === PARTY_BRANCH_UNIT_TYPE) return null;
    return refuse('NOT_CLAIMER_UNIT', '仅党支部的党员志愿者可认领', 'Only party-member volunteers of a party branch may claim');
  },
  /** The verifier (核查人) or callback agent (回访人) must not be the resolver (办结人). */
  'not-resolver': (ctx: DecisionContext): Refused | null => {
    const { actor, ticket } = ctx;
    if (ticket.resolvedBy === null || ticket.resolvedBy !== actor.id) return null;
    return refuse('SAME_PERSON_VERIFY', '办结人不得核查或回访自己办结的案件', 'The person who resolved the ticket may not verify it');
  },
  /** request_handling: 先行联系 must be recorded before resolving. */
  'first-contact-recorded': (ctx: DecisionContext): Refused | null =>
    ctx.ticket.firstContactAt != null
      ? null
      : refuse('FIRST_CONTACT_REQUIRED', '办结前须先行联系诉求人并记录', 'The resident must be contacted (and it recorded) before resolving'),
  /** convenience_services: the category's materials checklist (材料清单) must be complete. */
  'materials-complete': (ctx: DecisionContext): Refused | null =>
    ctx.ticket.materialsComplete === true
      ? null
      : refuse('MATERIALS_INCOMPLETE', '所需材料尚未齐全', 'The required materials checklist is not complete'),
  /** dispute_resolution: at least one mediation session (调解) before an outcome. */
  'mediation-session-recorded': (ctx: DecisionContext): Refused | null =>
    (ctx.ticket.mediationSessionCount ?? 0) > 0
      ? null
      : refuse('MEDIATION_SESSION_REQUIRED', '须至少记录一次调解', 'At least one mediation session must be recorded'),
  /** No extension request (延期申请) already waiting. */
  'no-extension-pending': (ctx: DecisionContext): Refused | null =>
    ctx.ticket.extensionPending == null
      ? null
      : refuse('REQUEST_ALREADY_PENDING', '已有待审批的延期申请', 'An extension request is already pending'),
  /** An extension request is waiting for a decision. */
  'extension-pending': (ctx: DecisionContext): Refused | null =>
    ctx.ticket.extensionPending != null
      ? null
      : refuse('NO_PENDING_REQUEST', '没有待审批的延期申请', 'There is no pending extension request'),
  /** A handler may not ask for a suspension twice; a dispatcher decides or suspends directly. */
  'suspension-request-once': (ctx: DecisionContext): Refused | null =>
    ctx.actor.role === 'handler' && ctx.ticket.suspensionPending === true
      ? refuse('REQUEST_ALREADY_PENDING', '已有待审批的挂起申请', 'A suspension request is already pending')
      : null,
} as const satisfies Record<string, (ctx: DecisionContext) => Refused | null>;

/** The name of a check. */
export type CheckId = keyof typeof CHECKS;

/**
 * Requirements on the input. Each refuses or contributes effects (recorded outcomes).
 * They run in `decide` only; `allowedActions` cannot know the input.
 */
export const REQUIREMENTS = {
  /** A reason (理由) in `reason` or `note`. */
  'reason-text': (ctx: DecisionContext): Refused | Effect[] => {
    const text = reasonText(ctx);
    if (isRefused(text)) return text;
    return text === null ? reasonRequired() : [];
  },
  /**
   * A return (退单) needs a reason code (退单理由) and an explanation in `note` for every code: the dispatcher
   * reviewing the return reads why, not only which box was ticked.
   */
  'return-reason': (ctx: DecisionContext): Refused | Effect[] => {
    const reason = ctx.input?.reason;
    if (reason === undefined || reason === '') {
      return refuse('REASON_REQUIRED', '退单须选择理由', 'A return needs a reason');
    }
    if (!(RETURN_REASONS as readonly string[]).includes(reason)) {
      return refuse(
        'INVALID_INPUT',
        '退单理由须为 职能不符 / 属地不符 / 权属不清 / 其他',
        `reason must be one of ${RETURN_REASONS.join(', ')}`,
      );
    }
    const note = textField(ctx.input?.note, 'note');
    if (isRefused(note)) return note;
    if (note === null || [...note].length < MIN_RETURN_TEXT_LENGTH) {
      return refuse(
        'REASON_REQUIRED',
        `退单须在 note 中填写说明（至少 ${MIN_RETURN_TEXT_LENGTH} 个字）`,
        `A return needs an explanation in note (at least ${MIN_RETURN_TEXT_LENGTH} characters)`,
      );
    }
    return [];
  },
  /** A note (备注) is the point of the action. */
  'note-text': (ctx: DecisionContext): Refused | Effect[] => {
    const note = textField(ctx.input?.note, 'note');
    if (isRefused(note)) return note;
    return note === null ? refuse('INVALID_INPUT', '须填写备注内容（须包含文字或数字）', 'note is required (text with at least one letter or digit)') : [];
  },
  /** dispute_resolution: an extension needs both parties' consent (经双方当事人同意). */
  /**
   * dispute_resolution: pausing a mediation (中止) stops its one-month clock, so like an extension it needs both
   * parties' consent — on the handler's request and on a dispatcher's direct suspension; deciding a pending request
   * (approve or reject) asks nothing more.
   */
  'parties-consent-to-pause': (ctx: DecisionContext): Refused | Effect[] =>
    ctx.ticket.suspensionPending === true || ctx.input?.partiesConsent === true
      ? []
      : refuse(
          'PARTIES_CONSENT_REQUIRED',
          '纠纷调解中止须经双方当事人同意',
          'Pausing a mediation needs the consent of both parties (partiesConsent: true)',
        ),
  'parties-consent': (ctx: DecisionContext): Refused | Effect[] =>
    ctx.input?.partiesConsent === true
      ? []
      : refuse(
          'PARTIES_CONSENT_REQUIRED',
          '纠纷调解延期须经双方当事人同意',
          'Extending a mediation needs the consent of both parties (partiesConsent: true)',
        ),
  /** dispute_resolution: the outcome (调解协议 / 调解不成 with its referral). */
  'mediation-outcome': (ctx: DecisionContext): Refused | Effect[] => {
    const outcome = ctx.input?.mediationOutcome;
    if (!(MEDIATION_OUTCOMES as readonly unknown[]).includes(outcome)) {
      return refuse(
        'INVALID_INPUT',
        '须填写调解结果（达成协议 / 调解不成）',
        `mediationOutcome must be one of ${MEDIATION_OUTCOMES.join(', ')}`,
      );
    }
    const referral = ctx.input?.mediationReferral;
    if (outcome === 'failed' && !(MEDIATION_REFERRALS as readonly unknown[]).includes(referral)) {
      return refuse(
        'INVALID_INPUT',
        '调解不成须注明去向（法院 / 仲裁 / 信访）',
        `a failed mediation needs mediationReferral, one of ${MEDIATION_REFERRALS.join(', ')}`,
      );
    }
    return [
      {
        kind: 'mediation-outcome',
        outcome: outcome as MediationOutcome,
        referral: outcome === 'failed' ? (referral as MediationReferral) : null,
      },
    ];
  },
  /** party_building: volunteer hours (志愿服务时长) are recorded on resolution. */
  'volunteer-hours': (ctx: DecisionContext): Refused | Effect[] => {
    const hours = ctx.input?.volunteerHours;
    if (typeof hours !== 'number' || !Number.isFinite(hours) || hours <= 0 || hours > MAX_VOLUNTEER_HOURS) {
      return refuse(
        'INVALID_INPUT',
        `须填写志愿服务时长（大于 0，不超过 ${MAX_VOLUNTEER_HOURS} 小时）`,
        `volunteerHours must be a number greater than 0 and at most ${MAX_VOLUNTEER_HOURS}`,
      );
    }
    return [{ kind: 'volunteer-hours', hours }];
  },
} as const satisfies Record<string, (ctx: DecisionContext) => Refused | Effect[]>;

/** The name of an input requirement. */
export type RequirementId = keyof typeof REQUIREMENTS;

// ---- helpers shared with the transitions ----

/** Whitespace and format characters (zero-width space, joiners, BOM: \p{Cf}) at either end of a text. */
const BLANK_EDGES = /^[\s\p{Cf}]+|[\s\p{Cf}]+$/gu;
/** A letter or digit of any script (CJK included): what makes a text say something. */
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * A string trimmed of whitespace and format characters, null when absent or when it says nothing (no letter or
 * digit: blanks, zero-width characters, dots or other punctuation alone), or a refusal when malformed.
 */
export function textField(value: unknown, field: string): string | null | Refused {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') return refuse('INVALID_INPUT', `${field} 须为文本`, `${field} must be a string`);
  const trimmed = value.replace(BLANK_EDGES, '');
  if (trimmed.length > MAX_TEXT_LENGTH) {
    return refuse('INVALID_INPUT', `${field} 不得超过 ${MAX_TEXT_LENGTH} 字`, `${field} must be at most ${MAX_TEXT_LENGTH} characters`);
  }
  return LETTER_OR_DIGIT.test(trimmed) ? trimmed : null;
}

/** The reason text: `reason`, else `note`; null when neither is given. */
export function reasonText(ctx: DecisionContext): string | null | Refused {
  const reason = textField(ctx.input?.reason, 'reason');
  if (reason !== null) return reason;
  return textField(ctx.input?.note, 'note');
}

export function reasonRequired(): Refused {
  return refuse('REASON_REQUIRED', '须填写理由（须包含文字或数字）', 'A reason is required (text with at least one letter or digit)');
}

/** A required boolean input field. */
export function booleanField(ctx: DecisionContext, field: 'passed' | 'approved' | 'contacted' | 'resolved'): boolean | Refused {
  const value: unknown = ctx.input?.[field];
  if (typeof value === 'boolean') return value;
  return refuse('INVALID_INPUT', `${field} 须为 true 或 false`, `${field} must be true or false`);
}

/** A required id input field. */
export function idField(ctx: DecisionContext, field: 'unitId' | 'parentId'): string | Refused {
  const value: unknown = ctx.input?.[field];
  if (typeof value === 'string' && value.trim() !== '' && value.length <= 200) return value;
  return refuse('INVALID_INPUT', `须提供 ${field}`, `${field} is required`);
}

/** Optional co-units and pre-assigned handler of a dispatch; co-units may not repeat or include the lead. */
export function unitAssignment(
  ctx: DecisionContext,
  leadUnitId: string,
): { coUnitIds: string[]; handlerId: string | null } | Refused {
  const raw: unknown = ctx.input?.coUnitIds;
  let coUnitIds: string[] = [];
  if (raw !== undefined) {
    if (!Array.isArray(raw) || raw.some((id) => typeof id !== 'string' || id.trim() === '')) {
      return refuse('INVALID_INPUT', 'coUnitIds 须为单位编号列表', 'coUnitIds must be a list of unit ids');
    }
    coUnitIds = raw as string[];
    if (new Set(coUnitIds).size !== coUnitIds.length || coUnitIds.includes(leadUnitId)) {
      return refuse('INVALID_INPUT', '协办单位不得重复，也不得与主办单位相同', 'coUnitIds must be distinct and exclude the lead unit');
    }
  }
  const handler: unknown = ctx.input?.handlerId;
  if (handler !== undefined && (typeof handler !== 'string' || handler.trim() === '')) {
    return refuse('INVALID_INPUT', 'handlerId 须为用户编号', 'handlerId must be a user id');
  }
  return { coUnitIds, handlerId: (handler as string | undefined) ?? null };
}

/** Positive whole seconds, at most `max`. */
export function secondsField(value: unknown, max: number): number | Refused {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= max) return value;
  return refuse('INVALID_INPUT', `extraSeconds 须为 1 至 ${max} 的整数`, `extraSeconds must be a whole number from 1 to ${max}`);
}

export function isRefused(value: unknown): value is Refused {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}
