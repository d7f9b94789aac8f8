import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { TicketActionsService } from '../tickets/ticket-actions.service';
import { SlaEngine } from './sla-engine.service';
import { SlaRepository, type DueTimerKey, type FiringRow } from './sla.repository';

export type FireOutcome =
  | { outcome: 'fired'; firingId: string; kind: FiringRow['kind'] }
  | { outcome: 'not_due'; remainingMs: number }
  | { outcome: 'gone'; reason: string };

/** One batch: due timers seen, locked (ticket and clock held), picked (one per ticket) and fired. */
export interface BatchResult {
  candidates: number;
  locked: number;
  picked: number;
  fired: number;
}

/** While timers fall due within this horizon, the batch loop waits for them instead of for their jobs. */
const LOOKAHEAD_MS = 1000;
/** Due timers held by another transaction: the loop retries a few times, then leaves them to their jobs. */
const BUSY_RETRIES = 5;
const BUSY_PAUSE_MS = 20;
/** 督办 workflow actions run beside the firing loop, this many at once per process. */
const SUPERVISE_CONCURRENCY = 2;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The 督办 note: to whom (the command centre of the step's level), for which stage and step, with the retry marker. */
export function superviseNote(
  f: Pick<FiringRow, 'stage' | 'threshold' | 'target'> & { target_unit_code: string | null; target_unit_name_zh: string | null; target_unit_name_en: string | null },
  marker: string,
): string {
  const level = f.target === 'city' ? { zh: '市级', en: 'city' } : { zh: '区级', en: 'district' };
  const zh = f.target_unit_name_zh ? `${f.target_unit_name_zh}（${f.target_unit_code}）` : `${level.zh}指挥中心`;
  const en = f.target_unit_name_en ? `${f.target_unit_name_en} (${f.target_unit_code})` : `the ${level.en} command centre`;
  return `SLA 超期督办 → ${zh} / SLA supervision after breach, to ${en} (${f.stage}, ${f.threshold}) ${marker}`;
}

/**
 * Fires SLA thresholds. The firing itself is one conditional insert (see `SlaRepository.insertFiring`); in the
 * same transaction it appends the ticket event, marks the clock and writes the notification to the outbox.
 * 督办 steps then go through the workflow (`actAsSystem('supervise')`), made idempotent by a marker in the note.
 *
 * Throughput: `fireDue()` fires every due timer set-based (`fireBatch`: up to `SLA_FIRE_BATCH` firings per
 * transaction, still one conditional insert per firing with its unique key), coalesced so that one loop runs
 * per process; while more timers fall due within `LOOKAHEAD_MS` the loop waits for them itself, so a burst is
 * fired on time even when the queue hands the jobs out late. A job whose timer is already fired costs one read.
 */
@Injectable()
export class SlaFiringService implements OnApplicationShutdown {
  private readonly logger = new Logger('SlaFiring');
  private readonly batchSize: number;
  /** Coalescing: requests are numbered; a request is answered by a drain that started after it. */
  private requested = 0;
  private loop: Promise<void> | null = null;
  private waiters: Array<{ gen: number; resolve: () => void }> = [];
  private stopping = false;
  private readonly superviseQueue: string[] = [];
  private readonly supervising = new Set<Promise<void>>();

  constructor(
    private readonly repo: SlaRepository,
    private readonly engine: SlaEngine,
    private readonly actions: TicketActionsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.batchSize = config.sla.fireBatchSize;
    // 督办 firings made inside a workflow action (a resolve past the 督办 instant) are carried out as soon as it commits.
    engine.setSupervisor((ids) => this.superviseLater(ids));
  }

  /**
   * Fires every timer due now, in batches, and keeps firing while more fall due within the lookahead. Resolves
   * once a drain that started after this call has finished (a timer due before the call is then fired, unless
   * its ticket was locked by another transaction: the caller re-checks its own timer).
   */
  fireDue(): Promise<void> {
    const gen = ++this.requested;
    const done = new Promise<void>((resolve) => this.waiters.push({ gen, resolve }));
    if (!this.loop) this.loop = this.runLoop();
    return done;
  }

  /** Fires due timers (overdue by `graceMs` or more) batch after batch until none is left or `until` (epoch ms) passes. */
  async drain(via: 'job' | 'reconciler', graceMs = 0, until = Infinity): Promise<number> {
    let fired = 0;
    do {
      const r = await this.fireBatch(via, graceMs);
      fired += r.fired;
      // Another batch is worth it when this one was full or left a ticket's second due timer for later.
      if (r.fired === 0 || (r.candidates < this.batchSize && r.picked === r.locked)) break;
    } while (Date.now() < until && !this.stopping);
    return fired;
  }

  /**
   * One transaction: lock due timers, their tickets and clocks (`SKIP LOCKED`: never waits, so no deadlock
   * with workflow actions), fire one timer per ticket with the conditional insert, commit. 督办 firings get
   * their workflow action afterwards, beside the loop.
   */
  async fireBatch(via: 'job' | 'reconciler', graceMs = 0): Promise<BatchResult> {
    const r = await this.repo.transaction(async (m) => {
      const { candidates, locked } = await this.repo.lockDueTimers(m, this.batchSize, graceMs);
      const tickets = new Set<string>();
      const picked: DueTimerKey[] = [];
      for (const k of locked) {
        if (tickets.has(k.ticket_id)) continue;
        tickets.add(k.ticket_id);
        picked.push(k);
      }
      const fired = await this.repo.fireTimers(m, picked, via);
      if (fired.length > 0) this.engine.markOutbox(m);
      return { candidates, locked: locked.length, picked: picked.length, fired };
    });
    this.superviseLater(r.fired.filter((f) => f.kind === 'supervise').map((f) => f.id));
    return { candidates: r.candidates, locked: r.locked, picked: r.picked, fired: r.fired.length };
  }

  private async runLoop(): Promise<void> {
    let busy = 0;
    try {
      while (!this.stopping) {
        const gen = this.requested;
        const fired = await this.drain('job');
        this.answer(gen);
        if (this.requested > gen) continue;
        const next = await this.repo.msUntilNextDue(LOOKAHEAD_MS);
        if (this.requested > gen) continue;
        if (next === null) break;
        if (next > 0) {
          busy = 0;
          await sleep(Math.min(LOOKAHEAD_MS, Math.ceil(next) + 1));
        } else if (fired === 0) {
          // Due but not fired: its ticket or timer is held by another transaction (an action, another batch).
          if (++busy > BUSY_RETRIES) break;
          await sleep(BUSY_PAUSE_MS);
        }
      }
    } catch (err) {
      this.logger.warn(`batch firing stopped, jobs and the reconciler take over: ${(err as Error).message}`);
    } finally {
      // No await between the last check and here: every waiter left was covered (or the loop failed, and the
      // callers fall back to firing their own timer).
      this.loop = null;
      this.answer(Infinity);
    }
  }

  private answer(upTo: number): void {
    const left: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.gen <= upTo) w.resolve();
      else left.push(w);
    }
    this.waiters = left;
  }

  private superviseLater(ids: string[]): void {
    this.superviseQueue.push(...ids);
    while (this.supervising.size < SUPERVISE_CONCURRENCY && this.superviseQueue.length > 0 && !this.stopping) {
      const id = this.superviseQueue.shift()!;
      const p: Promise<void> = this.supervise(id)
        .catch((err: Error) => this.logger.warn(`supervision for firing ${id} failed, the reconciler retries: ${err.message}`))
        .finally(() => {
          this.supervising.delete(p);
          this.superviseLater([]);
        });
      this.supervising.add(p);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // Queued 督办 actions stay `pending` in the database; the reconciler retries them.
    this.stopping = true;
    this.superviseQueue.length = 0;
    await Promise.all([this.loop, ...this.supervising]);
  }

  /** A timer and its clock as they are now (one read, no lock). */
  status(clockId: string, threshold: string, clockVersion: number): Promise<{ state: string; remaining_ms: number; clock_state: string; clock_version: number } | undefined> {
    return this.repo.timerStatus(this.repo.manager, clockId, threshold, clockVersion);
  }

  async fire(clockId: string, threshold: string, clockVersion: number, via: 'job' | 'reconciler'): Promise<FireOutcome> {
    const result = await this.repo.transaction(async (m): Promise<FireOutcome> => {
      const ticket = await this.repo.lockTicketOfClock(m, clockId);
      if (!ticket) return { outcome: 'gone', reason: 'clock not found' };
      const f = await this.repo.insertFiring(m, clockId, threshold, clockVersion, via, undefined, ticket.status);
      if (!f) {
        const s = await this.repo.timerStatus(m, clockId, threshold, clockVersion);
        if (!s) return { outcome: 'gone', reason: 'no such timer' };
        if (s.state === 'pending' && s.clock_state === 'running' && s.clock_version === clockVersion && s.remaining_ms > 0) {
          return { outcome: 'not_due', remainingMs: s.remaining_ms };
        }
        return { outcome: 'gone', reason: `timer ${s.state}, clock ${s.clock_state} v${s.clock_version}` };
      }
      this.engine.markOutbox(m);
      return { outcome: 'fired', firingId: f.id, kind: f.kind };
    });
    if (result.outcome === 'fired' && result.kind === 'supervise') await this.supervise(result.firingId);
    return result;
  }

  /**
   * 督办 through the workflow, once: the note carries `[sla:<firing id>]`; a retry first looks for it, and a
   * concurrent retry loses on the ticket version. Leaves the firing `pending` on a crash (the reconciler retries).
   * The note names the command centre the ladder step's `target` sends it to (recorded on the firing).
   */
  async supervise(firingId: string): Promise<void> {
    const marker = `[sla:${firingId}]`;
    for (let attempt = 0; attempt < 8; attempt++) {
      const f = await this.repo.firing(firingId);
      if (!f || f.action_state !== 'pending') return;
      const t = await this.repo.ticketVersionAndMarker(f.ticket_id, marker);
      if (!t) return;
      if (t.done) {
        await this.repo.setActionState(firingId, 'done', 'supervise');
        return;
      }
      const r = await this.actions.actAsSystem(f.ticket_id, 'supervise', { expectedVersion: t.version, note: superviseNote(f, marker) });
      if (r.ok) {
        await this.repo.setActionState(firingId, 'done', 'supervise');
        return;
      }
      if (r.code !== 'STALE_VERSION') {
        await this.repo.setActionState(firingId, 'refused', r.code);
        return;
      }
    }
    this.logger.warn(`supervision for firing ${firingId} kept conflicting; the reconciler will retry`);
  }
}
