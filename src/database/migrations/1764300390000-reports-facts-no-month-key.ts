import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `report_ticket_facts.month_key_id` is no longer read: open tickets are found by their filing instant
 * (1764300360000) and every coarse key of a ticket follows from its day key (grains.ts).
 */
export class ReportsFactsNoMonthKey1764300390000 implements MigrationInterface {
  name = 'ReportsFactsNoMonthKey1764300390000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_ticket_facts DROP COLUMN month_key_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Empty until the fold writes the ticket again (the code that wrote it is older than this migration).
    await q.query(`ALTER TABLE report_ticket_facts ADD COLUMN month_key_id integer`);
  }
}
