import { Controller, Get, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequirePermission } from '../auth/permission.decorator';
import { CurrentUser, type Principal } from '../auth/principal';
import { Permission } from '../auth/roles';
import type { TicketResponse } from '../tickets/dto/ticket.response.dto';
import { QueueListRequest } from './dto/dispatch.request.dto';
import type { QueueResponse } from './dto/dispatch.response.dto';
import { QueueEventsService, inboxFilter, triageFilter } from './queue-events.service';
import { QueuesService } from './queues.service';

@ApiTags('queues 队列')
@Controller('api/v1/queues')
export class QueuesController {
  constructor(private readonly queues: QueuesService, private readonly events: QueueEventsService) {}

  /** The command centre's triage queue: reported and returned tickets of the caller's subtree. */
  @Get('triage')
  @RequirePermission(Permission.QueueRead)
  triage(@CurrentUser() user: Principal, @Query() q: QueueListRequest): Promise<QueueResponse> {
    return this.queues.triage(user, q);
  }

  /** Server-sent events for the triage queue: `new`, `claimed`, `changed`, `removed` with ticket ids. */
  @Get('triage/events')
  @RequirePermission(Permission.QueueRead)
  @ApiProduces('text/event-stream')
  async triageEvents(@CurrentUser() user: Principal, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.queues.assertTriageReader(user);
    const scope = this.queues.scope(user);
    await this.events.stream(req, reply, triageFilter(scope.scopePath, scope.seesDisputes), user.expiresAt);
  }

  /** A unit's inbox: dispatched, not yet signed, most urgent first. */
  @Get('units/:unitId')
  @RequirePermission(Permission.QueueRead)
  inbox(@CurrentUser() user: Principal, @Param('unitId', ParseUUIDPipe) unitId: string, @Query() q: QueueListRequest): Promise<QueueResponse> {
    return this.queues.inbox(user, unitId, q);
  }

  @Get('units/:unitId/events')
  @RequirePermission(Permission.QueueRead)
  @ApiProduces('text/event-stream')
  async inboxEvents(@CurrentUser() user: Principal, @Param('unitId', ParseUUIDPipe) unitId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.queues.unitFor(user, unitId);
    const scope = this.queues.scope(user);
    await this.events.stream(req, reply, inboxFilter(unitId, scope.scopePath, scope.seesDisputes, scope.assignedOnly ?? null), user.expiresAt);
  }

  /** Signs the most urgent ticket of the unit's inbox for the caller, atomically; 204 when there is none. */
  @Post('units/:unitId/claim-next')
  @RequirePermission(Permission.TicketAct)
  async claimNext(@CurrentUser() user: Principal, @Param('unitId', ParseUUIDPipe) unitId: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<TicketResponse | undefined> {
    const ticket = await this.queues.claimNext(user, unitId);
    void reply.status(ticket ? 200 : 204);
    return ticket ?? undefined;
  }
}
