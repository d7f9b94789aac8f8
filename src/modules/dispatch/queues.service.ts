import { Injectable } from '@nestjs/common';
import { GroupCommit, type Waiter } from '../../common/group-commit';
import type { Principal } from '../auth/principal';
import { Role } from '../auth/roles';
import { TicketActionsService } from '../tickets/ticket-actions.service';
import type { TicketResponse } from '../tickets/dto/ticket.response.dto';
import type { QueueResponse } from './dto/dispatch.response.dto';
import { DispatchErrorCode, DispatchException } from './dispatch.exception';
import { toQueueResponse } from './dispatch.mapper';
import { DispatchRepository, type QueueScope, type UnitRow } from './dispatch.repository';

/**
 * Claim transactions in flight per process. Each holds one pooled connection; capping them below the pool
 * size (`DB_POOL_SIZE`, 40 by default) keeps connections free for other requests.
 */
const CLAIM_CONCURRENCY = 16;
/** Claim batches in flight per queue (unit and scope): callers arriving meanwhile wait for the next batch. */
const BATCHES_PER_QUEUE = 2;
/** Claims signed in one transaction at most. */
const CLAIM_BATCH_MAX = 32;

class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** A caller of claim-next waiting in its queue (unit and scope path). */
interface ClaimRequest {
  p: Principal;
  unitId: string;
}

/** The human queues (SPEC §6): triage of the command centre, unit inboxes, and claim-next. */
@Injectable()
export class QueuesService {
  private readonly claims = new Semaphore(CLAIM_CONCURRENCY);
  private readonly batches = new GroupCommit<ClaimRequest, TicketResponse | null>('claims',
    (key, batch) => this.claimBatch(key, batch), { inFlight: BATCHES_PER_QUEUE, maxBatch: CLAIM_BATCH_MAX });

  constructor(
    private readonly repo: DispatchRepository,
    private readonly actions: TicketActionsService,
  ) {}

  /** The caller's triage queue 待处理: reported, registered (待派遣) and returned tickets of their subtree (ownerless ones flagged). */
  async triage(p: Principal, q: { limit?: number; ownerless?: 'true' | 'false' }): Promise<QueueResponse> {
    this.assertTriageReader(p);
    const ownerless = q.ownerless === undefined ? undefined : q.ownerless === 'true';
    return toQueueResponse(await this.repo.triage(this.scope(p), { ownerless, limit: q.limit ?? 50 }));
  }

  /** A unit's inbox 待签收: dispatched there, not yet signed, most urgent first. */
  async inbox(p: Principal, unitId: string, q: { limit?: number }): Promise<QueueResponse> {
    await this.unitFor(p, unitId);
    return toQueueResponse(await this.repo.inbox(unitId, this.scope(p), q.limit ?? 50));
  }

  /**
   * claim-next 领取下一件: lock the most urgent ticket nobody else is taking (SKIP LOCKED) and sign it for the
   * caller in the same transaction. Null when the inbox has nothing left for them.
   *
   * Callers of the same queue are served in batches (group commit): while up to two batches of a queue are
   * in flight, new callers wait and the next batch takes them all (at most 32) — one transaction locks as many
   * candidates as there are callers, gives each caller one (a ticket auto-assigned to a caller goes to that
   * caller), and signs them together. Each caller still gets the most urgent ticket not taken by anyone
   * else, signed for them, with its own event; a batch that fails is retried caller by caller, so one
   * caller's error is never another's.
   */
  async claimNext(p: Principal, unitId: string): Promise<TicketResponse | null> {
    // A handler's own unit needs no lookup; anyone else learns 404 (out of scope) or 403 (not theirs).
    if (p.role !== Role.Handler || p.unitId !== unitId) {
      await this.unitFor(p, unitId);
      throw new DispatchException(DispatchErrorCode.NOT_UNIT_HANDLER);
    }
    return this.batches.submit(`${unitId} ${p.scopePath}`, { p, unitId });
  }

