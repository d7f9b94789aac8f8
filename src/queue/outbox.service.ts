import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { JOB_QUEUES, type JobName, type JobPayloads, type QueueName } from './job-registry';
import { QueueService } from './queue.service';

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

  constructor(private readonly ds: DataSource, private readonly queues: QueueService) {}

  async add<N extends JobName>(m: EntityManager, name: N, data: JobPayloads[N], jobId: string, runAt?: Date): Promise<void> {
    await m.query(
      `INSERT INTO outbox (job_name, job_id, payload, run_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO NOTHING`,
      [name, jobId, JSON.stringify(data), runAt ?? null]);
  }

  /** Relays up to `batch` committed rows; concurrent relays skip each other's rows. Returns how many. */
  async relay(batch = 500): Promise<number> {
    return this.ds.transaction(async (m) => {
      const rows: OutboxRow[] = await m.query(
        `SELECT id::text, job_name, job_id, payload,
                (extract(epoch FROM run_at) * 1000)::bigint::text AS run_at_ms,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS db_now_ms
           FROM outbox WHERE relayed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, [batch]);
      if (rows.length === 0) return 0;
      // Delays are relative to this host's clock, so measure how far it is from the database clock and
      // compute each delay at the moment of enqueueing (a big batch must not make later jobs late).
      const skew = Number(rows[0]!.db_now_ms) - Date.now();
      const byQueue = new Map<string, OutboxRow[]>();
      for (const r of rows) {
        const q = JOB_QUEUES[r.job_name];
        byQueue.set(q, [...(byQueue.get(q) ?? []), r]);
      }
      for (const [queue, list] of byQueue) {
        const hostNow = Date.now() + skew;
        // BullMQ job ids may not contain ':' (Redis key separator); ours use '.' and '-'.
        await this.queues.queue(queue as QueueName).addBulk(list.map((r) => ({
          name: r.job_name,
          data: r.payload,
          opts: {
            jobId: r.job_id, delay: r.run_at_ms === null ? 0 : Math.max(0, Number(r.run_at_ms) - hostNow),
            attempts: 5, backoff: { type: 'exponential' as const, delay: 1000 },
            removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 },
          },
        })));
      }
      await m.query(`UPDATE outbox SET relayed_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  /** After a commit: relay now, without making the caller wait for or fail on the queue. */
  relaySoon(): void {
    this.relay().catch((err: Error) => this.logger.warn(`outbox relay failed, the periodic relay will retry: ${err.message}`));
  }
}
