import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quarantine of poison tickets in the report fold (docs/reports.md, "Poison tickets"). A ticket whose facts the
 * fold cannot compute, or whose rows the database refuses, is skipped — its previous contribution stays — and
 * listed here until a refold of it succeeds (its next event, or `POST /api/v1/reports/fold-quarantine/retry`),
 * instead of rolling its whole batch back and holding the cursor for the city. Only the error message is kept
 * (never a failing row's values). `report_cursor.quarantined` counts every quarantining, in the fold's own
 * transaction, for the `report_fold_quarantined_total` metric: the worker that folds serves no metrics itself,
 * so the API reads the count at scrape time.
 */
export class ReportsFoldQuarantine1764300350000 implements MigrationInterface {
  name = 'ReportsFoldQuarantine1764300350000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE report_fold_quarantine (
        ticket_id  uuid PRIMARY KEY REFERENCES tickets(id),
        error      text NOT NULL CHECK (char_length(error) <= 500),
        attempts   int NOT NULL DEFAULT 1 CHECK (attempts > 0),
        first_at   timestamptz NOT NULL DEFAULT now(),
        last_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE report_cursor ADD COLUMN quarantined bigint NOT NULL DEFAULT 0 CHECK (quarantined >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_cursor DROP COLUMN quarantined`);
    await q.query(`DROP TABLE report_fold_quarantine`);
  }
}
