import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { JobPayloads } from '../../queue/job-registry';
import { OutboxService, retryPolicy } from '../../queue/outbox.service';
import { QueueService } from '../../queue/queue.service';
import type { JobHandler } from '../../queue/worker.service';
import { fireJobId } from './sla-engine.service';
import { SlaFiringService, type FireOutcome } from './sla-firing.service';
import { SlaRepository } from './sla.repository';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Early deliveries up to this are waited out in the handler; longer ones are re-delayed as a new job. */
const WAIT_IN_HANDLER_MS = 2000;
/** After this many re-delays (a worker host whose clock runs ahead), the handler waits instead. */
const MAX_HOPS = 3;
/** The handler never waits longer than this; the reconciler takes over. */
const MAX_WAIT_MS = 5 * 60 * 1000;

/**
 * `sla.fire`: fires one threshold of one clock version. BullMQ may deliver it early (its Postgres backend by
 * ~130 ms; a host with a skewed clock by more), twice, or after a crash: the handler asks the database clock
 * and the firing is idempotent, so it never fires early and never twice.
 */
@Injectable()
export class SlaFireJob implements JobHandler<'sla.fire'> {
  readonly jobName = 'sla.fire' as const;

  constructor(private readonly firing: SlaFiringService, private readonly queues: QueueService) {}

  async handle(data: JobPayloads['sla.fire']): Promise<FireOutcome | { outcome: 'redelayed'; remainingMs: number }> {
    const hop = data.hop ?? 0;
    let waited = 0;
    for (;;) {
      const r = await this.fireIfDue(data.clockId, data.threshold, data.clockVersion);
      if (r.outcome !== 'not_due') return r;
      if (r.remainingMs > WAIT_IN_HANDLER_MS && hop < MAX_HOPS) {
        await this.queues.add('sla.fire', { ...data, hop: hop + 1 }, {
          jobId: `${fireJobId(data.clockId, data.threshold, data.clockVersion)}-h${hop + 1}`, delay: Math.ceil(r.remainingMs),
        });
        return { outcome: 'redelayed', remainingMs: r.remainingMs };
      }
      if (waited + r.remainingMs > MAX_WAIT_MS) return r; // the reconciler fires it when due
      const pause = Math.min(Math.ceil(r.remainingMs) + 2, WAIT_IN_HANDLER_MS);
      await sleep(pause);
      waited += pause;
    }
  }

  /**
   * One read first: a timer already fired (by a batch, usually before its job arrives), cancelled or stale
   * ends here. A due one is fired by the batch firing together with every other due timer; if the batch had to
   * skip it (its ticket locked by an action), the job fires it alone, waiting for the lock.
   */
  private async fireIfDue(clockId: string, threshold: string, version: number): Promise<FireOutcome> {
    const s = await this.firing.status(clockId, threshold, version);
    if (!s) return { outcome: 'gone', reason: 'no such timer' };
    if (s.state !== 'pending' || s.clock_state !== 'running' || s.clock_version !== version) {
      return { outcome: 'gone', reason: `timer ${s.state}, clock ${s.clock_state} v${s.clock_version}` };
    }
    if (s.remaining_ms > 0) return { outcome: 'not_due', remainingMs: s.remaining_ms };
    await this.firing.fireDue();
    const after = await this.firing.status(clockId, threshold, version);
    if (after && after.state !== 'pending') return { outcome: 'gone', reason: `timer ${after.state} (batch)` };
    return this.firing.fire(clockId, threshold, version, 'job');
  }
}

/**
 * The job id of a firing's notification, as the firing statement writes it to the outbox (`sla-notify-<firing id>`);
 * of an admin's resend of its dead letter, one per resend instant (`…-retry-<resend ms, base 36>`): the first job of
 * the firing still exists (failed), and the reconciler can restore a lost resend under the same id.
 */
