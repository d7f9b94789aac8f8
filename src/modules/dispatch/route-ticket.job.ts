import { Injectable } from '@nestjs/common';
import type { JobHandler } from '../../queue/worker.service';
import { RouterService, type RouteOutcome } from './router.service';

/** `dispatch.route`: routes a freshly filed ticket by the dispatch rules. Idempotent (see RouterService.routeTicket). */
@Injectable()
export class RouteTicketJob implements JobHandler<'dispatch.route'> {
  readonly jobName = 'dispatch.route' as const;
  constructor(private readonly router: RouterService) {}
  async handle(data: { ticketId: string }): Promise<{ outcome: RouteOutcome }> {
    return { outcome: await this.router.routeTicket(data.ticketId) };
  }
}
