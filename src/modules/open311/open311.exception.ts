import { AppException, type Bilingual } from '../../common/problem';

/** Errors of the Open311 context. On /open311/v2 they leave as GeoReport error lists, elsewhere as problem+json. */
export enum Open311ErrorCode {
  /** 400: a parameter is missing or malformed. */
  INVALID_PARAMETER = 'OPEN311_INVALID_PARAMETER',
  /** 400: the location lies outside the API key's jurisdiction (or no grid node is near enough). */
  OUTSIDE_JURISDICTION = 'OPEN311_OUTSIDE_JURISDICTION',
  /** 400: start_date … end_date spans more than 90 days. */
  DATE_RANGE_TOO_LONG = 'OPEN311_DATE_RANGE_TOO_LONG',
  /** 403: api_key missing, unknown or revoked. */
  INVALID_API_KEY = 'OPEN311_INVALID_API_KEY',
  /** 404: unknown service_code. */
  SERVICE_NOT_FOUND = 'OPEN311_SERVICE_NOT_FOUND',
  /** 404: unknown service_request_id. */
  REQUEST_NOT_FOUND = 'OPEN311_REQUEST_NOT_FOUND',
  /** 404: unknown jurisdiction_id. */
  JURISDICTION_NOT_FOUND = 'OPEN311_JURISDICTION_NOT_FOUND',
  /** 404: no such Open311 resource or format. */
  NOT_FOUND = 'OPEN311_NOT_FOUND',
  /** 429: the key's (or, without a key, the caller's) requests per minute are used up. */
  RATE_LIMITED = 'OPEN311_RATE_LIMITED',
  /** 403 (rating): the request was not filed with this api_key. */
  NOT_FILER = 'OPEN311_NOT_FILER',
  /** 409 (rating): the request is not awaiting a rating (not a 诉求办理 request resolved and waiting for 回访). */
  NOT_AWAITING_RATING = 'OPEN311_NOT_AWAITING_RATING',
  /** 409 (rating): the request kept changing while the rating was written; try again. */
  CONFLICT = 'OPEN311_CONFLICT',
  /** 404 (admin API): the API key does not exist or lies outside the admin's scope. */
  KEY_NOT_FOUND = 'OPEN311_KEY_NOT_FOUND',
}

function describe(code: Open311ErrorCode): { status: number; text: Bilingual } {
  switch (code) {
    case Open311ErrorCode.INVALID_PARAMETER: return { status: 400, text: { en: 'Invalid or missing parameter', zh: '参数缺失或无效' } };
    case Open311ErrorCode.OUTSIDE_JURISDICTION: return { status: 400, text: { en: 'The location is outside the jurisdiction of this API key', zh: '位置不在该 API 密钥的管辖范围内' } };
    case Open311ErrorCode.DATE_RANGE_TOO_LONG: return { status: 400, text: { en: 'start_date to end_date may span at most 90 days', zh: '查询时间跨度不能超过 90 天' } };
    case Open311ErrorCode.INVALID_API_KEY: return { status: 403, text: { en: 'Invalid api_key', zh: 'api_key 无效' } };
    case Open311ErrorCode.SERVICE_NOT_FOUND: return { status: 404, text: { en: 'service_code not found', zh: '服务类型不存在' } };
    case Open311ErrorCode.REQUEST_NOT_FOUND: return { status: 404, text: { en: 'service_request_id not found', zh: '服务请求不存在' } };
    case Open311ErrorCode.JURISDICTION_NOT_FOUND: return { status: 404, text: { en: 'jurisdiction_id not found', zh: '辖区不存在' } };
    case Open311ErrorCode.NOT_FOUND: return { status: 404, text: { en: 'Not found', zh: '未找到' } };
    case Open311ErrorCode.RATE_LIMITED: return { status: 429, text: { en: 'Too many requests; try again in a minute', zh: '请求过于频繁，请稍后再试' } };
    case Open311ErrorCode.NOT_FILER: return { status: 403, text: { en: 'Only the client that filed this request (its api_key) may rate it', zh: '只有提交该请求的客户端（同一 api_key）才能评价' } };
    case Open311ErrorCode.NOT_AWAITING_RATING: return { status: 409, text: { en: 'This request is not awaiting a rating', zh: '该请求当前不接受评价' } };
    case Open311ErrorCode.CONFLICT: return { status: 409, text: { en: 'The request changed while it was being rated; try again', zh: '请求正在办理中发生变化，请稍后重试' } };
    case Open311ErrorCode.KEY_NOT_FOUND: return { status: 404, text: { en: 'Open311 API key not found', zh: 'Open311 API 密钥不存在' } };
  }
}

export class Open311Exception extends AppException {
  /** RATE_LIMITED: seconds until the next minute window (sent as Retry-After). */
  retryAfterSeconds?: number;

  constructor(readonly open311Code: Open311ErrorCode, detail?: Bilingual, errors?: Array<{ field: string; message: string }>) {
    const d = describe(open311Code);
    super(d.status, open311Code, d.text, detail, errors);
  }
}
