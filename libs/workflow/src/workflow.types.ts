/**
 * Vocabulary of the ticket lifecycle (SPEC §2, §4, §5, §12).
 * Every domain word keeps its Chinese term beside it so readers from either side find their way.
 */

/** The five platforms of 一网五平台. */
export const PLATFORMS = [
  'community_governance', // 社区治理
  'dispute_resolution', // 纠纷化解
  'request_handling', // 诉求办理 (12345)
  'convenience_services', // 便民服务
  'party_building', // 智慧党建
] as const;
/** A platform code (平台). */
export type Platform = (typeof PLATFORMS)[number];

/** Every ticket status, open ones first. */
export const STATES = [
  'reported', // 上报 — filed, waiting in the triage queue (待立案)
  'registered', // 立案 — accepted, waiting for dispatch (待派遣) or, on party_building, for a volunteer to claim (待认领)
  'dispatched', // 派遣 — sent to a handling unit, not yet signed for (待签收)
  'returned', // 退单 — sent back by the unit with a reason, waiting for the dispatcher's return review (退单审核)
  'in_progress', // 处置中 — signed for and being worked on (also after 返工 rework and 重办 re-handling)
  'suspended', // 挂起 — paused with the dispatcher's approval; the handling clock is paused
  'resolved', // 已处置 / 待核查 — outcome reported (反馈), waiting for verification (核查) or callback (回访)
  'closed', // 结案 — verified and closed
  'archived', // 归档 — request_handling: callback done, filed away (办结归档)
  'voided', // 作废 — rejected at triage (不予立案)
  'cancelled', // 撤销 — withdrawn by the filer before registration
  'merged', // 并单 — duplicate merged into a parent ticket; follows its parent
] as const;
/** A ticket status (工单状态). */
export type State = (typeof STATES)[number];

/** States in which the ticket still needs work; supervision and merging apply to these only. */
export const OPEN_STATES = [
  'reported',
  'registered',
  'dispatched',
  'returned',
  'in_progress',
  'suspended',
  'resolved',
] as const satisfies readonly State[];
/** An open state. */
export type OpenState = (typeof OPEN_STATES)[number];

/** States no action leaves. */
export const TERMINAL_STATES = [
  'closed',
  'archived',
  'voided',
  'cancelled',
  'merged',
] as const satisfies readonly State[];
/** A terminal state. */
export type TerminalState = (typeof TERMINAL_STATES)[number];

/** Terminal states that mean "the problem was handled" (结案率 counts these; voided/cancelled/merged are not). */
export const COMPLETED_STATES = ['closed', 'archived'] as const satisfies readonly State[];

/**
 * Every workflow action. The first seventeen are the stable API names of SPEC §12
 * (`POST /tickets/:id/actions/:action`); the rest are platform actions.
 */
export const ACTIONS = [
  'register', // 立案
  'void', // 作废
  'dispatch', // 派遣
  'sign', // 签收
  'return', // 退单
  'review-return', // 退单审核
  'reassign', // 改派
  'request-extension', // 延期申请
  'decide-extension', // 延期审批
  'suspend', // 挂起 (handler: 申请挂起; dispatcher: 审批 or 直接挂起)
  'resume', // 恢复 (解除挂起)
  'resolve', // 办结反馈
  'verify', // 核查 (verify_pass 核查通过 / verify_fail 核查不通过 → 返工)
  'callback', // 回访 (request_handling)
  'merge', // 并单
  'supervise', // 督办
  'cancel', // 撤销
  'claim', // 认领 (party_building: a party-member volunteer claims a 微心愿 / 双报到 task)
  'first-contact', // 先行联系 (request_handling: contact the resident before working)
  'record-mediation', // 调解记录 (dispute_resolution: one mediation session)
  'self-resolve', // 自行处置 (grid worker fixes a small issue on the spot)
  'add-note', // 备注 / 协办意见 (co-handling units may add notes)
] as const;
/** A workflow action (操作). */
export type Action = (typeof ACTIONS)[number];