export const notifyJobId = (firingId: string, resentAt?: Date | null): string =>
  resentAt ? `sla-notify-${firingId}-retry-${resentAt.getTime().toString(36)}` : `sla-notify-${firingId}`;

/**
 * `sla.reconcile` (every minute): queues the timers that came within the queue-ahead horizon
 * (`SLA_QUEUE_AHEAD_SECONDS`), fires timers that are overdue (their job was lost: Redis flushed, queue
 * obliterated, worker killed), re-creates missing jobs for queued timers due within the horizon, re-sends
 * notifications whose job was lost, and retries 督办 actions left pending by a crash.
 */
@Injectable()
export class SlaReconcileJob implements JobHandler<'sla.reconcile'> {
  readonly jobName = 'sla.reconcile' as const;
  private readonly logger = new Logger('SlaReconcile');
  static readonly HORIZON_MS = 5 * 60 * 1000;
  static readonly OVERDUE_GRACE_MS = 1000;
  /** Time budget of one run's overdue firing (the scheduler runs every 60 s). */
  static readonly BUDGET_MS = 45_000;
  /** A firing's notification is looked for once it is this old (its outbox row is normally relayed within milliseconds). */
  static readonly NOTIFY_GRACE_MS = 2000;
  /** How far back owed notifications are restored: as long as a finished notify job is kept in the queue. */
  static readonly NOTIFY_LOOKBACK_MS = 24 * 3600 * 1000;

  constructor(
    private readonly repo: SlaRepository, private readonly firing: SlaFiringService, private readonly queues: QueueService,
    private readonly outbox: OutboxService, @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(): Promise<{ queued: number; fired: number; restored: number; notifications: number; actions: number }> {
    const queued = await this.queueUpcoming();
    const fired = await this.fireOverdue();
    const restored = await this.restoreMissing();
    const notifications = await this.restoreNotifications();
    const actions = await this.retryPendingActions(10_000);
    if (fired + restored > 0) this.logger.warn(`reconciler fired ${fired} overdue and restored ${restored} missing SLA timers`);
    if (notifications > 0) this.logger.warn(`reconciler queued again ${notifications} SLA notifications missing from the queue`);
    return { queued, fired, restored, notifications, actions };
  }

  /**
   * Hands every timer that came within the queue-ahead horizon to the outbox (batches of 5,000, at most
   * 50,000 a run: the next run continues) and relays them. A timer's job thus enters the queue between one
   * horizon and one horizon less a minute before it is due.
   */
  async queueUpcoming(): Promise<number> {
    let queued = 0;
    for (let batch = 0; batch < 10; batch++) {
      const n = await this.repo.queueUpcoming(this.config.sla.queueAheadSeconds, 5000);
      queued += n;
      if (n < 5000) break;
    }
    if (queued > 0) await this.outbox.relayAll();
    return queued;
  }

  /**
   * Fires pending timers overdue by more than the grace period (their job was lost or is late), oldest first,
   * for at most `budgetMs` (the next run continues), so a huge backlog never pins a worker or blocks shutdown.
   */
  async fireOverdue(budgetMs = SlaReconcileJob.BUDGET_MS): Promise<number> {
    // Set-based, like the jobs' batch firing: timers whose ticket is busy are skipped and left to the next run.
    return this.firing.drain('reconciler', SlaReconcileJob.OVERDUE_GRACE_MS, Date.now() + budgetMs);
  }

  /** Re-creates the job of every pending timer due within the horizon whose job is missing from the queue. */
  async restoreMissing(): Promise<number> {
    let restored = 0;
    const queue = this.queues.queue('sla');
    const upcoming = await this.repo.upcomingTimers(SlaReconcileJob.HORIZON_MS, 20_000);
    for (let i = 0; i < upcoming.length; i += 100) {
      await Promise.all(upcoming.slice(i, i + 100).map(async (t) => {
        const jobId = fireJobId(t.clock_id, t.threshold, t.clock_version);
        if (await queue.getJob(jobId)) return;
        await this.queues.add('sla.fire', { clockId: t.clock_id, threshold: t.threshold, clockVersion: t.clock_version }, { jobId, delay: t.delay_ms });
        restored++;
      }));
    }
    return restored;
  }

  /**
   * Re-creates the `sla.notify` job of every firing still owed a notification (not notified, not dead-lettered or
   * resent by an admin since, outbox row relayed) whose job is gone from the queue (Redis flushed, queue obliterated). Same job id as the
   * firing's outbox row: while a job of that id exists — waiting, retrying, active, or finished and kept — the
   * queue dedupes the add, and the handler re-reads `notified_at`, so a notification is not sent twice. Nothing
   * is owed when no webhook is configured.
   */
  async restoreNotifications(graceMs = SlaReconcileJob.NOTIFY_GRACE_MS): Promise<number> {
    if (!this.config.sla.webhookUrl) return 0;
    let restored = 0;
    const queue = this.queues.queue('notify');
    const owed = await this.repo.unnotifiedFirings(graceMs, SlaReconcileJob.NOTIFY_LOOKBACK_MS, 5000);
    for (let i = 0; i < owed.length; i += 100) {
      await Promise.all(owed.slice(i, i + 100).map(async ({ id: firingId, retried_at: resentAt }) => {
        const jobId = notifyJobId(firingId, resentAt);
        if (await queue.getJob(jobId)) return;
        await this.queues.add('sla.notify', { firingId }, { jobId, ...retryPolicy('sla.notify', this.config) });
        restored++;
      }));
    }
    return restored;
  }

  /** Retries 督办 actions left pending by a crash between the firing and the workflow action. */
  async retryPendingActions(olderThanMs: number): Promise<number> {
    const pending = await this.repo.pendingActions(olderThanMs, 200);
    for (const id of pending) await this.firing.supervise(id);
    return pending.length;
  }
}

/**
 * `sla.notify`: posts one firing to `SLA_WEBHOOK_URL` (ids, codes and instants only — no personal data), with
 * an `Idempotency-Key` so the receiver can drop a repeated delivery. Retries with backoff; after the last
 * attempt the firing goes to the dead-letter list.
 */
@Injectable()
export class SlaNotifyJob implements JobHandler<'sla.notify'> {
  readonly jobName = 'sla.notify' as const;

