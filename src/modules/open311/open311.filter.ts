import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toAppException } from '../../common/problem.filter';
import { CONTENT_TYPES, formatOfPath, renderErrors } from './open311-format';
import { Open311Exception } from './open311.exception';

/**
 * GeoReport v2 errors: every failure on /open311/v2 leaves as a list of {code, description} in the format
 * the path asked for (JSON unless it ends in .xml), with the HTTP status as `code`. Field errors become one
 * entry each. Unknown errors are still 500s, logged with their stack, and say nothing more.
 */
@Catch()
export class Open311ExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendOpen311Errors(exception, ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>());
  }
}

/** Answers `exception` as a GeoReport error list; also Fastify's `frameworkErrors` hook for /open311/v2/ paths (src/bootstrap.ts). */
export function sendOpen311Errors(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const problem = toAppException(exception);
  if (problem.status >= 500) request.log.error({ err: exception }, 'unhandled error');
  const format = formatOfPath(request.url ?? '');
  const title = `${problem.text.en} / ${problem.text.zh}`;
  const errors = problem.errors?.length
    ? problem.errors.map((e) => ({ code: problem.status, description: `${e.field}: ${e.message}` }))
    : [{ code: problem.status, description: problem.detail ? `${title}: ${problem.detail.en} / ${problem.detail.zh}` : title }];
  if (exception instanceof Open311Exception && exception.retryAfterSeconds !== undefined) {
    void reply.header('retry-after', String(exception.retryAfterSeconds));
  }
  void reply.status(problem.status).header('content-type', CONTENT_TYPES[format]).send(renderErrors(format, errors));
}