  /**
   * One claim transaction for a batch of callers. Callers left without a ticket while the inbox still had
   * candidates (those were auto-assigned to someone already served) go back to wait for the next batch.
   */
  private async claimBatch(key: string, batch: ReadonlyArray<Waiter<ClaimRequest, TicketResponse | null>>): Promise<void> {
    const { unitId, p: first } = batch[0]!.item;
    const outcome = await this.claims.run(() => this.repo.transaction(async (m) => {
      const handlerIds = [...new Set(batch.map((w) => w.item.p.id))];
      const candidates = await this.repo.lockNextCandidates(m, unitId, handlerIds, first.scopePath, batch.length);
      const pairs = assignClaims(batch.map((w) => ({ p: w.item.p, w })), candidates);
      if (pairs.length === 0) return { pairs, results: [], exhausted: candidates.length < batch.length };
      const now = candidates[0]!.db_now;
      const results = await this.actions.signClaimed(m, pairs.map(([c, ticket]) => ({ p: c.p, ticket })), candidates[0]!.unit_type, now);
      return { pairs, results, exhausted: candidates.length < batch.length };
    }));
    const served = new Set<Waiter<ClaimRequest, TicketResponse | null>>();
    outcome.pairs.forEach(([{ w }], i) => {
      served.add(w);
      const r = outcome.results[i]!;
      if (r.ok) w.resolve(r.ticket);
      else w.reject(r.refusal);
    });
    const unserved = batch.filter((w) => !served.has(w));
    if (outcome.exhausted) for (const w of unserved) w.resolve(null);
    else if (unserved.length > 0) this.batches.requeue(key, unserved);
  }

  /** The unit behind a queue, if the caller may look at it: 404 outside their scope, 403 for another unit's handler. */
  async unitFor(p: Principal, unitId: string): Promise<UnitRow> {
    const unit = await this.repo.unitVisible(p.scopePath, unitId);
    if (!unit) throw new DispatchException(DispatchErrorCode.QUEUE_UNIT_NOT_FOUND);
    if (p.role === Role.Handler && p.unitId !== unitId) throw new DispatchException(DispatchErrorCode.NOT_UNIT_HANDLER);
    return unit;
  }

  assertTriageReader(p: Principal): void {
    if (p.role !== Role.Dispatcher && p.role !== Role.Official) throw new DispatchException(DispatchErrorCode.TRIAGE_FORBIDDEN);
  }

  scope(p: Principal): QueueScope {
    return {
      scopePath: p.scopePath, seesDisputes: p.role === Role.Dispatcher || p.role === Role.Handler,
      // A dispute assigned to one mediator is that mediator's alone among the committee's handlers (docs/tickets.md).
      assignedOnly: p.role === Role.Handler ? p.id : null,
    };
  }
}

/**
 * Gives each caller of a batch at most one of the locked candidates (most urgent first): a ticket auto-assigned
 * to a caller goes to that caller (one each; a caller's second stays theirs for their next call), the others — not
 * assigned, or assigned to someone who is not a caller (the candidates query returns those only once their assignee
 * is off duty or gone) — to the remaining callers in the order they came.
 */
export function assignClaims<W extends { p: { id: string } }, T extends { handler_id: string | null }>(batch: readonly W[], candidates: readonly T[]): Array<[W, T]> {
  const pairs: Array<[W, T]> = [];
  const taken = new Set<W>();
  const rest: T[] = [];
  const callers = new Set(batch.map((w) => w.p.id));
  for (const c of candidates) {
    const own = c.handler_id ? batch.find((w) => w.p.id === c.handler_id && !taken.has(w)) : undefined;
    if (own) {
      pairs.push([own, c]);
      taken.add(own);
    } else if (!c.handler_id || !callers.has(c.handler_id)) rest.push(c);
  }
  const free = batch.filter((w) => !taken.has(w));
  rest.slice(0, free.length).forEach((c, i) => pairs.push([free[i]!, c]));
  return pairs;
}
