import { AppException, type Bilingual } from '../../common/problem';

export enum ReportErrorCode {
  INVALID_PERIOD = 'REPORT_INVALID_PERIOD',
  GROUP_NOT_RANKABLE = 'REPORT_GROUP_NOT_RANKABLE',
  NODE_OUT_OF_SCOPE = 'REPORT_NODE_OUT_OF_SCOPE',
  CATEGORY_NOT_FOUND = 'REPORT_CATEGORY_NOT_FOUND',
  CITY_SCOPE_REQUIRED = 'CITY_SCOPE_REQUIRED',
  SCORE_VERSION_INVALID = 'REPORT_SCORE_VERSION_INVALID',
  SCORE_VERSION_EXISTS = 'REPORT_SCORE_VERSION_EXISTS',
  FOLD_BUSY = 'REPORT_FOLD_BUSY',
  REFOLD_CITY_SCOPE_REQUIRED = 'REPORT_REFOLD_CITY_SCOPE_REQUIRED',
  BELOW_GRID = 'REPORT_BELOW_GRID',
}

function describe(code: ReportErrorCode): { status: number; text: Bilingual } {
  switch (code) {
    case ReportErrorCode.INVALID_PERIOD: return { status: 400, text: { en: 'The report period is invalid', zh: '统计时段无效' } };
    case ReportErrorCode.GROUP_NOT_RANKABLE: return { status: 400, text: { en: 'Rankings group by district, street, community, grid or unit', zh: '排名只能按区县、街道、社区、网格或承办单位分组' } };
    case ReportErrorCode.NODE_OUT_OF_SCOPE: return { status: 404, text: { en: 'Grid node not found in your scope', zh: '您的管辖范围内不存在该网格节点' } };
    case ReportErrorCode.CITY_SCOPE_REQUIRED: return { status: 403, text: { en: 'Score versions are city-wide: only a city-level administrator may add one', zh: '考核方案全市通用，仅市级管理员可新增' } };
    case ReportErrorCode.SCORE_VERSION_INVALID: return { status: 422, text: { en: 'The score version is invalid', zh: '考核方案无效' } };
    case ReportErrorCode.SCORE_VERSION_EXISTS: return { status: 409, text: { en: 'A score version already starts on that day', zh: '该日期已有生效的考核方案' } };
    case ReportErrorCode.CATEGORY_NOT_FOUND: return { status: 404, text: { en: 'No such category in the catalogue', zh: '案件分类目录中不存在该分类' } };
    case ReportErrorCode.REFOLD_CITY_SCOPE_REQUIRED: return { status: 403, text: { en: 'A refold rewrites the city-wide rollups: only a city-level administrator may start one', zh: '重新汇总涉及全市统计数据，仅市级管理员可发起' } };
    case ReportErrorCode.BELOW_GRID: return { status: 422, text: { en: 'Reports go down to the grid (网格): ask for the grid the building is in', zh: '统计报表最细到网格，请选择该楼栋所在的网格' } };
    case ReportErrorCode.FOLD_BUSY: return { status: 503, text: { en: 'The report fold is busy with a long batch; try again in a minute', zh: '报表汇总正在处理大批数据，请稍后重试' } };
  }
}

/** Errors of the reports context (统计报表). */
export class ReportException extends AppException {
  constructor(readonly reportCode: ReportErrorCode, detail?: Bilingual) {
    const d = describe(reportCode);
    super(d.status, reportCode, d.text, detail);
  }
}
