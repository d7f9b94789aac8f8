import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The counter columns of `report_rollup` as of this migration (frozen here; report-metrics.ts is the live list). */
const COUNTERS = [
  'filed', 'valid', 'dispatched', 'returned', 'returns', 'resolved', 'resolved_on_time', 'closed', 'closed_on_time',
  'reworked', 'extended', 'callbacks', 'contacted', 'cb_resolved', 'satisfied', 'basically', 'dissatisfied',
];

const NO_UNIT = `'00000000-0000-0000-0000-000000000000'`;

/** The street of a day key's path (its first three labels), as the fold's month keys take it. */
const STREET = `(CASE WHEN nlevel(k.path) > 3 THEN subpath(k.path, 0, 3) ELSE k.path END)`;

/**
 * Builds the `month_unit` rollup rows (filing month × street × handling unit, all platforms together) from the day
 * rows: counters and duration sums added, the sparse histograms merged bucket by bucket. The fold keeps them up to
 * date afterwards; this fills them for rollups folded before the grain existed. Exported for the test that checks
 * it gives exactly what the fold gives.
 */
export const BUILD_UNIT_MONTH_ROWS = `
  WITH m AS (
    SELECT u.id AS uid, r.*
      FROM report_keys k
      JOIN report_rollup r ON r.key_id = k.id
      JOIN report_keys u ON u.grain = 'month_unit' AND u.day = date_trunc('month', k.day)::date AND u.path = ${STREET}
                        AND u.unit_id = k.unit_id AND u.platform = '' AND u.category_code = '' AND u.channel = ''
     WHERE k.grain = 'day'),
  counters AS (
    SELECT uid, ${COUNTERS.map((c) => `sum(${c})::int AS ${c}`).join(', ')},
           ARRAY[${[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `sum(dur_n[${i}])`).join(', ')}]::int[] AS dur_n,
           ARRAY[${[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `sum(dur_sum_ms[${i}])`).join(', ')}]::bigint[] AS dur_sum_ms
      FROM m GROUP BY uid),
  buckets AS (
    SELECT m.uid, h.metric, (h.pairs->>(2 * i))::int AS bucket, sum((h.pairs->>(2 * i + 1))::bigint) AS n
      FROM m, json_array_elements(m.hist) WITH ORDINALITY AS h(pairs, metric), generate_series(0, json_array_length(h.pairs) / 2 - 1) AS i
     GROUP BY 1, 2, 3 HAVING sum((h.pairs->>(2 * i + 1))::bigint) <> 0),
  per_metric AS (
    SELECT b.uid, b.metric, json_agg(x.v ORDER BY b.bucket, x.o) AS pairs
      FROM buckets b, LATERAL (VALUES (1, b.bucket::bigint), (2, b.n)) AS x(o, v)
     GROUP BY 1, 2)
  INSERT INTO report_rollup (key_id, ${COUNTERS.join(', ')}, dur_n, dur_sum_ms, hist)
  SELECT c.uid, ${COUNTERS.map((x) => `c.${x}`).join(', ')}, c.dur_n, c.dur_sum_ms,
         (SELECT json_agg(coalesce(pm.pairs, '[]'::json) ORDER BY g.metric)
            FROM generate_series(1, 8) AS g(metric) LEFT JOIN per_metric pm ON pm.uid = c.uid AND pm.metric = g.metric)
    FROM counters c
  ON CONFLICT (key_id) DO NOTHING`;

/**
 * A fourth rollup grain, `month_unit`: one row per filing month, street and handling unit, every platform added
 * together. A whole-month view grouped (or filtered) by unit used to add the day rows of every grid, category and
 * channel — about 270 000 rows and their histograms for a city-wide month at ten million tickets; it now reads one
 * row per unit and street. Existing day rows are summed into the new grain here, so no refold is needed.
 */
export class ReportsUnitMonth1764300340000 implements MigrationInterface {
  name = 'ReportsUnitMonth1764300340000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_keys DROP CONSTRAINT report_keys_grain_check, DROP CONSTRAINT report_keys_check`);
    await q.query(`ALTER TABLE report_keys ADD CONSTRAINT report_keys_grain_check CHECK (grain IN ('day', 'month', 'month_street', 'month_unit')),
      ADD CONSTRAINT report_keys_check CHECK (grain = 'day' OR (extract(day FROM day) = 1 AND category_code = '' AND channel = '' AND nlevel(path) <= 3
        AND (grain = 'month_unit' OR unit_id = ${NO_UNIT}) AND (grain = 'month' OR platform = '')))`);
    await q.query(`
      INSERT INTO report_keys (grain, day, path, unit_id, platform, category_code, channel)
      SELECT DISTINCT 'month_unit', date_trunc('month', k.day)::date, ${STREET}, k.unit_id, '', '', '' FROM report_keys k WHERE k.grain = 'day'
      ON CONFLICT DO NOTHING`);
    await q.query(BUILD_UNIT_MONTH_ROWS);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain = 'month_unit')`);
    await q.query(`DELETE FROM report_keys WHERE grain = 'month_unit'`);
    await q.query(`ALTER TABLE report_keys DROP CONSTRAINT report_keys_grain_check, DROP CONSTRAINT report_keys_check`);
    await q.query(`ALTER TABLE report_keys ADD CONSTRAINT report_keys_grain_check CHECK (grain IN ('day', 'month', 'month_street')),
      ADD CONSTRAINT report_keys_check CHECK (grain = 'day' OR (extract(day FROM day) = 1 AND unit_id = ${NO_UNIT}
        AND category_code = '' AND channel = '' AND nlevel(path) <= 3 AND (grain = 'month' OR platform = '')))`);
  }
}
