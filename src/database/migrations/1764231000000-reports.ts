import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Report rollups (SPEC §8), maintained incrementally by the worker from `ticket_events`:
 * - `report_cursor`: how far the event log has been folded, as an (at, id) position (see docs/reports.md
 *   for why a time-ordered cursor bounded by the oldest writing transaction skips nothing);
 * - `report_ticket_facts`: each ticket's current contribution, so a new event replaces it exactly;
 * - `report_keys` / `report_rollup`: exact counts and sparse log-bucket duration histograms at two grains:
 *   `day` (filing day, grid path ≤ grid level, unit, platform, category, channel) for any grouping and filter,
 *   and `month` (filing month, path ≤ street, platform) for the common city- or district-wide month views;
 * - `report_score_versions`: composite-score weights and naming-list thresholds per evaluation period.
 */
export class Reports1764231000000 implements MigrationInterface {
  name = 'Reports1764231000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE report_cursor (
        id          smallint PRIMARY KEY CHECK (id = 1),
        last_at     timestamptz NOT NULL DEFAULT '-infinity',
        last_id     bigint NOT NULL DEFAULT 0,
        folded      bigint NOT NULL DEFAULT 0 CHECK (folded >= 0),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO report_cursor (id) VALUES (1)`);
    await q.query(`
      CREATE TABLE report_keys (
        id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        grain          text NOT NULL CHECK (grain IN ('day', 'month')),
        day            date NOT NULL,
        path           ltree NOT NULL,
        -- no unit: the nil uuid (keeps the unique key a plain equality, so key lookups hash-join)
        unit_id        uuid NOT NULL,
        platform       text NOT NULL,
        category_code  text NOT NULL,
        channel        text NOT NULL,
        CHECK (grain = 'day' OR (extract(day FROM day) = 1 AND unit_id = '00000000-0000-0000-0000-000000000000' AND category_code = '' AND channel = '' AND nlevel(path) <= 3)),
        UNIQUE (grain, day, path, unit_id, platform, category_code, channel)
      )`);
    await q.query(`CREATE INDEX report_keys_path_gist ON report_keys USING gist (path)`);
    await q.query(`
      CREATE TABLE report_rollup (
        key_id            integer PRIMARY KEY REFERENCES report_keys(id),
        filed             integer NOT NULL DEFAULT 0,
        valid             integer NOT NULL DEFAULT 0,
        dispatched        integer NOT NULL DEFAULT 0,
        returned          integer NOT NULL DEFAULT 0,
        returns           integer NOT NULL DEFAULT 0,
        resolved          integer NOT NULL DEFAULT 0,
        resolved_on_time  integer NOT NULL DEFAULT 0,
        closed            integer NOT NULL DEFAULT 0,
        closed_on_time    integer NOT NULL DEFAULT 0,
        reworked          integer NOT NULL DEFAULT 0,
        extended          integer NOT NULL DEFAULT 0,
        callbacks         integer NOT NULL DEFAULT 0,
        contacted         integer NOT NULL DEFAULT 0,
        cb_resolved       integer NOT NULL DEFAULT 0,
        satisfied         integer NOT NULL DEFAULT 0,
        basically         integer NOT NULL DEFAULT 0,
        dissatisfied      integer NOT NULL DEFAULT 0,
        dur_n             integer[] NOT NULL DEFAULT '{0,0,0,0,0,0,0,0}',
        dur_sum_ms        bigint[] NOT NULL DEFAULT '{0,0,0,0,0,0,0,0}',
        -- one sparse histogram per duration metric, as flat pairs [bucket, count, bucket, count, …]
        hist              jsonb NOT NULL DEFAULT '[[],[],[],[],[],[],[],[]]',
        CHECK (filed >= 0 AND valid >= 0 AND closed >= 0)
      )`);
    await q.query(`
      CREATE TABLE report_ticket_facts (
        ticket_id        uuid PRIMARY KEY REFERENCES tickets(id),
        key_id           integer REFERENCES report_keys(id),
        month_key_id     integer REFERENCES report_keys(id),
        contrib          jsonb,
        open             boolean NOT NULL,
        filed_at         timestamptz NOT NULL,
        resolve_started_at timestamptz,
        resolve_deadline timestamptz,
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX report_ticket_facts_open_idx ON report_ticket_facts (key_id) WHERE open`);
    await q.query(`
      CREATE TABLE report_score_versions (
        effective_from  date PRIMARY KEY,
        weights         jsonb NOT NULL,
        basic_satisfied_weight numeric NOT NULL CHECK (basic_satisfied_weight BETWEEN 0 AND 1),
        red_below       numeric NOT NULL,
        commend_from    numeric NOT NULL,
        note            text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        CHECK (red_below < commend_from)
      )`);
    await q.query(`
      INSERT INTO report_score_versions (effective_from, weights, basic_satisfied_weight, red_below, commend_from, note) VALUES
        ('2000-01-01', '{"onTimeCloseRate":0.3,"accurateDispatchRate":0.1,"reworkRate":0.1,"extensionRate":0.05,"responseRate":0.15,"solveRate":0.15,"satisfactionRate":0.15}',
         0.9, 60, 90, 'default weights (docs/reports.md)')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE report_score_versions`);
    await q.query(`DROP TABLE report_ticket_facts`);
    await q.query(`DROP TABLE report_rollup`);
    await q.query(`DROP TABLE report_keys`);
    await q.query(`DROP TABLE report_cursor`);
  }
}
