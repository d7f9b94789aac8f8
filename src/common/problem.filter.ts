import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpErrorCode, HttpProblem } from './http.exception';
import { AppException, problemType, type ProblemDocument } from './problem';

/** Maps every error to application/problem+json. Unknown errors become 500 INTERNAL and are logged. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const problem = toAppException(exception);
    if (problem.status >= 500) request.log.error({ err: exception }, 'unhandled error');
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
  // Postgres input errors that slipped past validation are still the client's fault, never a 500.
  const pg = exception as { code?: string; driverError?: { code?: string } };
  const pgCode = pg?.driverError?.code ?? pg?.code;
  if (pgCode === '22P02' || pgCode === '22021' || pgCode === '22001' || pgCode === '22003' || pgCode === '22007' || pgCode === '22008') {
    return new HttpProblem(HttpErrorCode.VALIDATION_FAILED, { en: 'A value has the wrong format or size', zh: '参数格式或长度不正确' });
  }
  return new HttpProblem(HttpErrorCode.INTERNAL);
}
