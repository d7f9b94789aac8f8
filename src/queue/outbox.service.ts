import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { JOB_QUEUES, type JobName, type JobPayloads } from './job-registry';
import { QueueService } from './queue.service';

interface OutboxRow {
  id: string;
  job_name: JobName;
  job_id: string;
  payload: unknown;
  delay_ms: number;
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
                greatest(0, floor(extract(epoch FROM (coalesce(run_at, now()) - now())) * 1000))::int AS delay_ms
           FROM outbox WHERE relayed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, [batch]);
      if (rows.length === 0) return 0;
      for (const r of rows) {
        // BullMQ job ids may not contain ':' (Redis key separator); ours use '.' and '-'.
        await this.queues.queue(JOB_QUEUES[r.job_name]).add(r.job_name, r.payload, {
          jobId: r.job_id, delay: r.delay_ms, attempts: 5, backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 },
        });
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