/** Roles of SPEC §2, plus `resident` (居民, public API) and `system` (routing rules, SLA engine). */
export const ROLES = [
  'grid_worker', // 网格员
  'dispatcher', // 调度员 (指挥中心)
  'handler', // 承办人 (of a handling unit 承办单位; of a party branch 党支部 = party-member volunteer 志愿者)
  'official', // 领导
  'auditor', // 审计员
  'admin', // 管理员
  'resident', // 居民 — acts only on tickets they filed
  'system', // 系统 — automatic routing and SLA actions
] as const;
/** An actor role (角色). */
export type Role = (typeof ROLES)[number];

/** SLA clock stages (SPEC §7). */
export const CLOCK_STAGES = [
  'register', // 立案
  'sign', // 签收 (on party_building: 认领)
  'resolve', // 处置
  'verify', // 核查
  'callback', // 回访
  'mediation', // 调解 (the handling clock of dispute_resolution)
] as const;
/** An SLA clock stage. */
export type ClockStage = (typeof CLOCK_STAGES)[number];

/** Reasons a unit may give when returning a ticket (退单理由); every return also needs text in `note` (说明). */
export const RETURN_REASONS = [
  'wrong_function', // 职能不符
  'wrong_territory', // 属地不符
  'unclear_ownership', // 权属不清
  'other', // 其他
] as const;
/** A return reason code. */
export type ReturnReason = (typeof RETURN_REASONS)[number];

/** Callback satisfaction (回访满意度). */
export const SATISFACTIONS = [
  'satisfied', // 满意
  'basically_satisfied', // 基本满意
  'dissatisfied', // 不满意 → 重办 + 督办
] as const;
/** A satisfaction level. */
export type Satisfaction = (typeof SATISFACTIONS)[number];

/** Outcome of a mediation (调解结果). */
export const MEDIATION_OUTCOMES = [
  'agreement', // 达成调解协议
  'failed', // 调解不成 (referral required)
] as const;
/** A mediation outcome. */
export type MediationOutcome = (typeof MEDIATION_OUTCOMES)[number];

/** Where a failed mediation is referred (调解不成的去向). */
export const MEDIATION_REFERRALS = [
  'court', // 法院 (诉讼)
  'arbitration', // 仲裁
  'petition', // 信访
] as const;
/** A referral target. */
export type MediationReferral = (typeof MEDIATION_REFERRALS)[number];

/** The unit type whose handlers are party-member volunteers who may `claim` party_building tickets. */
export const PARTY_BRANCH_UNIT_TYPE = 'party_branch'; // 党支部

/** The ticket as the workflow sees it: only what the rules read. */
export interface WorkflowTicket {
  /** Ticket id, used to refuse merging a ticket into itself. */
  id?: string;
  status: State;
  /** Status before the last state change; `review-return` (rejected) goes back to it. */
  previousStatus?: State | null;
  /** Current lead unit (主办单位). */
  unitId: string | null;
  /** Co-handling units (协办单位): may add notes, may not act on the ticket. */
  coUnitIds: readonly string[];
  /** Handler who signed (签收人). */
  handlerId: string | null;
  /** User who filed the ticket (上报人). */
  filedBy: string | null;
  /** User who reported the outcome (办结人); verification must be by someone else. */
  resolvedBy: string | null;
  /** request_handling: when the handler first contacted the resident (先行联系). */
  firstContactAt?: string | Date | null;
  /** A pending extension request (延期申请, awaiting 审批). */
  extensionPending?: { extraSeconds: number } | null;
  /** A pending suspension request (挂起申请, awaiting 审批). */
  suspensionPending?: boolean | null;
  /** Number of returns so far (退单次数). */
  bounceCount: number;
  /**
   * convenience_services: whether the category's materials checklist (材料清单) is complete.
   * The integrator computes it from the stored checklist (true when the category has none).
   */
  materialsComplete?: boolean | null;
  /** dispute_resolution: mediation sessions recorded so far (调解次数). */
  mediationSessionCount?: number | null;
}

/** Who is acting. Scope (grid subtree) is enforced by the caller; the workflow checks unit membership. */
export interface WorkflowActor {
  id: string;
  role: Role;
  /** The handler's unit (所属承办单位). */
  unitId?: string | null;
  /** The type of the handler's unit; `party_branch` may claim party_building tickets. */
  unitType?: string | null;
}

