import { AppException, type Bilingual } from '../../common/problem';

export enum DispatchErrorCode {
  RULE_NOT_FOUND = 'RULE_NOT_FOUND',
  RULE_STALE_VERSION = 'RULE_STALE_VERSION',
  RULE_INVALID = 'RULE_INVALID',
  RULE_GRID_NODE_NOT_FOUND = 'RULE_GRID_NODE_NOT_FOUND',
  RULE_UNIT_NOT_FOUND = 'RULE_UNIT_NOT_FOUND',
  QUEUE_UNIT_NOT_FOUND = 'QUEUE_UNIT_NOT_FOUND',
  NOT_UNIT_HANDLER = 'NOT_UNIT_HANDLER',
  TRIAGE_FORBIDDEN = 'TRIAGE_FORBIDDEN',
  DRY_RUN_TICKET_NOT_FOUND = 'DRY_RUN_TICKET_NOT_FOUND',
  UNIT_ABOVE_SCOPE = 'UNIT_ABOVE_SCOPE',
}

function describe(code: DispatchErrorCode): { status: number; text: Bilingual } {
  switch (code) {
    case DispatchErrorCode.RULE_NOT_FOUND: return { status: 404, text: { en: 'Routing rule not found', zh: '派单规则不存在' } };
    case DispatchErrorCode.RULE_STALE_VERSION: return { status: 409, text: { en: 'The rule changed since you loaded it; reload and try again', zh: '派单规则已被修改，请刷新后重试' } };
    case DispatchErrorCode.RULE_INVALID: return { status: 422, text: { en: 'The routing rule is invalid', zh: '派单规则无效' } };
    case DispatchErrorCode.RULE_GRID_NODE_NOT_FOUND: return { status: 422, text: { en: 'Grid node not found in your scope', zh: '网格不存在或不在您的管辖范围内' } };
    case DispatchErrorCode.RULE_UNIT_NOT_FOUND: return { status: 422, text: { en: 'Handling unit not found or inactive', zh: '承办单位不存在或已停用' } };
    case DispatchErrorCode.QUEUE_UNIT_NOT_FOUND: return { status: 404, text: { en: 'Handling unit not found', zh: '承办单位不存在' } };
    case DispatchErrorCode.NOT_UNIT_HANDLER: return { status: 403, text: { en: 'Only handlers of this unit may do this', zh: '仅本单位承办人可执行此操作' } };
    case DispatchErrorCode.TRIAGE_FORBIDDEN: return { status: 403, text: { en: 'The triage queue is for dispatchers and officials', zh: '待立案队列仅供调度员和领导查看' } };
    case DispatchErrorCode.DRY_RUN_TICKET_NOT_FOUND: return { status: 404, text: { en: 'Ticket not found', zh: '工单不存在' } };
    case DispatchErrorCode.UNIT_ABOVE_SCOPE: return { status: 403, text: { en: 'This unit serves beyond your area: only a dispatcher or admin above it may change its settings', zh: '该单位的服务范围超出您的辖区，仅上级调度员或管理员可修改其设置' } };
  }
}

/** The dispatch context's errors, mapped to HTTP in one exhaustive place. */
export class DispatchException extends AppException {
  constructor(readonly dispatchCode: DispatchErrorCode, detail?: Bilingual, errors?: Array<{ field: string; message: string }>) {
    const d = describe(dispatchCode);
    super(d.status, dispatchCode, d.text, detail, errors);
  }
}
