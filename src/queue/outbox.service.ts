import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { JOB_QUEUES, type JobName, type JobPayloads, type QueueName } from './job-registry';
import { QueueService } from './queue.service';

/** Rows per relay transaction, and relay transactions at once while a backlog lasts. */
const RELAY_BATCH = 500;
const RELAY_PARALLEL = 3;

interface OutboxRow {
  id: string;
  job_name: JobName;
  job_id: string;
  payload: unknown;
  /** Due time in epoch ms (database clock), null for "now". */
  run_at_ms: string | null;
  db_now_ms: string;
}

/**
 * The transactional outbox. `add` writes a job row inside the caller's transaction; `relay` hands
 * committed rows to BullMQ with their deterministic job ids (so a row relayed twice is still one job)
 * and marks them relayed. Services call `relay` right after commit; the `outbox.relay` job scheduler
 * calls it every few seconds, so a crash between commit and enqueue loses nothing.
 */
@Injectable()
export class OutboxService {
  private readonly logger = new Logger('Outbox');

  private relaying: Promise<void> | null = null;
  private relayAgain = false;

  constructor(private readonly ds: DataSource, private readonly queues: QueueService, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async add<N extends JobName>(m: EntityManager, name: N, data: JobPayloads[N], jobId: string, runAt?: Date): Promise<void> {
    await m.query(
      `INSERT INTO outbox (job_name, job_id, payload, run_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO NOTHING`,
      [name, jobId, JSON.stringify(data), runAt ?? null]);
  }

  /** Several jobs in one multi-row INSERT (same contract as `add`: a job id already present is skipped). */
  async addMany(m: EntityManager, rows: Array<{ [N in JobName]: { name: N; data: JobPayloads[N]; jobId: string; runAt?: Date } }[JobName]>): Promise<void> {
    if (rows.length === 0) return;
    await m.query(
      `INSERT INTO outbox (job_name, job_id, payload, run_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[]) ON CONFLICT (job_id) DO NOTHING`,
      [rows.map((r) => r.name), rows.map((r) => r.jobId), rows.map((r) => JSON.stringify(r.data)), rows.map((r) => r.runAt?.toISOString() ?? null)]);
  }

  /**
   * Relays up to `batch` committed rows in one transaction of three round trips: take and stamp the oldest
   * unrelayed rows (`FOR UPDATE SKIP LOCKED`: concurrent relays take disjoint rows), add them to their queues
   * with one `addBulk` per queue, commit. If the queue refuses, the transaction rolls back and the rows stay
   * unrelayed. Returns how many rows were relayed.
   */
  async relay(batch = RELAY_BATCH): Promise<number> {
    return this.ds.transaction(async (m) => {
      const rows: OutboxRow[] = await m.query(
        `WITH picked AS (
           SELECT id FROM outbox WHERE relayed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED),
         u AS (
           UPDATE outbox o SET relayed_at = now() FROM picked WHERE o.id = picked.id
           RETURNING o.id, o.job_name, o.job_id, o.payload, o.run_at)
         SELECT id::text, job_name, job_id, payload,
                (extract(epoch FROM run_at) * 1000)::bigint::text AS run_at_ms,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS db_now_ms
           FROM u ORDER BY u.id`, [batch]);
      if (rows.length === 0) return 0;
      // Delays are relative to this host's clock, so measure how far it is from the database clock and
      // compute each delay at the moment of enqueueing (a big batch must not make later jobs late).
      const skew = Number(rows[0]!.db_now_ms) - Date.now();
      const byQueue = new Map<QueueName, OutboxRow[]>();
      for (const r of rows) {
        const q = JOB_QUEUES[r.job_name];
        const list = byQueue.get(q);
        if (list) list.push(r);
        else byQueue.set(q, [r]);
      }
      await Promise.all([...byQueue].map(([queue, list]) => {
        const hostNow = Date.now() + skew;
        // BullMQ job ids may not contain ':' (Redis key separator); ours use '.' and '-'.
        return this.queues.queue(queue).addBulk(list.map((r) => ({
          name: r.job_name,
          data: r.payload,
          opts: {
            jobId: r.job_id, delay: r.run_at_ms === null ? 0 : Math.max(0, Number(r.run_at_ms) - hostNow),
            ...retryPolicy(r.job_name, this.config),
            removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 },
          },
        })));
      }));
      return rows.length;
    });
  }

  /**
   * Relays until the outbox is empty or `budgetMs` has passed: one batch at a time, and `RELAY_PARALLEL`
   * batches at once while a backlog lasts (a burst of 100,000 timers is handed over in seconds, not minutes).
   */
  async relayAll(budgetMs = 30_000): Promise<number> {
    const until = Date.now() + budgetMs;
    let total = 0;
    let parallel = 1;
    do {
      const counts = await Promise.all(Array.from({ length: parallel }, () => this.relay()));
      const n = counts.reduce((a, b) => a + b, 0);
      total += n;
      if (counts.every((c) => c < RELAY_BATCH)) break;
      parallel = RELAY_PARALLEL;
    } while (Date.now() < until);
    return total;
  }

  /**
   * After a commit: relay now, without making the caller wait for or fail on the queue. Coalesced: while a
   * relay runs, further calls make it run once more instead of starting relays of their own.
   */
  relaySoon(): void {
    if (this.relaying) {
      this.relayAgain = true;
      return;
    }
    this.relaying = (async () => {
      try {
        do {
          this.relayAgain = false;
          await this.relayAll();
        } while (this.relayAgain);
      } catch (err) {
        this.logger.warn(`outbox relay failed, the periodic relay will retry: ${(err as Error).message}`);
      } finally {
        this.relaying = null;
      }
    })();
  }

  /**
   * Housekeeping: deletes rows relayed more than `retentionDays` ago, oldest first, `batch` rows per statement
   * and at most `maxBatches` statements per call (the relay scheduler calls it every few seconds). Unrelayed
   * rows are never deleted. Returns how many rows were deleted.
   */
  async purge(retentionDays = this.config.outboxRetentionDays, batch = 5000, maxBatches = 4): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < maxBatches; i++) {
      const rows: Array<{ n: number }> = await this.ds.query(
        `WITH d AS (
           DELETE FROM outbox WHERE id IN (
             SELECT id FROM outbox WHERE relayed_at IS NOT NULL AND relayed_at < now() - make_interval(days => $1)
              ORDER BY relayed_at LIMIT $2)
           RETURNING 1)
         SELECT count(*)::int AS n FROM d`, [retentionDays, batch]);
      deleted += rows[0]!.n;
      if (rows[0]!.n < batch) break;
    }
    return deleted;
  }
}

/**
 * How often BullMQ tries a job: five times from 1 s (about 15 s in all) — jobs re-read their state, so a retry is a
 * wait for the database or a lock — except webhook notifications, which wait out a receiver's outage
 * (`SLA_NOTIFY_ATTEMPTS` from `SLA_NOTIFY_BACKOFF_MS`, doubling).
 */
export function retryPolicy(name: string, config: AppConfig): { attempts: number; backoff: { type: 'exponential'; delay: number } } {
  return name === 'sla.notify'
    ? { attempts: config.sla.notifyAttempts, backoff: { type: 'exponential', delay: config.sla.notifyBackoffMs } }
    : { attempts: 5, backoff: { type: 'exponential', delay: 1000 } };
}
