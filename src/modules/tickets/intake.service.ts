import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { initialTransition } from '../../../libs/workflow';
import { GroupCommit, type Waiter } from '../../common/group-commit';
import { searchText } from '../../common/personal-text';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { Principal } from '../auth/principal';
import type { CaseStandardView } from '../catalogue/catalogue.types';
import { CatalogueService } from '../catalogue/catalogue.service';
import { personalAttributePaths, validatePlatformAttributes } from '../platforms/platform-registry';
import type { PlatformCode } from '../platforms/platform.types';
import type { FileTicketRequest } from './dto/ticket.request.dto';
import type { TicketResponse } from './dto/ticket.response.dto';
import { TicketClocks } from './ticket-clocks';
import { TicketPersonalService } from './ticket-personal.service';
import { TicketQueryService } from './ticket-query.service';
import { TicketErrorCode, TicketException } from './tickets.exception';
import { TicketsRepository, type ClockRow, type TicketRow, type TicketScope } from './tickets.repository';

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

/** A validated filing waiting for its batch. */
interface PendingFiling {
  id: string;
  actor: FilingActor;
  prepared: PreparedFiling;
  idempotency: { owner: string; key: string; hash: string } | null;
}

/** What a batch did with a filing: filed (numbered, clocks started), a replay of an earlier filing, or stale caches. */
type FilingOutcome = { kind: 'filed'; row: TicketRow; clocks: ClockRow[] } | { kind: 'replayed'; id: string } | { kind: 'stale' };

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
  /**
   * Writes what the filer's own module keeps about a new ticket (Open311: the request link with its encrypted
   * contact data), in the filing's transaction, so that a crash leaves both or neither. Not called on a replay.
   * It shares the transaction with the other filings of its batch: it must not fail on valid input.
   */
  onFiled?: (m: EntityManager, ticketId: string) => Promise<void>;
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
      const outcome = await this.filings.submit('filings', {
        id: randomUUID(), actor, prepared, idempotency: idempotencyKey ? { owner: actor.idempotencyOwner, key: idempotencyKey, hash: requestHash } : null,
      });
      if (outcome.kind === 'stale') {
        if (attempt >= 3) throw new TicketException(TicketErrorCode.CATEGORY_NOT_FOUND);
        this.catalogue.forgetCurrent(body.categoryCode);
        this.gridPaths.delete(prepared.columns.grid_node_id as string);
        continue;
      }
      const dupScope: TicketScope = { userId: actor.userId ?? actor.idempotencyOwner, role: actor.role, scopePath: actor.scopePath, unitId: null, unitType: null };
      if (outcome.kind === 'replayed') {
        const row = await this.repo.transaction((m) => this.repo.findById(m, outcome.id));
        if (!row) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
        const [ticket] = await this.query.view([await this.withContentRule(dupScope, row)]);
        return { ticket: ticket!, replayed: true, duplicates: [] };
      }
      const row = await this.withContentRule(dupScope, outcome.row);
      // The clocks were just written in the filing transaction; its time stands for "now".
      const ticket = this.query.viewOf(row, outcome.clocks, row.created_at);
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

  /**
   * The filer's right to read a filed dispute's content, by the content rule in SQL (`contentClause`): a
   * dispatcher who files one reads it, a grid worker follows its status only — from the filing response on, and in
   * a replay of the filing, which shows the ticket as it is now. Other platforms' rows need no look-up.
   */
  private async withContentRule(scope: TicketScope, row: TicketRow): Promise<TicketRow> {
    if (row.platform !== 'dispute_resolution') return row;
    return { ...row, content_visible: await this.repo.contentVisible(scope, row.id) };
  }

  /**
   * Filings in flight are written in batches (group commit, see `GroupCommit`): every filing takes the day's
   * gapless counter row, which stays locked until its transaction commits, so one transaction per filing
   * made filings queue on that row (bench:intake: 160 ms of lock wait per filing). A batch writes each filing
   * (idempotency key, ticket, event, routing job), starts all their clocks in one statement, numbers them in
   * one statement and commits once.
   */
  private readonly filings = new GroupCommit<PendingFiling, FilingOutcome>('filings', (_key, batch) => this.fileBatch(batch), { inFlight: 2, maxBatch: 32 });

  private async fileBatch(batch: ReadonlyArray<Waiter<PendingFiling, FilingOutcome>>): Promise<void> {
    const outcomes = await this.repo.transaction(async (m) => {
      const out: Array<FilingOutcome | { kind: 'error'; error: TicketException }> = [];
      for (const { item: f } of batch) {
        const filed = await this.repo.fileTicket(m, {
          id: f.id, columns: f.prepared.columns, idempotency: f.idempotency,
          event: { actorId: f.actor.userId, actorRole: f.actor.role, to: f.prepared.start.to, data: f.prepared.eventData },
        });
        if (!filed.valid) out.push({ kind: 'stale' });
        else if (!filed.ticket) {
          // The key is taken by a committed filing (the statement waited for it if it was in flight) or by
          // an earlier filing of this batch.
          const claim = await this.repo.idempotencyKey(m, f.idempotency!.owner, f.idempotency!.key);
          if (!claim?.ticket_id) out.push({ kind: 'stale' });
          else if (claim.request_hash !== f.idempotency!.hash) out.push({ kind: 'error', error: new TicketException(TicketErrorCode.IDEMPOTENCY_KEY_REUSED) });
          else out.push({ kind: 'replayed', id: claim.ticket_id });
        } else {
          out.push({ kind: 'filed', row: filed.ticket, clocks: [] });
          await f.actor.onFiled?.(m, filed.ticket.id);
        }
      }
      const filed = out.flatMap((o, i) => (o.kind === 'filed' ? [{ o, f: batch[i]!.item }] : []));
      if (filed.length > 0) {
        const starts = filed.flatMap(({ o, f }) => f.prepared.start.effects.flatMap((e) => (e.kind === 'clock-start' ? [{ ticket: o.row, stage: e.stage, standard: f.prepared.standard }] : [])));
        // Every ticket of the batch was inserted in this transaction: its time stands for "now".
        const clocks = await this.clocks.startMany(m, starts, filed[0]!.o.row.created_at);
        clocks.forEach((c, i) => filed.find(({ o }) => o.row.id === starts[i]!.ticket.id)!.o.clocks.push(c));
        // Routing by the dispatch rules (派单目录) runs after commit: its outbox row was written with the ticket
        // and is relayed right after commit, together with the SLA timers' jobs.
        this.clocks.relayAfterCommit(m);
        // Last before commit, so the day's counter row is locked as briefly as possible.
        const numbers = await this.repo.assignNumbers(m, filed.map(({ o }) => o.row.id));
        filed.forEach(({ o }, i) => { o.row.number = numbers[i]!; });
      }
      return out;
    });
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if (o.kind === 'error') w.reject(o.error);
      else w.resolve(o);
    });
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
  private async prepare(actor: FilingActor, body: FileTicketRequest, fresh: boolean): Promise<PreparedFiling> {
    if (fresh) this.catalogue.forgetCurrent(body.categoryCode);
    const category = await this.catalogue.currentCategoryCached(body.categoryCode);
    if (!category) throw new TicketException(TicketErrorCode.CATEGORY_NOT_FOUND);
    // A category without a case standard (立案标准), e.g. a 大类 such as 01 公用设施, gives no deadline: the
    // ticket would never run late. File under a category that has one.
    if (category.standards.length === 0) throw new TicketException(TicketErrorCode.STANDARD_REQUIRED);
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
      number: `pending-${randomUUID()}`, // replaced by assignNumbers just before commit
      platform,
      category_id: category.id,
      category_code: category.code,
      case_standard_id: standard?.id ?? null,
      priority: body.priority ?? standard?.priority ?? 'normal',
      title: body.title,
      description: body.description,
      address: body.address ?? null,
      // What text search matches: the same text with its personal data masked (never the hidden digits).
      search_text: searchText(body.title, body.description, body.address ?? null),
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
      // Only when given, so that the filing statement of the common case keeps one text (prepared once).
      ...(body.mediaUrls?.length ? { media_urls: [...new Set(body.mediaUrls)] } : {}),
    };
    const eventData = { channel: body.channel, categoryCode: category.code, categoryVersion: category.version, standardCode: standard?.code ?? null };
    return { columns, start, standard, eventData };
  }
}

/** A filing validated and turned into the ticket's columns, the workflow's first transition and the event data. */
interface PreparedFiling {
  columns: Record<string, unknown>;
  start: ReturnType<typeof initialTransition>;
  standard: CaseStandardView | undefined;
  eventData: Record<string, unknown>;
}
