import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox housekeeping: relayed rows are deleted after `OUTBOX_RETENTION_DAYS` by the relay scheduler, in bounded
 * batches oldest first; this index lets each purge find them without scanning the table.
 */
export class OutboxRetention1764231500000 implements MigrationInterface {
  name = 'OutboxRetention1764231500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX outbox_relayed_at_idx ON outbox (relayed_at) WHERE relayed_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbox_relayed_at_idx`);
  }
}