  constructor(private readonly repo: SlaRepository, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async handle(data: JobPayloads['sla.notify'], job?: Job): Promise<{ sent: boolean; reason?: string }> {
    const url = this.config.sla.webhookUrl;
    if (!url) return { sent: false, reason: 'no SLA_WEBHOOK_URL configured' }; // checked first: no read for nothing
    const f = await this.repo.firing(data.firingId);
    if (!f) return { sent: false, reason: 'firing not found' };
    if (f.notified_at) return { sent: false, reason: 'already sent' };
    const body = {
      firingId: f.id, ticketId: f.ticket_id, ticketNumber: f.ticket_number, platform: f.platform, gridPath: f.grid_path,
      stage: f.stage, threshold: f.threshold, kind: f.kind, level: f.level, clockVersion: f.clock_version,
      dueAt: f.due_at.toISOString(), firedAt: f.fired_at.toISOString(),
      // 督办 / 通报: the level and the command centre (指挥中心) the escalation goes to; null for the other kinds.
      target: f.target, targetUnitId: f.target_unit_id, targetUnitCode: f.target_unit_code,
    };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `sla-${f.id}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.config.sla.webhookTimeoutMs),
      });
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    } catch (err) {
      const attempts = (job?.attemptsMade ?? 0) + 1;
      if (!job || attempts >= (job.opts.attempts ?? 1)) await this.repo.deadLetter(f.id, attempts, (err as Error).message);
      throw err;
    }
    await this.repo.markNotified(f.id);
    return { sent: true };
  }
}
