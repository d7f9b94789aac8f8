import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transactional outbox: jobs are written in the same transaction as the change that causes them and
 * handed to BullMQ only after commit (immediately, and by a periodic relay that catches up after a crash).
 */
export class Outbox1764230650000 implements MigrationInterface {
  name = 'Outbox1764230650000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id           bigserial PRIMARY KEY,
        job_name     text NOT NULL,
        job_id       text NOT NULL UNIQUE,
        payload      jsonb NOT NULL,
        run_at       timestamptz,
        created_at   timestamptz NOT NULL DEFAULT now(),
        relayed_at   timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_pending_idx ON outbox (id) WHERE relayed_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox`);
  }
}
