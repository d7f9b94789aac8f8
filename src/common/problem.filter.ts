import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpErrorCode, HttpProblem } from './http.exception';
import { AppException, problemType, type Bilingual, type ProblemDocument } from './problem';

/**
 * Database refusals that reach the filter (a service should have checked first): the constraint still
 * protected the data, so the client gets a 4xx saying which kind of rule it broke, never the database's text.
 */
export enum DatabaseErrorCode {
  REFERENCE_NOT_FOUND = 'REFERENCE_NOT_FOUND',
  REFERENCE_IN_USE = 'REFERENCE_IN_USE',
  CONSTRAINT_VIOLATED = 'CONSTRAINT_VIOLATED',
  WRITE_CONFLICT = 'WRITE_CONFLICT',
}

function describeDatabase(code: DatabaseErrorCode): { status: number; text: Bilingual } {
  switch (code) {
    case DatabaseErrorCode.REFERENCE_NOT_FOUND: return { status: 422, text: { en: 'A referenced record does not exist', zh: '引用的记录不存在' } };
    case DatabaseErrorCode.REFERENCE_IN_USE: return { status: 409, text: { en: 'The record is still referenced by other records', zh: '该记录仍被其他记录引用' } };
    case DatabaseErrorCode.CONSTRAINT_VIOLATED: return { status: 422, text: { en: 'A value breaks a data rule', zh: '数据不符合约束规则' } };
    case DatabaseErrorCode.WRITE_CONFLICT: return { status: 409, text: { en: 'A concurrent change conflicted with this request; reload and try again', zh: '与其他并发修改冲突，请刷新后重试' } };
  }
}

export class DatabaseProblem extends AppException {
  constructor(readonly databaseCode: DatabaseErrorCode) {
    const d = describeDatabase(databaseCode);
    super(d.status, databaseCode, d.text);
  }
}

/** SQLSTATE → problem, for the database errors that are the request's fault or a lost race (not a bug of ours to hide). */
function databaseProblem(pgCode: string | undefined, detail: string): AppException | undefined {
  switch (pgCode) {
    // Data-format errors (invalid_text_representation, untranslatable character, string too long, out of range, bad datetime,
    // a time zone offset beyond Postgres's ±15:59 — ISO 8601 and so the validators take up to ±23:59 —, interval overflow).
    case '22P02': case '22021': case '22001': case '22003': case '22007': case '22008': case '22009': case '22015':
      return new HttpProblem(HttpErrorCode.VALIDATION_FAILED, { en: 'A value has the wrong format or size', zh: '参数格式或长度不正确' });
    case '23503': // foreign_key_violation: a missing referenced row on insert/update, or a delete of a row still referenced
      return new DatabaseProblem(/is still referenced/.test(detail) ? DatabaseErrorCode.REFERENCE_IN_USE : DatabaseErrorCode.REFERENCE_NOT_FOUND);
    case '23502': case '23514': // not_null_violation, check_violation
      return new DatabaseProblem(DatabaseErrorCode.CONSTRAINT_VIOLATED);
    case '23505': case '23P01': case '40001': case '40P01': // unique, exclusion, serialization failure, deadlock
      return new DatabaseProblem(DatabaseErrorCode.WRITE_CONFLICT);
    default:
      return undefined;
  }
}

/** Maps every error to application/problem+json. Unknown errors become 500 INTERNAL and are logged. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendProblem(exception, ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>());
  }
}

/**
 * Answers `exception` as application/problem+json. Also Fastify's `frameworkErrors` hook (src/bootstrap.ts) for the
 * errors its router raises before any Nest code runs: a malformed percent-encoding, a path parameter over the limit.
 */
export function sendProblem(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const problem = toAppException(exception);
  if (problem.status >= 500) request.log.error({ err: exception }, 'unhandled error');
  // A constraint the services should have checked first: a 4xx for the client, a warning for us (the
  // constraint's name only: the database's detail text can quote the row).
  else if (problem instanceof DatabaseProblem) {
    const db = exception as { driverError?: { constraint?: string; table?: string }; constraint?: string; table?: string };
    request.log.warn({ code: problem.code, constraint: db.driverError?.constraint ?? db.constraint, table: db.driverError?.table ?? db.table },
      'database constraint refused the request');
  }
  const doc = problemDocument(problem, request.url?.split('?')[0], String(request.id));
  if (problem.status === 401) void reply.header('www-authenticate', 'Bearer');
  void reply.status(problem.status).header('content-type', 'application/problem+json; charset=utf-8').send(doc);
}

/** The problem+json document for `problem`: the one shape of every error body (also src/common/client-error.ts). */
export function problemDocument(problem: AppException, instance: string | undefined, requestId: string): ProblemDocument {
  return {
    type: problemType(problem.code),
    title: problem.text.en,
    titleZh: problem.text.zh,
    status: problem.status,
    code: problem.code,
    detail: problem.detail?.en,
    detailZh: problem.detail?.zh,
    instance,
    requestId,
    errors: problem.errors,
  };
}

interface FastifyLikeError { statusCode?: number; code?: string; message?: string }

/**
 * Chinese for the framework's own errors: their English text must never be copied into the Chinese fields.
 * Generic texts by status, for an HttpException whose message is not one of the cases below.
 */
const STATUS_ZH: Readonly<Record<number, string>> = {
  400: '请求无效', 401: '需要登录', 403: '无权执行此操作', 404: '未找到', 405: '不允许的请求方法', 406: '无法提供所要求的内容格式',
  408: '请求超时', 409: '冲突', 410: '资源已不存在', 411: '缺少 Content-Length 请求头', 412: '前提条件不满足', 413: '请求体过大',
  414: '请求地址过长', 415: '不支持的内容类型', 416: '请求的范围无效', 417: '无法满足 Expect 请求头', 421: '请求发往了错误的服务器',
  422: '请求内容无法处理', 424: '依赖的请求失败', 428: '缺少前提条件请求头', 429: '请求过于频繁', 431: '请求头过大',
};

