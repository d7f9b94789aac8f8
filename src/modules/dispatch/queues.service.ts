import { Injectable } from '@nestjs/common';
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
const BATCHES_PER_QUEUE = 4;
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

/** One caller of claim-next waiting for its ticket. */
interface ClaimWaiter {
  p: Principal;
  resolve: (ticket: TicketResponse | null) => void;
  reject: (err: unknown) => void;
}

/** The callers of one queue (unit and scope path) waiting for a batch, and the batches in flight. */
interface ClaimQueue {
  unitId: string;
  scopePath: string;
  waiting: ClaimWaiter[];
  inFlight: number;
}

/** The human queues (SPEC §6): triage of the command centre, unit inboxes, and claim-next. */
@Injectable()
export class QueuesService {
  private readonly claims = new Semaphore(CLAIM_CONCURRENCY);
  private readonly claimQueues = new Map<string, ClaimQueue>();

  constructor(
    private readonly repo: DispatchRepository,
    private readonly actions: TicketActionsService,
  ) {}

  /** The caller's triage queue 待处理: reported and returned tickets of their subtree (ownerless ones flagged). */
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
   * Callers of the same queue are served in batches (group commit): while up to four batches of a queue are
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
    const key = `${unitId} ${p.scopePath}`;
    let queue = this.claimQueues.get(key);
    if (!queue) {
      queue = { unitId, scopePath: p.scopePath, waiting: [], inFlight: 0 };
      this.claimQueues.set(key, queue);
    }
    const q = queue;
    return new Promise<TicketResponse | null>((resolve, reject) => {
      q.waiting.push({ p, resolve, reject });
      this.pump(key, q);
    });
  }

  private pump(key: string, q: ClaimQueue): void {
    while (q.inFlight < BATCHES_PER_QUEUE && q.waiting.length > 0) {
      const batch = q.waiting.splice(0, CLAIM_BATCH_MAX);
      q.inFlight++;
      void this.serve(q, batch).finally(() => {
        q.inFlight--;
        if (q.waiting.length > 0) this.pump(key, q);
        else if (q.inFlight === 0) this.claimQueues.delete(key);
      });
    }
  }

  /** Serves a batch; if its transaction fails, serves its callers one by one, each getting its own outcome. */
  private async serve(q: ClaimQueue, batch: ClaimWaiter[]): Promise<void> {
    try {
      await this.claimBatch(q, batch);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      for (const w of batch) {
        try {
          await this.claimBatch(q, [w]);
        } catch (e) {
          w.reject(e);
        }
      }
    }
  }

  /**
   * One claim transaction for a batch of callers. Callers left without a ticket while the inbox still had
   * candidates (those were auto-assigned to someone already served) go back to wait for the next batch.
   */
  private async claimBatch(q: ClaimQueue, batch: ClaimWaiter[]): Promise<void> {
    const outcome = await this.claims.run(() => this.repo.transaction(async (m) => {
      const handlerIds = [...new Set(batch.map((w) => w.p.id))];
      const candidates = await this.repo.lockNextCandidates(m, q.unitId, handlerIds, q.scopePath, batch.length);
      const pairs = assignClaims(batch, candidates);
      if (pairs.length === 0) return { pairs, results: [], exhausted: candidates.length < batch.length };
      const now = candidates[0]!.db_now;
      const results = await this.actions.signClaimed(m, pairs.map(([w, ticket]) => ({ p: w.p, ticket })), candidates[0]!.unit_type, now);
      return { pairs, results, exhausted: candidates.length < batch.length };
    }));
    const served = new Set<ClaimWaiter>();
    outcome.pairs.forEach(([w], i) => {
      served.add(w);
      const r = outcome.results[i]!;
      if (r.ok) w.resolve(r.ticket);
      else w.reject(r.refusal);
    });
    const unserved = batch.filter((w) => !served.has(w));
    if (outcome.exhausted) for (const w of unserved) w.resolve(null);
    else if (unserved.length > 0) q.waiting.unshift(...unserved);
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
    return { scopePath: p.scopePath, seesDisputes: p.role === Role.Dispatcher || p.role === Role.Handler };
  }
}

/**
 * Gives each caller of a batch at most one of the locked candidates (most urgent first): a ticket auto-assigned
 * to a caller goes to that caller, the others to the remaining callers in the order they came.
 */
export function assignClaims<W extends { p: { id: string } }, T extends { handler_id: string | null }>(batch: readonly W[], candidates: readonly T[]): Array<[W, T]> {
  const pairs: Array<[W, T]> = [];
  const taken = new Set<W>();
  const rest: T[] = [];
  for (const c of candidates) {
    const own = c.handler_id ? batch.find((w) => w.p.id === c.handler_id && !taken.has(w)) : undefined;
    if (own) {
      pairs.push([own, c]);
      taken.add(own);
    } else if (!c.handler_id) rest.push(c);
  }
  const free = batch.filter((w) => !taken.has(w));
  rest.slice(0, free.length).forEach((c, i) => pairs.push([free[i]!, c]));
  return pairs;
}
