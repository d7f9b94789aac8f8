import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Open tickets of a whole-month view (the rates report's 按期结案率 counts the open ones past their deadline) are
 * found through their month keys: a city-wide month is a few hundred month keys instead of about a hundred
 * thousand day keys at ten million tickets (docs/benchmarks.md).
 */
export class ReportsOpenMonth1764232500000 implements MigrationInterface {
  name = 'ReportsOpenMonth1764232500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX report_ticket_facts_open_month_idx ON report_ticket_facts (month_key_id) WHERE open`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX report_ticket_facts_open_month_idx`);
  }
}
