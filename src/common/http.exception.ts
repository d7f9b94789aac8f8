import { AppException, type Bilingual } from './problem';

/** Cross-cutting HTTP errors: malformed input, missing routes, authentication and permission failures. */
export enum HttpErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  INVALID_JSON = 'INVALID_JSON',
  JSON_TOO_DEEP = 'JSON_TOO_DEEP',
  FORBIDDEN_KEY = 'FORBIDDEN_KEY',
  NUL_BYTE = 'NUL_BYTE',
  INVALID_UNICODE = 'INVALID_UNICODE',
  BODY_TOO_LARGE = 'BODY_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  NOT_FOUND = 'NOT_FOUND',
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  CONFLICT = 'CONFLICT',
  TOO_MANY_REQUESTS = 'TOO_MANY_REQUESTS',
  /** The HTTP parser's refusals (src/common/client-error.ts): no request was formed, so no route or filter ran. */
  HEADERS_TOO_LARGE = 'HEADERS_TOO_LARGE',
  MALFORMED_REQUEST = 'MALFORMED_REQUEST',
  REQUEST_TIMEOUT = 'REQUEST_TIMEOUT',
  INTERNAL = 'INTERNAL',
}

const TEXT: Record<HttpErrorCode, Bilingual & { status: number }> = {
  VALIDATION_FAILED: { status: 400, en: 'The request is invalid', zh: '请求参数无效' },
  INVALID_JSON: { status: 400, en: 'The body is not valid JSON', zh: '请求体不是有效的 JSON' },
  JSON_TOO_DEEP: { status: 400, en: 'The JSON body is nested too deeply', zh: 'JSON 嵌套层级过深' },
  FORBIDDEN_KEY: { status: 400, en: 'The body contains a forbidden key', zh: '请求体包含禁止使用的键名' },
  NUL_BYTE: { status: 400, en: 'Text must not contain NUL characters', zh: '文本不能包含 NUL 字符' },
  INVALID_UNICODE: { status: 400, en: 'Text contains invalid Unicode (a lone surrogate or bytes that are not UTF-8)', zh: '文本包含无效的 Unicode 字符' },
  BODY_TOO_LARGE: { status: 413, en: 'The request body is too large', zh: '请求体过大' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, en: 'Unsupported content type', zh: '不支持的内容类型' },
  NOT_FOUND: { status: 404, en: 'Not found', zh: '未找到' },
  METHOD_NOT_ALLOWED: { status: 405, en: 'Method not allowed', zh: '不允许的请求方法' },
  UNAUTHENTICATED: { status: 401, en: 'Authentication required', zh: '需要登录' },
  FORBIDDEN: { status: 403, en: 'You do not have permission for this action', zh: '无权执行此操作' },
  CONFLICT: { status: 409, en: 'Conflict', zh: '冲突' },
  TOO_MANY_REQUESTS: { status: 429, en: 'Too many requests', zh: '请求过于频繁' },
  HEADERS_TOO_LARGE: { status: 431, en: 'The request line and headers are too large', zh: '请求行和请求头过大' },
  MALFORMED_REQUEST: { status: 400, en: 'The request is not well-formed HTTP', zh: '请求不是格式正确的 HTTP 请求' },
  REQUEST_TIMEOUT: { status: 408, en: 'The request was not received in time', zh: '未在规定时间内收到完整请求' },
  INTERNAL: { status: 500, en: 'Internal error', zh: '服务器内部错误' },
};

export class HttpProblem extends AppException {
  constructor(code: HttpErrorCode, detail?: Bilingual, errors?: Array<{ field: string; message: string }>) {
    const t = TEXT[code];
    super(t.status, code, { en: t.en, zh: t.zh }, detail, errors);
  }
}
