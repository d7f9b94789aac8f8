import { AppException, type Bilingual } from '../../common/problem';

export enum SlaErrorCode {
  CALENDAR_NOT_FOUND = 'SLA_CALENDAR_NOT_FOUND',
  CALENDAR_INVALID = 'SLA_CALENDAR_INVALID',
  CALENDAR_CODE_TAKEN = 'SLA_CALENDAR_CODE_TAKEN',
  SCHEDULE_INVALID = 'SLA_SCHEDULE_INVALID',
  POLICY_NOT_FOUND = 'SLA_POLICY_NOT_FOUND',
  POLICY_INVALID = 'SLA_POLICY_INVALID',
  STALE_VERSION = 'SLA_STALE_VERSION',
  GRID_NODE_NOT_FOUND = 'SLA_GRID_NODE_NOT_FOUND',
  DEAD_LETTER_NOT_FOUND = 'SLA_DEAD_LETTER_NOT_FOUND',
  RECOMPUTE_FILTER_REQUIRED = 'SLA_RECOMPUTE_FILTER_REQUIRED',
  FIRED_CONCURRENTLY = 'SLA_FIRED_CONCURRENTLY',
  /** The catalogue's code, reused: city-wide settings are changed by city-level administrators only. */
  CITY_SCOPE_REQUIRED = 'CITY_SCOPE_REQUIRED',
}

function describe(code: SlaErrorCode): { status: number; text: Bilingual } {
  switch (code) {
    case SlaErrorCode.CALENDAR_NOT_FOUND: return { status: 404, text: { en: 'Calendar not found', zh: '工作日历不存在' } };
    case SlaErrorCode.CALENDAR_INVALID: return { status: 400, text: { en: 'The calendar is invalid; nothing was changed', zh: '工作日历无效，未作任何修改' } };
    case SlaErrorCode.CALENDAR_CODE_TAKEN: return { status: 409, text: { en: 'The calendar code or grid node is already in use', zh: '日历编码或网格节点已被使用' } };
    case SlaErrorCode.SCHEDULE_INVALID: return { status: 400, text: { en: 'The holiday schedule has errors; nothing was imported', zh: '节假日安排有错误，未导入任何数据' } };
    case SlaErrorCode.POLICY_NOT_FOUND: return { status: 404, text: { en: 'SLA policy not found', zh: '时限策略不存在' } };
    case SlaErrorCode.POLICY_INVALID: return { status: 400, text: { en: 'The SLA policy is invalid; nothing was changed', zh: '时限策略无效，未作任何修改' } };
    case SlaErrorCode.STALE_VERSION: return { status: 409, text: { en: 'Someone changed it first; reload and retry', zh: '已被他人修改，请刷新后重试' } };
    case SlaErrorCode.GRID_NODE_NOT_FOUND: return { status: 404, text: { en: 'Grid node not found', zh: '网格节点不存在' } };
    case SlaErrorCode.DEAD_LETTER_NOT_FOUND: return { status: 404, text: { en: 'Dead-letter entry not found', zh: '死信记录不存在' } };
    case SlaErrorCode.RECOMPUTE_FILTER_REQUIRED: return { status: 400, text: { en: 'Name the tickets to recompute (ids, or a platform / category / status filter)', zh: '请指定需要重算的工单（编号或平台、类别、状态筛选）' } };
    case SlaErrorCode.FIRED_CONCURRENTLY: return { status: 409, text: { en: 'An SLA threshold fired while this action was in flight; retry', zh: '处理过程中时限节点已触发，请重试' } };
    case SlaErrorCode.CITY_SCOPE_REQUIRED: return { status: 403, text: { en: 'SLA policies and national calendars are city-wide: only a city-level administrator may change them', zh: '时限策略和全国工作日历全市通用，仅市级管理员可修改' } };
  }
}

/** The SLA context's one exception type; its codes map to HTTP in `describe`. */
export class SlaException extends AppException {
  constructor(readonly slaCode: SlaErrorCode, detail?: Bilingual, errors?: Array<{ field: string; message: string }>) {
    const d = describe(slaCode);
    super(d.status, slaCode, d.text, detail, errors);
  }
}
