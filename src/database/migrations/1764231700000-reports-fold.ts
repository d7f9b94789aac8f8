import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Faster rollup fold (issue 6). `report_rollup` and `report_ticket_facts` are derived tables written only by the
 * fold, which takes every key id from `report_keys` and every ticket id from `ticket_events` in the same
 * transaction: their foreign keys checked nothing the fold does not already guarantee, yet cost a per-row
 * trigger on every write (about 60 % of a facts upsert). The GiST index on `report_keys.path` doubled the cost of
 * creating a key (about one per ticket at the day grain); report queries select keys by grain and day through
 * the unique index and filter the scope there. `report_rollup.hist` and `report_ticket_facts.contrib` become
 * `json` (kept as written): nothing queries inside them, and turning `jsonb` back into text was most of the
 * database time of a durations report (about 20 ms per period at a million tickets).
 * See docs/reports.md, "How the rollups are maintained".
 */
export class ReportsFold1764231700000 implements MigrationInterface {
  name = 'ReportsFold1764231700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_rollup DROP CONSTRAINT report_rollup_key_id_fkey`);
    await q.query(`ALTER TABLE report_ticket_facts DROP CONSTRAINT report_ticket_facts_ticket_id_fkey,
                     DROP CONSTRAINT report_ticket_facts_key_id_fkey, DROP CONSTRAINT report_ticket_facts_month_key_id_fkey`);
    await q.query(`DROP INDEX report_keys_path_gist`);
    await q.query(`ALTER TABLE report_rollup ALTER COLUMN hist DROP DEFAULT, ALTER COLUMN hist TYPE json USING hist::json,
                     ALTER COLUMN hist SET DEFAULT '[[],[],[],[],[],[],[],[]]'`);
    await q.query(`ALTER TABLE report_ticket_facts ALTER COLUMN contrib TYPE json USING contrib::json`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_ticket_facts ALTER COLUMN contrib TYPE jsonb USING contrib::jsonb`);
    await q.query(`ALTER TABLE report_rollup ALTER COLUMN hist DROP DEFAULT, ALTER COLUMN hist TYPE jsonb USING hist::jsonb,
                     ALTER COLUMN hist SET DEFAULT '[[],[],[],[],[],[],[],[]]'`);
    await q.query(`CREATE INDEX report_keys_path_gist ON report_keys USING gist (path)`);
    await q.query(`ALTER TABLE report_ticket_facts ADD CONSTRAINT report_ticket_facts_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets(id),
                     ADD CONSTRAINT report_ticket_facts_key_id_fkey FOREIGN KEY (key_id) REFERENCES report_keys(id),
                     ADD CONSTRAINT report_ticket_facts_month_key_id_fkey FOREIGN KEY (month_key_id) REFERENCES report_keys(id)`);
    await q.query(`ALTER TABLE report_rollup ADD CONSTRAINT report_rollup_key_id_fkey FOREIGN KEY (key_id) REFERENCES report_keys(id)`);
  }
}
