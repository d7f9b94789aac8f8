import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SLA timers enter the job queue only when they come within the queue-ahead horizon (`SLA_QUEUE_AHEAD_SECONDS`):
 * most timers are cancelled long before they are due (a ticket is signed or resolved in time), and a delayed
 * job written for each of them cost the queue backend more than the claim itself. `queued` says whether the
 * timer's `sla.fire` job has been handed to the outbox; timers written before this migration all have been.
 * The partial index is how the reconciler finds the unqueued timers that came within the horizon.
 */
export class SlaQueueAhead1764231900000 implements MigrationInterface {
  name = 'SlaQueueAhead1764231900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sla_timers ADD COLUMN queued boolean NOT NULL DEFAULT true`);
    await q.query(`CREATE INDEX sla_timers_unqueued_due_idx ON sla_timers (due_at) WHERE state = 'pending' AND NOT queued`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sla_timers_unqueued_due_idx`);
    await q.query(`ALTER TABLE sla_timers DROP COLUMN queued`);
  }
}
