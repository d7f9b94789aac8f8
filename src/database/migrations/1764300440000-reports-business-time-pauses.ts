import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Business-time durations now leave suspensions (挂起) out, as the SLA clocks do (ticket-facts.ts). Only tickets that
 * were ever suspended change, and each was suspended at or after the earliest suspension in the log: the fold is
 * rewound to just before that event, so the worker refolds every ticket with an event since (idempotently; reports
 * keep their old figures meanwhile, with `rollupLagMs` saying how far behind they are). Nothing to do without a
 * suspension, or when the cursor has not reached the first one yet.
 */
export class ReportsBusinessTimePauses1764300440000 implements MigrationInterface {
  name = 'ReportsBusinessTimePauses1764300440000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE report_cursor c SET last_at = s.first_at - interval '1 microsecond', last_id = 0, updated_at = now()
        FROM (SELECT min(at) AS first_at FROM ticket_events WHERE to_status = 'suspended') s
       WHERE c.id = 1 AND s.first_at IS NOT NULL AND c.last_at >= s.first_at`);
  }

  async down(): Promise<void> {
    // The rewind is not undone: refolding again is harmless (the fold is idempotent).
  }
}
