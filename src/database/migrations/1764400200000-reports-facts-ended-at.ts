import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The backlog's 环比 / 同比 (docs/reports.md, "Backlog comparison"): how many tickets were open at an instant a month
 * and a year ago — filed by then and not yet in a terminal state. `report_ticket_facts.ended_at` is the instant a
 * ticket entered its terminal state (closed, archived, voided, cancelled, merged: no action leaves one), null while
 * it is open; the fold writes it from now on. Existing facts get it here from the log: the first event entering a
 * terminal state, looked up in the ticket's own partition (`filed_at`). The GiST index over each ended ticket's
 * open span [filed_at, ended_at) finds the tickets that were open at an instant and have ended since (`@>`) without
 * reading every ticket ended since then: a year of closures for 同比, when only the few still open a year ago count.
 */
export class ReportsFactsEndedAt1764400200000 implements MigrationInterface {
  name = 'ReportsFactsEndedAt1764400200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_ticket_facts ADD COLUMN ended_at timestamptz`);
    await q.query(`
      UPDATE report_ticket_facts f SET ended_at = e.at
        FROM tickets t
        CROSS JOIN LATERAL (
          SELECT min(e.at) AS at FROM ticket_events e
           WHERE e.ticket_id = t.id AND e.filed_at = t.created_at
             AND e.to_status IN ('closed', 'archived', 'voided', 'cancelled', 'merged')) e
       WHERE NOT f.open AND t.id = f.ticket_id`);
    await q.query(`ALTER TABLE report_ticket_facts ADD CONSTRAINT report_ticket_facts_ended_check CHECK (NOT (open AND ended_at IS NOT NULL))`);
    await q.query(`
      CREATE INDEX report_ticket_facts_span_idx ON report_ticket_facts USING gist (tstzrange(filed_at, ended_at))
       WHERE NOT open AND key_id IS NOT NULL AND ended_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX report_ticket_facts_span_idx`);
    await q.query(`ALTER TABLE report_ticket_facts DROP COLUMN ended_at`);
  }
}
