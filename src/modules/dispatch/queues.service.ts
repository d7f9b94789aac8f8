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
 * Claim transactions in flight per process. Each holds one pooled connection (every read of the sign runs on
 * it); capping them below the pool size (`DB_POOL_SIZE`, 40 by default) keeps connections free for other
 * requests, so a burst of callers queues here instead of exhausting the pool.
 */
const CLAIM_CONCURRENCY = 16;

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

/** The human queues (SPEC §6): triage of the command centre, unit inboxes, and claim-next. */
@Injectable()
export class QueuesService {
  private readonly claims = new Semaphore(CLAIM_CONCURRENCY);

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
   */
  async claimNext(p: Principal, unitId: string): Promise<TicketResponse | null> {
    // A handler's own unit needs no lookup; anyone else learns 404 (out of scope) or 403 (not theirs).
    if (p.role !== Role.Handler || p.unitId !== unitId) {
      await this.unitFor(p, unitId);
      throw new DispatchException(DispatchErrorCode.NOT_UNIT_HANDLER);
    }
    // The answer is the signed ticket as the claim transaction left it (clocks included, no timeline: one
    // read less per claim; `GET /tickets/:id` has the timeline).
    return this.claims.run(() => this.repo.transaction(async (m) => {
      const next = await this.repo.lockNextCandidate(m, unitId, p.id, p.scopePath);
      if (!next) return null;
      return this.actions.actWithin(m, p, next.id, 'sign', { expectedVersion: next.version, note: '领取 (claim-next)' }, next.unit_type);
    }));
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
