import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { initialTransition } from '../../../libs/workflow';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { OutboxService } from '../../queue/outbox.service';
import type { Principal } from '../auth/principal';
import { CatalogueService } from '../catalogue/catalogue.service';
import { personalAttributePaths, validatePlatformAttributes } from '../platforms/platform-registry';
import type { PlatformCode } from '../platforms/platform.types';
import type { FileTicketRequest } from './dto/ticket.request.dto';
import type { TicketResponse } from './dto/ticket.response.dto';
import { TicketClocks } from './ticket-clocks';
import { TicketPersonalService } from './ticket-personal.service';
import { TicketQueryService } from './ticket-query.service';
import { TicketErrorCode, TicketException } from './tickets.exception';
import { TicketsRepository } from './tickets.repository';

export interface DuplicateSuggestion {
  id: string;
  number: string;
  status: string;
  distanceM: number | null;
  similarity: number;
}

export interface FilingResult {
  ticket: TicketResponse;
  duplicates: DuplicateSuggestion[];
  /** True when an earlier filing with the same Idempotency-Key is returned. */
  replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;

/** Who files: a staff user, or an external client such as an Open311 API key (no user; channel open311). */
export interface FilingActor {
  userId: string | null;
  role: string;
  /** Filings must land inside this subtree. */
  scopePath: string;
  /** Grid node used when the filing names none. */
  defaultNodeId: string;
  /** Idempotency keys are unique per owner (a user id or an API key id). */
  idempotencyOwner: string;
}

/** 上报: turns a filing into a ticket, once per Idempotency-Key, with a gapless human number. */
@Injectable()
export class IntakeService {
  constructor(
    private readonly repo: TicketsRepository,
    private readonly catalogue: CatalogueService,
    private readonly clocks: TicketClocks,
    private readonly personal: TicketPersonalService,
    private readonly query: TicketQueryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: OutboxService,
  ) {}

  async file(p: Principal, body: FileTicketRequest, idempotencyKey: string | undefined): Promise<FilingResult> {
    return this.fileAs({ userId: p.id, role: p.role, scopePath: p.scopePath, defaultNodeId: p.scopeNodeId, idempotencyOwner: p.id }, body, idempotencyKey);
  }

  async fileAs(actor: FilingActor, body: FileTicketRequest, idempotencyKey: string | undefined): Promise<FilingResult> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) throw new TicketException(TicketErrorCode.IDEMPOTENCY_KEY_INVALID);
    const category = await this.catalogue.currentCategory(body.categoryCode);
    if (!category) throw new TicketException(TicketErrorCode.CATEGORY_NOT_FOUND);
    const standard = body.standardCode ? category.standards.find((s) => s.code === body.standardCode) : category.standards[0];
    if (body.standardCode && !standard) throw new TicketException(TicketErrorCode.STANDARD_NOT_FOUND);
    const node = await this.repo.gridNodeInScope(actor.scopePath, body.gridNodeId ?? actor.defaultNodeId);
    if (!node) throw new TicketException(TicketErrorCode.GRID_NODE_NOT_FOUND);
    const platform = category.platform as PlatformCode;
    const checked = validatePlatformAttributes(platform, body.attributes ?? {});
    if (!checked.ok) throw new TicketException(TicketErrorCode.ATTRIBUTES_INVALID, undefined, checked.errors);
    const personalKeys = new Set(personalAttributePaths(platform));
    const personalAttrs = Object.fromEntries(Object.entries(checked.value).filter(([k]) => personalKeys.has(k)));
    const plainAttrs = Object.fromEntries(Object.entries(checked.value).filter(([k]) => !personalKeys.has(k)));
    const provided = body.materialsProvided ?? [];
    if (provided.length > 0) plainAttrs.materialsProvided = provided;
    const materialsComplete = category.materials.length === 0 ? null : category.materials.every((m) => provided.includes(m));
    const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const start = initialTransition();

    const outcome = await this.repo.transaction(async (m) => {
      if (idempotencyKey) {
        const claim = await this.repo.claimIdempotencyKey(m, actor.idempotencyOwner, idempotencyKey, requestHash);
        if (!claim.fresh) {
          if (claim.hash !== requestHash) throw new TicketException(TicketErrorCode.IDEMPOTENCY_KEY_REUSED);
          return { id: claim.ticketId!, replayed: true, row: undefined };
        }
      }
      const row = await this.repo.insertTicket(m, {
        number: `pending-${randomUUID()}`, // replaced by assignNumber just before commit
        platform,
        category_id: category.id,
        category_code: category.code,
        case_standard_id: standard?.id ?? null,
        priority: body.priority ?? standard?.priority ?? 'normal',
        title: body.title,
        description: body.description,
        address: body.address ?? null,
        lat: body.lat ?? null,
        lng: body.lng ?? null,
        grid_node_id: node.id,
        grid_path: node.path,
        channel: body.channel,
        ...this.personal.seal(body.reporter, personalAttrs),
        attributes: JSON.stringify(plainAttrs),
        status: start.to,
        filed_by: actor.userId,
        materials_complete: materialsComplete,
      });
      const id = row.id;
      await this.repo.insertEvent(m, {
        ticketId: id, action: 'file', actorId: actor.userId, actorRole: actor.role, from: null, to: start.to,
        data: { channel: body.channel, categoryCode: category.code, categoryVersion: category.version, standardCode: standard?.code ?? null },
      });
      for (const e of start.effects) if (e.kind === 'clock-start') await this.clocks.start(m, row, e.stage, standard, row.created_at);
      if (idempotencyKey) await this.repo.bindIdempotencyKey(m, actor.idempotencyOwner, idempotencyKey, id);
      // Routing by the dispatch rules (派单目录) runs after commit, through the outbox.
      await this.outbox.add(m, 'dispatch.route', { ticketId: id }, `route-${id}`);
      // Last before commit, so the day's counter row is locked as briefly as possible.
      row.number = await this.repo.assignNumber(m, id);
      return { id, replayed: false, row };
    });
    if (!outcome.replayed) this.outbox.relaySoon();

    const row = outcome.row ?? (await this.repo.transaction((m) => this.repo.findById(m, outcome.id)));
    if (!row) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
    const [ticket] = await this.query.view([row]);
    const dupScope = { userId: actor.userId ?? actor.idempotencyOwner, role: actor.role, scopePath: actor.scopePath, unitId: null, unitType: null };
    const duplicates = outcome.replayed ? [] : await this.repo.duplicateCandidates(dupScope, {
      excludeId: row.id, categoryCode: row.category_code, lat: row.lat, lng: row.lng, text: `${row.title} ${row.description}`,
      radiusM: this.config.duplicates.radiusM, windowHours: this.config.duplicates.windowHours,
    });
    return {
      ticket: ticket!,
      replayed: outcome.replayed,
      duplicates: duplicates.map((d) => ({ id: d.id, number: d.number, status: d.status, distanceM: d.distance_m === null ? null : Math.round(d.distance_m), similarity: Math.round(d.similarity * 100) / 100 })),
    };
  }
}
