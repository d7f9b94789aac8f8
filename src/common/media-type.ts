import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiConsumes } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpErrorCode, HttpProblem } from './http.exception';

/** What an endpoint takes when it declares nothing else: the API is JSON. */
export const JSON_ONLY: readonly string[] = ['application/json'];

/**
 * The body types an endpoint takes instead of JSON (`text/csv` imports, raw attachment uploads, Open311 forms).
 * Kept in the Fastify route's config, where the media-type hook reads it, and shown in the OpenAPI document.
 */
export function Consumes(...types: string[]): MethodDecorator & ClassDecorator {
  return applyDecorators(RouteConfig({ consumes: types.map(mediaTypeOf) }), ApiConsumes(...types));
}

/** `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaTypeOf(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

function hasBody(req: FastifyRequest): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/**
 * A body of a type the endpoint does not take is refused with 415 `UNSUPPORTED_MEDIA_TYPE`, as a type no parser
 * knows is (`application/xml`, `text/plain`): a form sent to a JSON endpoint, a CSV to anything but an import, a
 * JSON document to an upload. Each endpoint takes `application/json` unless it declares its types with
 * `@Consumes()`. Runs once the body is parsed (so a parser's own refusal, e.g. NUL_BYTE, comes first) and before
 * the endpoint's guards, pipes and handler. Requests without a body are left alone.
 */
export function refuseUnsupportedMediaTypes(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', async (req) => {
    const header = req.headers['content-type'];
    if (!req.routeOptions?.url || header === undefined || !hasBody(req)) return;
    const accepted = (req.routeOptions.config as { consumes?: readonly string[] } | undefined)?.consumes ?? JSON_ONLY;
    if (!accepted.includes(mediaTypeOf(header))) {
      throw new HttpProblem(HttpErrorCode.UNSUPPORTED_MEDIA_TYPE, {
        en: `This endpoint accepts ${accepted.join(', ')}`,
        zh: `该接口仅接受 ${accepted.join('、')} 格式的请求体`,
      });
    }
  });
}
