import { AppException, type Bilingual } from '../../common/problem';

export enum TicketErrorCode {
  TICKET_NOT_FOUND = 'TICKET_NOT_FOUND',
  CATEGORY_NOT_FOUND = 'CATEGORY_NOT_FOUND',
  STANDARD_NOT_FOUND = 'STANDARD_NOT_FOUND',
  GRID_NODE_NOT_FOUND = 'GRID_NODE_NOT_FOUND',
  UNIT_NOT_FOUND = 'UNIT_NOT_FOUND',
  UNIT_OUT_OF_JURISDICTION = 'UNIT_OUT_OF_JURISDICTION',
  PARENT_NOT_FOUND = 'PARENT_NOT_FOUND',
  MERGE_ACROSS_PLATFORMS = 'MERGE_ACROSS_PLATFORMS',
  ATTACHMENT_NOT_FOUND = 'ATTACHMENT_NOT_FOUND',
  ATTRIBUTES_INVALID = 'ATTRIBUTES_INVALID',
  STALE_VERSION = 'STALE_VERSION',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  IDEMPOTENCY_KEY_INVALID = 'IDEMPOTENCY_KEY_INVALID',
  UNKNOWN_ACTION = 'UNKNOWN_ACTION',
  ATTACHMENT_TYPE = 'ATTACHMENT_TYPE',
  INVALID_CURSOR = 'INVALID_CURSOR',
  HANDLER_NOT_IN_UNIT = 'HANDLER_NOT_IN_UNIT',
  STANDARD_REQUIRED = 'STANDARD_REQUIRED',
  TICKET_NOT_OPEN = 'TICKET_NOT_OPEN',
  NOT_TICKET_PARTICIPANT = 'NOT_TICKET_PARTICIPANT',
  DISPUTE_CONTENT_RESTRICTED = 'DISPUTE_CONTENT_RESTRICTED',
}

function describe(code: TicketErrorCode): { status: number; text: Bilingual } {
  switch (code) {
    case TicketErrorCode.TICKET_NOT_FOUND: return { status: 404, text: { en: 'Ticket not found', zh: '工单不存在' } };
    case TicketErrorCode.CATEGORY_NOT_FOUND: return { status: 422, text: { en: 'Unknown category', zh: '案件类别不存在' } };
    case TicketErrorCode.STANDARD_NOT_FOUND: return { status: 422, text: { en: 'Unknown case standard for this category', zh: '该类别下不存在此立案标准' } };
    case TicketErrorCode.GRID_NODE_NOT_FOUND: return { status: 422, text: { en: 'Grid node not found in your scope', zh: '网格不存在或不在您的管辖范围内' } };
    case TicketErrorCode.UNIT_NOT_FOUND: return { status: 422, text: { en: 'Handling unit not found', zh: '承办单位不存在' } };
    case TicketErrorCode.UNIT_OUT_OF_JURISDICTION: return { status: 422, text: { en: "The unit's jurisdiction does not cover the ticket's grid node", zh: '该单位辖区不包含工单所在网格' } };
    case TicketErrorCode.PARENT_NOT_FOUND: return { status: 422, text: { en: 'Parent ticket not found or not open', zh: '主工单不存在或已办结' } };
    case TicketErrorCode.MERGE_ACROSS_PLATFORMS: return { status: 422, text: { en: 'A ticket can only be merged into a ticket of the same platform', zh: '只能合并到同一平台的工单' } };
    case TicketErrorCode.ATTACHMENT_NOT_FOUND: return { status: 422, text: { en: 'Attachment not found on this ticket', zh: '该工单下不存在此附件' } };
    case TicketErrorCode.ATTRIBUTES_INVALID: return { status: 400, text: { en: 'Platform attributes are invalid', zh: '平台扩展字段无效' } };
    case TicketErrorCode.STALE_VERSION: return { status: 409, text: { en: 'The ticket changed since you loaded it; reload and try again', zh: '工单已被他人修改，请刷新后重试' } };
    case TicketErrorCode.IDEMPOTENCY_KEY_REUSED: return { status: 422, text: { en: 'This Idempotency-Key was used for a different request', zh: '该幂等键已用于不同的请求' } };
    case TicketErrorCode.IDEMPOTENCY_KEY_INVALID: return { status: 400, text: { en: 'Idempotency-Key must be 8–128 letters, digits, - or _', zh: '幂等键须为 8–128 位字母、数字、- 或 _' } };
    case TicketErrorCode.UNKNOWN_ACTION: return { status: 404, text: { en: 'Unknown action', zh: '未知的操作' } };
    case TicketErrorCode.ATTACHMENT_TYPE: return { status: 415, text: { en: 'Only JPEG, PNG, WebP images and PDF files are accepted', zh: '仅支持 JPEG、PNG、WebP 图片和 PDF 文件' } };
    case TicketErrorCode.INVALID_CURSOR: return { status: 400, text: { en: 'Invalid cursor', zh: '分页游标无效' } };
    case TicketErrorCode.HANDLER_NOT_IN_UNIT: return { status: 422, text: { en: 'The handler is not an active handler of the unit the ticket goes to', zh: '指定的承办人不是该承办单位的在职承办人' } };
    case TicketErrorCode.STANDARD_REQUIRED: return { status: 422, text: { en: 'This category has no case standard; choose a more specific category', zh: '该类别没有立案标准，请选择更具体的类别' } };
    case TicketErrorCode.TICKET_NOT_OPEN: return { status: 409, text: { en: 'The ticket is no longer open; its materials and attachments cannot change', zh: '工单已结束，不能再修改材料或附件' } };
    case TicketErrorCode.NOT_TICKET_PARTICIPANT: return { status: 403, text: { en: 'Only the filer, a handler of the handling unit or a dispatcher may do this', zh: '仅上报人、承办单位的承办人或调度员可执行此操作' } };
    case TicketErrorCode.DISPUTE_CONTENT_RESTRICTED: return { status: 403, text: { en: "A dispute's content is visible only to its assigned mediators and their supervisors", zh: '纠纷案件内容仅限承办调解员及其上级调度人员查看' } };
  }
}

export class TicketException extends AppException {
  constructor(readonly ticketCode: TicketErrorCode, detail?: Bilingual, errors?: Array<{ field: string; message: string }>) {
    const d = describe(ticketCode);
    super(d.status, ticketCode, d.text, detail, errors);
  }
}

/** A resource named in the path that does not exist: 404 with the context's code (the same id in a body is 422). */
export class TicketPathNotFound extends AppException {
  constructor(readonly ticketCode: TicketErrorCode) {
    super(404, ticketCode, describe(ticketCode).text);
  }
}

/** A refusal from libs/workflow, carried to HTTP with the workflow's own code and status. */
export class WorkflowRefusal extends AppException {
  constructor(status: number, code: string, message: Bilingual) {
    super(status, code, message);
  }
}
