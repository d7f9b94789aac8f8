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
    // Data-format errors (invalid_text_representation, untranslatable character, string too long, out of range, bad datetime).
    case '22P02': case '22021': case '22001': case '22003': case '22007': case '22008':
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
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const problem = toAppException(exception);
    if (problem.status >= 500) request.log.error({ err: exception }, 'unhandled error');
    // A constraint the services should have checked first: a 4xx for the client, a warning for us (the
    // constraint's name only: the database's detail text can quote the row).
    else if (problem instanceof DatabaseProblem) {
      const db = exception as { driverError?: { constraint?: string; table?: string }; constraint?: string; table?: string };
      request.log.warn({ code: problem.code, constraint: db.driverError?.constraint ?? db.constraint, table: db.driverError?.table ?? db.table },
        'database constraint refused the request');
    }
    const doc: ProblemDocument = {
      type: problemType(problem.code),
      title: problem.text.en,
      titleZh: problem.text.zh,
      status: problem.status,
      code: problem.code,
      detail: problem.detail?.en,
      detailZh: problem.detail?.zh,
      instance: request.url?.split('?')[0],
      requestId: String(request.id),
      errors: problem.errors,
    };
    if (problem.status === 401) void reply.header('www-authenticate', 'Bearer');
    void reply.status(problem.status).header('content-type', 'application/problem+json; charset=utf-8').send(doc);
  }
}

interface FastifyLikeError { statusCode?: number; code?: string; message?: string }

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
    const msg = exception.message;
    return new HttpProblem(code, status < 500 ? { en: msg, zh: msg } : undefined);
  }
  const fe = exception as FastifyLikeError;
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new HttpProblem(HttpErrorCode.BODY_TOO_LARGE);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new HttpProblem(HttpErrorCode.UNSUPPORTED_MEDIA_TYPE);
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return new HttpProblem(HttpErrorCode.INVALID_JSON, { en: fe.message ?? 'invalid body', zh: '请求体无效' });
      default:
        return new HttpProblem(HttpErrorCode.VALIDATION_FAILED, { en: fe.message ?? 'bad request', zh: '请求无效' });
    }
  }
  // Postgres refusals that slipped past validation are still the client's fault (or a lost race), never a 500.
  const pg = exception as { code?: string; detail?: string; driverError?: { code?: string; detail?: string } };
  const mapped = databaseProblem(pg?.driverError?.code ?? pg?.code, String(pg?.driverError?.detail ?? pg?.detail ?? ''));
  return mapped ?? new HttpProblem(HttpErrorCode.INTERNAL);
}