/** Action body fields (SPEC §12) the rules read. Unknown fields are ignored here and rejected by DTOs. */
export interface WorkflowInput {
  /** `return`: a ReturnReason code. Other actions: free text (void, supervise, suspend, extension, verify fail). */
  reason?: string;
  note?: string;
  /** dispatch / reassign / review-return (approved): the new lead unit. */
  unitId?: string;
  /** dispatch / reassign: co-handling units. */
  coUnitIds?: readonly string[];
  /** dispatch / reassign: pre-assign a handler of the unit (auto-assignment to the on-duty handler). */
  handlerId?: string;
  /** verify. */
  passed?: boolean;
  /** decide-extension / review-return / suspend (dispatcher deciding a request). */
  approved?: boolean;
  /** callback. */
  contacted?: boolean;
  resolved?: boolean;
  satisfaction?: Satisfaction;
  /** merge. */
  parentId?: string;
  /** request-extension: extra time asked for; decide-extension: optional smaller grant. */
  extraSeconds?: number;
  /** dispute_resolution request-extension: both parties consent (双方当事人同意). */
  partiesConsent?: boolean;
  /** dispute_resolution resolve. */
  mediationOutcome?: MediationOutcome;
  mediationReferral?: MediationReferral;
  /** party_building resolve: volunteer hours (志愿服务时长). */
  volunteerHours?: number;
}

/** Tunables the caller may pass; defaults apply otherwise. */
export interface WorkflowSettings {
  /** Returns after which a ticket is flagged ownerless (无主案件) to the district. Default 3. */
  ownerlessAfterBounces?: number;
}

/** Everything `decide` needs, as plain values. */
export interface DecisionContext {
  platform: Platform;
  ticket: WorkflowTicket;
  actor: WorkflowActor;
  action: Action;
  input?: WorkflowInput;
  settings?: WorkflowSettings;
}

/** `allowedActions` takes the same context without the action and input. */
export type ActionQueryContext = Omit<DecisionContext, 'action' | 'input'>;

/** Why a ticket was reopened. */
export type ReopenCause =
  | 'verify_fail' // 核查不通过 → 返工
  | 'callback_dissatisfied'; // 回访不满意 → 重办

/**
 * A change the caller must apply, in order, in the same transaction as the state change and event.
 * Clock effects on a stage with no running clock are no-ops; `clock-start` starts a fresh clock (stopping the
 * stage's live one), except with `ifNone`, when a live (running or paused) clock of the stage is kept as it is.
 */
export type Effect =
  | { kind: 'set-unit'; unitId: string | null }
  | { kind: 'set-co-units'; unitIds: string[] }
  | { kind: 'set-handler'; handlerId: string | null }
  | { kind: 'set-resolver'; userId: string | null }
  | { kind: 'set-parent'; parentId: string }
  | { kind: 'increment-bounce' }
  | { kind: 'flag-ownerless'; bounceCount: number }
  | { kind: 'supervise'; reason: string; source: 'manual' | 'system' | 'callback' }
  | { kind: 'clock-start'; stage: ClockStage; ifNone?: true }
  | { kind: 'clock-stop'; stage: ClockStage }
  | { kind: 'clock-pause'; stage: ClockStage }
  | { kind: 'clock-resume'; stage: ClockStage }
  | { kind: 'clock-stop-all' }
  | { kind: 'extension-request'; extraSeconds: number }
  | { kind: 'extension-clear' }
  | { kind: 'extension'; stage: ClockStage; extraSeconds: number }
  | { kind: 'suspension-request'; reason: string }
  | { kind: 'suspension-clear' }
  | { kind: 'first-contact' }
  | { kind: 'clear-first-contact' }
  | { kind: 'reopen'; cause: ReopenCause }
  | { kind: 'mediation-session' }
  | { kind: 'mediation-outcome'; outcome: MediationOutcome; referral: MediationReferral | null }
  | { kind: 'volunteer-hours'; hours: number }
  | {
      kind: 'callback-result';
      contacted: boolean;
      resolved: boolean | null;
      satisfaction: Satisfaction | null;
    };

/** The kind of an effect. */
export type EffectKind = Effect['kind'];
