/** Stable codes of a refused workflow action; the API puts them in problem+json `code`. */
export const WORKFLOW_ERROR_CODES = [
  'UNKNOWN_ACTION', // 未知操作
  'INVALID_INPUT', // 参数错误
  'ILLEGAL_TRANSITION', // 当前状态不允许此操作
  'ACTION_NOT_ON_PLATFORM', // 本平台无此操作
  'FORBIDDEN_ROLE', // 角色无权
  'NOT_HANDLING_UNIT', // 非本案主办单位
  'NOT_FILER', // 非上报人
  'NOT_CLAIMER_UNIT', // 非党支部志愿者
  'SAME_PERSON_VERIFY', // 办结人不得自行核查/回访
  'REASON_REQUIRED', // 须填写理由
  'SAME_UNIT', // 改派/重新派遣须换单位
  'PARTIES_CONSENT_REQUIRED', // 延期须双方当事人同意
  'FIRST_CONTACT_REQUIRED', // 须先行联系
  'MATERIALS_INCOMPLETE', // 材料清单不全
  'MEDIATION_SESSION_REQUIRED', // 须有调解记录
  'NO_PENDING_REQUEST', // 无待审批申请
  'REQUEST_ALREADY_PENDING', // 已有待审批申请
] as const;
/** A workflow error code. */
export type WorkflowErrorCode = (typeof WORKFLOW_ERROR_CODES)[number];

/** A bilingual message. */
export interface LocalizedMessage {
  zh: string;
  en: string;
}

/**
 * HTTP status for a workflow error code (one exhaustive place):
 * 400 malformed input, 403 this actor may not, 409 the ticket's state forbids it now,
 * 422 well-formed input that breaks a business rule.
 */
export function httpStatusFor(code: WorkflowErrorCode): 400 | 403 | 409 | 422 {
  switch (code) {
    case 'UNKNOWN_ACTION':
    case 'INVALID_INPUT':
      return 400;
    case 'FORBIDDEN_ROLE':
    case 'NOT_HANDLING_UNIT':
    case 'NOT_FILER':
    case 'NOT_CLAIMER_UNIT':
    case 'SAME_PERSON_VERIFY':
      return 403;
    case 'ILLEGAL_TRANSITION':
    case 'ACTION_NOT_ON_PLATFORM':
    case 'FIRST_CONTACT_REQUIRED':
    case 'MATERIALS_INCOMPLETE':
    case 'MEDIATION_SESSION_REQUIRED':
    case 'NO_PENDING_REQUEST':
    case 'REQUEST_ALREADY_PENDING':
      return 409;
    case 'REASON_REQUIRED':
    case 'SAME_UNIT':
    case 'PARTIES_CONSENT_REQUIRED':
      return 422;
    default:
      return assertNever(code);
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unhandled workflow error code: ${String(value)}`);
}