/** Fastify client errors other than the body-parser ones mapped in toAppException(). */
const FASTIFY_ZH: Readonly<Record<string, string>> = {
  FST_ERR_BAD_URL: '请求地址包含无效的字符',
  FST_ERR_INVALID_URL: '请求地址无效',
  FST_ERR_MAX_PARAM_LENGTH: '路径参数过长',
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: '该请求方法须提供 Content-Type 请求头',
  FST_ERR_ROUTE_MISSING_CONTENT: '该请求方法须提供请求体',
};

/** Nest's router when no route matches: `Cannot ${method} ${url}`. */
const ROUTE_NOT_FOUND = /^Cannot ([A-Z]+) (\S*)$/;

/** Nest's built-in parse pipes (`@Param('id', ParseUUIDPipe)`, …): the message says what was expected, not which parameter. */
const PIPE_FAILURES: ReadonlyArray<[RegExp, Bilingual]> = [
  [/^Validation failed \(uuid\b[^)]*is expected\)$/, { en: 'A path or query parameter must be a UUID', zh: '参数须为 UUID' }],
  [/^Validation failed \(numeric string is expected\)$/, { en: 'A path or query parameter must be a number', zh: '参数须为数字' }],
  [/^Validation failed \(boolean string is expected\)$/, { en: 'A path or query parameter must be true or false', zh: '参数须为 true 或 false' }],
  [/^Validation failed \(enum string is expected\)$/, { en: 'A path or query parameter is not one of the allowed values', zh: '参数不是允许的取值' }],
  [/^Validation failed \(parsable array expected\)$/, { en: 'A path or query parameter must be a list', zh: '参数须为列表' }],
  [/^Validation failed \((no Date provided|invalid date format)\)$/, { en: 'A path or query parameter must be a date', zh: '参数须为日期' }],
];

/** The English reason phrases Nest uses as the message of an HttpException made without one (`new NotFoundException()`). */
const DEFAULT_MESSAGE = /^(Bad Request|Unauthorized|Forbidden|Not Found|Method Not Allowed|Not Acceptable|Request Timeout|Conflict|Gone|Precondition Failed|Payload Too Large|Unsupported Media Type|Unprocessable Entity|Too Many Requests|I'm a teapot|Misdirected|Http Exception)$/i;

/**
 * The detail of a 4xx HttpException raised by the framework: a route that does not exist, a parse pipe's refusal,
 * or its own message with a Chinese text for its status. None when the message only repeats the status.
 */
export function httpExceptionDetail(message: string, status: number): Bilingual | undefined {
  const route = ROUTE_NOT_FOUND.exec(message);
  if (status === 404 && route) {
    const target = `${route[1]} ${route[2]!.split('?')[0]}`;
    return { en: `No such route: ${target}`, zh: `接口不存在：${target}` };
  }
  const pipe = PIPE_FAILURES.find(([pattern]) => pattern.test(message));
  if (pipe) return pipe[1];
  if (!message || DEFAULT_MESSAGE.test(message)) return undefined;
  return { en: message, zh: STATUS_ZH[status] ?? '请求无效' };
}

export function toAppException(exception: unknown): AppException {
  if (exception instanceof AppException) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = status === 404 ? HttpErrorCode.NOT_FOUND
      : status === 401 ? HttpErrorCode.UNAUTHENTICATED
      : status === 403 ? HttpErrorCode.FORBIDDEN
      : status === 405 ? HttpErrorCode.METHOD_NOT_ALLOWED
      : status === 409 ? HttpErrorCode.CONFLICT
      : status === 413 ? HttpErrorCode.BODY_TOO_LARGE
      : status === 415 ? HttpErrorCode.UNSUPPORTED_MEDIA_TYPE
      : status === 429 ? HttpErrorCode.TOO_MANY_REQUESTS
      : status >= 500 ? HttpErrorCode.INTERNAL
      : HttpErrorCode.VALIDATION_FAILED;
    return new HttpProblem(code, status < 500 ? httpExceptionDetail(exception.message, status) : undefined);
  }
  const fe = exception as FastifyLikeError;
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const en = fe.message ?? 'bad request';
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new HttpProblem(HttpErrorCode.BODY_TOO_LARGE);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new HttpProblem(HttpErrorCode.UNSUPPORTED_MEDIA_TYPE);
      case 'FST_ERR_NOT_FOUND':
        return new HttpProblem(HttpErrorCode.NOT_FOUND, { en: 'No such route', zh: '接口不存在' });
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return new HttpProblem(HttpErrorCode.INVALID_JSON, { en, zh: '请求体长度与 Content-Length 不符' });
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new HttpProblem(HttpErrorCode.INVALID_JSON, { en, zh: '内容类型为 application/json 时请求体不能为空' });
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return new HttpProblem(HttpErrorCode.INVALID_JSON, { en, zh: '请求体不是有效的 JSON' });
      default:
        return new HttpProblem(HttpErrorCode.VALIDATION_FAILED, { en, zh: FASTIFY_ZH[fe.code ?? ''] ?? STATUS_ZH[fe.statusCode] ?? '请求无效' });
    }
  }
  // Postgres refusals that slipped past validation are still the client's fault (or a lost race), never a 500.
  const pg = exception as { code?: string; detail?: string; driverError?: { code?: string; detail?: string } };
  const mapped = databaseProblem(pg?.driverError?.code ?? pg?.code, String(pg?.driverError?.detail ?? pg?.detail ?? ''));
  return mapped ?? new HttpProblem(HttpErrorCode.INTERNAL);
}
