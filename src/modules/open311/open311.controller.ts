import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Consumes } from '../../common/media-type';
import { Public } from '../auth/permission.decorator';
import { CONTENT_TYPES, render, splitFormat, type Open311Format } from './open311-format';
import { Open311AccessService } from './open311-access.service';
import { Open311IntakeService } from './open311-intake.service';
import { Open311RatingService } from './open311-rating.service';
import { Open311ErrorCode, Open311Exception } from './open311.exception';
import { Open311ExceptionFilter } from './open311.filter';
import { Open311Service } from './open311.service';

type QueryParams = Record<string, unknown>;

function send(reply: FastifyReply, format: Open311Format, root: string, doc: unknown): string {
  void reply.header('content-type', CONTENT_TYPES[format]);
  return render(format, root, doc);
}

function resource(file: string): { name: string; format: Open311Format } {
  const split = splitFormat(file);
  if (!split) throw new Open311Exception(Open311ErrorCode.NOT_FOUND, { en: 'use a .json or .xml path', zh: '请使用 .json 或 .xml 路径' });
  return split;
}

function apiKeyOf(q: QueryParams): string | undefined {
  return typeof q.api_key === 'string' ? q.api_key : undefined;
}

/**
 * Open311 GeoReport v2 (public; documented in docs/open311.md rather than OpenAPI, whose shapes it does not
 * follow), with one extension of ours (rating). Reads may be anonymous; POST needs an api_key. Every answer and error is JSON or XML by the
 * path's extension.
 */
@ApiExcludeController()
@Public()
@UseFilters(Open311ExceptionFilter)
@Controller('open311/v2')
export class Open311Controller {
  constructor(
    private readonly reads: Open311Service,
    private readonly access: Open311AccessService,
    private readonly intake: Open311IntakeService,
    private readonly rating: Open311RatingService,
  ) {}

  /** discovery.{fmt}, services.{fmt}, requests.{fmt} */
  @Get(':file')
  async top(@Param('file') file: string, @Query() q: QueryParams, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { name, format } = resource(file);
    if (name !== 'discovery' && name !== 'services' && name !== 'requests') throw new Open311Exception(Open311ErrorCode.NOT_FOUND);
    await this.access.admit({ apiKey: apiKeyOf(q), ip: req.ip }, false);
    const jurisdiction = await this.reads.jurisdiction(q.jurisdiction_id);
    switch (name) {
      case 'discovery':
        return send(reply, format, 'discovery', this.reads.discovery(`${req.protocol}://${req.host}`));
      case 'services':
        return send(reply, format, 'services', await this.reads.services());
      case 'requests':
        return send(reply, format, 'service_requests', await this.reads.requests(q, jurisdiction));
    }
  }

  /**
   * services/{code}.{fmt}; requests/{id}.{fmt}, a list of one (as the GeoReport wiki and existing clients
   * expect); request/{id}.{fmt}, the path of the official description, which answers one Request object
   * (XML root `<request>`, as in the description's example).
   */
  @Get(':dir/:file')
  async item(
    @Param('dir') dir: string, @Param('file') file: string, @Query() q: QueryParams, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { name, format } = resource(file);
    if (dir !== 'services' && dir !== 'requests' && dir !== 'request') throw new Open311Exception(Open311ErrorCode.NOT_FOUND);
    await this.access.admit({ apiKey: apiKeyOf(q), ip: req.ip }, false);
    const jurisdiction = await this.reads.jurisdiction(q.jurisdiction_id);
    if (dir === 'services') return send(reply, format, 'service_definition', await this.reads.definition(name));
    const found = await this.reads.request(name, jurisdiction);
    return dir === 'request' ? send(reply, format, 'request', found) : send(reply, format, 'service_requests', [found]);
  }

  /**
   * POST requests.{fmt}: file a service request (form-encoded, or JSON; api_key required). Any other body type is
   * 415, as a GeoReport error list (Open311ErrorHook), before the key is looked at.
   */
  @Post(':file')
  @HttpCode(200)
  @Consumes('application/x-www-form-urlencoded', 'application/json')
  async create(
    @Param('file') file: string, @Body() body: unknown, @Query() q: QueryParams, @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { name, format } = resource(file);
    if (name !== 'requests') throw new Open311Exception(Open311ErrorCode.NOT_FOUND);
    const created = await this.intake.submit(body, q, req.ip, idempotencyKey);
    return send(reply, format, 'service_requests', created);
  }

  /**
   * POST requests/{id}/rating.{fmt}: our extension (not in GeoReport v2): the client that filed a request rates
   * its outcome for the resident (回访); answers the updated request as a list of one, like GET requests/{id}.
   */
  @Post(':dir/:id/:file')
  @HttpCode(200)
  @Consumes('application/x-www-form-urlencoded', 'application/json')
  async rate(
    @Param('dir') dir: string, @Param('id') id: string, @Param('file') file: string, @Body() body: unknown, @Query() q: QueryParams,
    @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { name, format } = resource(file);
    if (dir !== 'requests' || name !== 'rating') throw new Open311Exception(Open311ErrorCode.NOT_FOUND);
    return send(reply, format, 'service_requests', [await this.rating.rate(id, body, q, req.ip)]);
  }
}
