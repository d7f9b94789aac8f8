import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { CatalogueService } from '../catalogue/catalogue.service';
import type { MaterialsRequest } from './dto/ticket.request.dto';
import type { TicketResponse } from './dto/ticket.response.dto';
import { TicketQueryService } from './ticket-query.service';
import { assertMayChangeContent } from './ticket-content-guard';
import { ticketScope } from './ticket-scope';
import { TicketErrorCode, TicketException } from './tickets.exception';
import { TicketsRepository } from './tickets.repository';

/** The materials checklist of convenience services: complete when every required item is provided. */
@Injectable()
export class MaterialsService {
  constructor(private readonly repo: TicketsRepository, private readonly catalogue: CatalogueService, private readonly query: TicketQueryService) {}

  async record(p: Principal, id: string, body: MaterialsRequest): Promise<TicketResponse> {
    const scope = ticketScope(p, await this.query.unitTypeOf(p));
    await this.repo.transaction(async (m) => {
      const t = await this.repo.findVisible(scope, id, m, true);
      if (!t) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
      assertMayChangeContent(p, t, 'materials');
      if (t.version !== body.expectedVersion) throw new TicketException(TicketErrorCode.STALE_VERSION);
      const category = await this.catalogue.categoryById(t.category_id, m);
      const required = category?.materials ?? [];
      const complete = required.length === 0 ? null : required.every((r) => body.provided.includes(r));
      await this.repo.updateTicket(m, t.id, { attributes: { ...t.attributes, materialsProvided: body.provided }, materials_complete: complete });
      await this.repo.insertEvent(m, {
        ticketId: t.id, action: 'materials', actorId: p.id, actorRole: p.role, from: t.status, to: t.status,
        data: { provided: body.provided, complete },
      });
    });
    const row = await this.repo.findVisible(scope, id);
    return (await this.query.view([row!]))[0]!;
  }
}
