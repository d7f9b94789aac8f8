import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The counter columns of `report_rollup` as of this migration (frozen here; report-metrics.ts is the live list). */
const COUNTERS = [
  'filed', 'valid', 'dispatched', 'returned', 'returns', 'resolved', 'resolved_on_time', 'closed', 'closed_on_time',
  'reworked', 'extended', 'callbacks', 'contacted', 'cb_resolved', 'satisfied', 'basically', 'dissatisfied',
];

/**
 * Builds the `month_street` rollup rows (month × street, all platforms together) from the `month` rows (month ×
 * street × platform): counters and duration sums added, the sparse histograms merged bucket by bucket. The fold
 * keeps them up to date afterwards; this fills them for rollups folded before the grain existed. Exported for the
 * test that checks it gives exactly what the fold gives.
 */
export const BUILD_STREET_MONTH_ROWS = `
  WITH m AS (
    SELECT s.id AS sid, r.*
      FROM report_keys k
      JOIN report_rollup r ON r.key_id = k.id
      JOIN report_keys s ON s.grain = 'month_street' AND s.day = k.day AND s.path = k.path AND s.unit_id = k.unit_id
                        AND s.platform = '' AND s.category_code = '' AND s.channel = ''
     WHERE k.grain = 'month'),
  counters AS (
    SELECT sid, ${COUNTERS.map((c) => `sum(${c})::int AS ${c}`).join(', ')},
           ARRAY[${[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `sum(dur_n[${i}])`).join(', ')}]::int[] AS dur_n,
           ARRAY[${[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `sum(dur_sum_ms[${i}])`).join(', ')}]::bigint[] AS dur_sum_ms
      FROM m GROUP BY sid),
  buckets AS (
    SELECT m.sid, h.metric, (h.pairs->>(2 * i))::int AS bucket, sum((h.pairs->>(2 * i + 1))::bigint) AS n
      FROM m, json_array_elements(m.hist) WITH ORDINALITY AS h(pairs, metric), generate_series(0, json_array_length(h.pairs) / 2 - 1) AS i
     GROUP BY 1, 2, 3 HAVING sum((h.pairs->>(2 * i + 1))::bigint) <> 0),
  per_metric AS (
    SELECT b.sid, b.metric, json_agg(x.v ORDER BY b.bucket, x.o) AS pairs
      FROM buckets b, LATERAL (VALUES (1, b.bucket::bigint), (2, b.n)) AS x(o, v)
     GROUP BY 1, 2)
  INSERT INTO report_rollup (key_id, ${COUNTERS.join(', ')}, dur_n, dur_sum_ms, hist)
  SELECT c.sid, ${COUNTERS.map((x) => `c.${x}`).join(', ')}, c.dur_n, c.dur_sum_ms,
         (SELECT json_agg(coalesce(pm.pairs, '[]'::json) ORDER BY g.metric)
            FROM generate_series(1, 8) AS g(metric) LEFT JOIN per_metric pm ON pm.sid = c.sid AND pm.metric = g.metric)
    FROM counters c
  ON CONFLICT (key_id) DO NOTHING`;

/**
 * A third rollup grain, `month_street`: one row per filing month and street with every platform added together.
 * A city-wide month grouped by street (or district) used to add the `month` rows of every platform, about five
 * times as many histograms; at ten million tickets that was most of the report's time (docs/benchmarks.md).
 * Existing `month` rows are summed into the new grain here, so no refold is needed.
 */
export class ReportsStreetMonth1764232300000 implements MigrationInterface {
  name = 'ReportsStreetMonth1764232300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_keys DROP CONSTRAINT report_keys_grain_check, DROP CONSTRAINT report_keys_check`);
    await q.query(`ALTER TABLE report_keys ADD CONSTRAINT report_keys_grain_check CHECK (grain IN ('day', 'month', 'month_street')),
      ADD CONSTRAINT report_keys_check CHECK (grain = 'day' OR (extract(day FROM day) = 1 AND unit_id = '00000000-0000-0000-0000-000000000000'
        AND category_code = '' AND channel = '' AND nlevel(path) <= 3 AND (grain = 'month' OR platform = '')))`);
    await q.query(`
      INSERT INTO report_keys (grain, day, path, unit_id, platform, category_code, channel)
      SELECT DISTINCT 'month_street', day, path, unit_id, '', '', '' FROM report_keys WHERE grain = 'month'
      ON CONFLICT DO NOTHING`);
    await q.query(BUILD_STREET_MONTH_ROWS);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain = 'month_street')`);
    await q.query(`DELETE FROM report_keys WHERE grain = 'month_street'`);
    await q.query(`ALTER TABLE report_keys DROP CONSTRAINT report_keys_grain_check, DROP CONSTRAINT report_keys_check`);
    await q.query(`ALTER TABLE report_keys ADD CONSTRAINT report_keys_grain_check CHECK (grain IN ('day', 'month')),
      ADD CONSTRAINT report_keys_check CHECK (grain = 'day' OR (extract(day FROM day) = 1 AND unit_id = '00000000-0000-0000-0000-000000000000'
        AND category_code = '' AND channel = '' AND nlevel(path) <= 3))`);
  }
}
