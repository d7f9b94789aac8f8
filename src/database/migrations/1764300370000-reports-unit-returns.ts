import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-unit dispatch counters (`unit_dispatched`, `unit_returned`): grouped or filtered by unit, 退单率 and 准确派遣率
 * now count each unit's own dispatches — of the tickets dispatched to it, how many it sent back — where they counted
 * the tickets now at the unit (so the unit that returned a ticket showed no return, and the unit it went to next
 * did). A ticket adds them under every unit it was handed to, which only its event log says: the fold is rewound to
 * the start of the log, so the worker refolds every ticket (idempotently; reports keep their old figures meanwhile,
 * with `rollupLagMs` saying how far behind they are).
 */
export class ReportsUnitReturns1764300370000 implements MigrationInterface {
  name = 'ReportsUnitReturns1764300370000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_rollup ADD COLUMN unit_dispatched integer NOT NULL DEFAULT 0, ADD COLUMN unit_returned integer NOT NULL DEFAULT 0`);
    await q.query(`UPDATE report_cursor SET last_at = '-infinity', last_id = 0, updated_at = now() WHERE id = 1`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_rollup DROP COLUMN unit_dispatched, DROP COLUMN unit_returned`);
  }
}
