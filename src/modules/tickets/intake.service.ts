import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { initialTransition } from '../../../libs/workflow';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
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
import { TicketsRepository, type ClockRow } from './tickets.repository';

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
  ) {}

  async file(p: Principal, body: FileTicketRequest, idempotencyKey: string | undefined): Promise<FilingResult> {
    return this.fileAs({ userId: p.id, role: p.role, scopePath: p.scopePath, defaultNodeId: p.scopeNodeId, idempotencyOwner: p.id }, body, idempotencyKey);
  }

  async fileAs(actor: FilingActor, body: FileTicketRequest, idempotencyKey: string | undefined): Promise<FilingResult> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) throw new TicketException(TicketErrorCode.IDEMPOTENCY_KEY_INVALID);
    const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    // Category and grid node come from caches; the filing statement re-checks both and, when one changed,
    // writes nothing, so the filing is prepared again from the database (at most once more in practice).
    for (let attempt = 1; ; attempt++) {
      const fresh = attempt > 1;
      const prepared = await this.prepare(actor, body, fresh);
      const outcome = await this.repo.transaction(async (m) => {
        const filed = await this.repo.fileTicket(m, {
          id: randomUUID(),
          columns: prepared.columns,
          idempotency: idempotencyKey ? { owner: actor.idempotencyOwner, key: idempotencyKey, hash: requestHash } : null,
          event: { actorId: actor.userId, actorRole: actor.role, to: prepared.start.to, data: prepared.eventData },
        });
        if (!filed.valid) return { stale: true as const };
        if (!filed.ticket) {
          // The key is taken by a committed filing (the statement waited for it if it was in flight).
          const claim = await this.repo.idempotencyKey(m, actor.idempotencyOwner, idempotencyKey!);
          if (!claim?.ticket_id) return { stale: true as const };
          if (claim.request_hash !== requestHash) throw new TicketException(TicketErrorCode.IDEMPOTENCY_KEY_REUSED);
          return { stale: false as const, replayed: true as const, id: claim.ticket_id };
        }
        const row = filed.ticket;
        const clocks: ClockRow[] = [];
        for (const e of prepared.start.effects) if (e.kind === 'clock-start') clocks.push(await this.clocks.start(m, row, e.stage, prepared.standard, row.created_at));
        // Routing by the dispatch rules (派单目录) runs after commit: its outbox row was written with the ticket
        // and is relayed right after commit, together with the SLA timers' jobs.
        this.clocks.relayAfterCommit(m);
        // Last before commit, so the day's counter row is locked as briefly as possible.
        row.number = await this.repo.assignNumber(m, row.id);
        return { stale: false as const, replayed: false as const, row, clocks };
      });
      if (outcome.stale) {
        if (attempt >= 3) throw new TicketException(TicketErrorCode.CATEGORY_NOT_FOUND);
        this.catalogue.forgetCurrent(body.categoryCode);
        this.gridPaths.delete(prepared.columns.grid_node_id as string);
        continue;
      }
      if (outcome.replayed) {
        const row = await this.repo.transaction((m) => this.repo.findById(m, outcome.id));
        if (!row) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
        const [ticket] = await this.query.view([row]);
        return { ticket: ticket!, replayed: true, duplicates: [] };
      }
      const row = outcome.row;
      // The clocks were just written in the filing transaction; its time stands for "now".
      const ticket = this.query.viewOf(row, outcome.clocks, row.created_at);
      const dupScope = { userId: actor.userId ?? actor.idempotencyOwner, role: actor.role, scopePath: actor.scopePath, unitId: null, unitType: null };
      const duplicates = await this.repo.duplicateCandidates(dupScope, {
        excludeId: row.id, categoryCode: row.category_code, lat: row.lat, lng: row.lng, text: `${row.title} ${row.description}`,
        radiusM: this.config.duplicates.radiusM, windowHours: this.config.duplicates.windowHours,
      });
      return {
        ticket,
        replayed: false,
        duplicates: duplicates.map((d) => ({ id: d.id, number: d.number, status: d.status, distanceM: d.distance_m === null ? null : Math.round(d.distance_m), similarity: Math.round(d.similarity * 100) / 100 })),
      };
    }
  }

  /** Grid node id → ltree path, as last read (re-checked by the filing statement). */
  private readonly gridPaths = new Map<string, string>();

  private async gridNode(scopePath: string, id: string, fresh: boolean): Promise<{ id: string; path: string } | undefined> {
    const path = fresh ? undefined : this.gridPaths.get(id);
    // ltree `path <@ scope`: the node is the scope node or below it.
    if (path !== undefined && (path === scopePath || path.startsWith(`${scopePath}.`))) return { id, path };
    const node = await this.repo.gridNodeInScope(scopePath, id);
    if (node) {
      if (this.gridPaths.size > 10_000) this.gridPaths.clear();
      this.gridPaths.set(node.id, node.path);
    }
    return node;
  }

  /** Validates a filing and builds the ticket's columns (nothing is written). */
  private async prepare(actor: FilingActor, body: FileTicketRequest, fresh: boolean) {
    if (fresh) this.catalogue.forgetCurrent(body.categoryCode);
    const category = await this.catalogue.currentCategoryCached(body.categoryCode);
    if (!category) throw new TicketException(TicketErrorCode.CATEGORY_NOT_FOUND);
    const standard = body.standardCode ? category.standards.find((s) => s.code === body.standardCode) : category.standards[0];
    if (body.standardCode && !standard) throw new TicketException(TicketErrorCode.STANDARD_NOT_FOUND);
    const node = await this.gridNode(actor.scopePath, body.gridNodeId ?? actor.defaultNodeId, fresh);
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
    const start = initialTransition();
    const columns: Record<string, unknown> = {
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
    };
    const eventData = { channel: body.channel, categoryCode: category.code, categoryVersion: category.version, standardCode: standard?.code ?? null };
    return { columns, start, standard, eventData };
  }
}
