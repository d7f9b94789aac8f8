import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { ProblemDocument } from '../../common/problem';
import { CONTENT_TYPES, formatOfPath, renderErrors } from './open311-format';

export const OPEN311_PREFIX = '/open311/v2/';

/**
 * Errors raised before a route handler runs (body parser: NUL bytes, oversized bodies, bad encodings; a body type
 * the endpoint does not take, 415; and unknown paths under /open311/v2/) are rendered by the global problem+json filter. Open311 clients expect
 * GeoReport error lists, so this hook rewrites such answers on /open311/v2/ into that format, keeping the
 * status. Errors inside Open311 routes never get here: Open311ExceptionFilter renders them directly.
 */
@Injectable()
export class Open311ErrorHook implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter;
    if (!adapter) return; // worker process: no HTTP
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', async (req, reply, payload) => {
      if (!req.url.startsWith(OPEN311_PREFIX)) return payload;
      const type = String(reply.getHeader('content-type') ?? '');
      if (!type.startsWith('application/problem+json') || typeof payload !== 'string') return payload;
      let problem: Partial<ProblemDocument>;
      try {
        problem = JSON.parse(payload) as Partial<ProblemDocument>;
      } catch {
        return payload;
      }
      const status = reply.statusCode;
      const title = `${problem.title ?? 'Error'} / ${problem.titleZh ?? '错误'}`;
      const errors = problem.errors?.length
        ? problem.errors.map((e) => ({ code: status, description: `${e.field}: ${e.message}` }))
        : [{ code: status, description: problem.detail ? `${title}: ${problem.detail}${problem.detailZh ? ` / ${problem.detailZh}` : ''}` : title }];
      const format = formatOfPath(req.url);
      void reply.header('content-type', CONTENT_TYPES[format]);
      return renderErrors(format, errors);
    });
  }
}
