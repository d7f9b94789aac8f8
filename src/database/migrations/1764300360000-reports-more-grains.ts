import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The counter columns of `report_rollup` as of this migration (frozen here; report-metrics.ts is the live list). */
const COUNTERS = [
  'filed', 'valid', 'dispatched', 'returned', 'returns', 'resolved', 'resolved_on_time', 'closed', 'closed_on_time',
  'reworked', 'extended', 'callbacks', 'contacted', 'cb_resolved', 'satisfied', 'basically', 'dissatisfied',
];

const NO_UNIT = `'00000000-0000-0000-0000-000000000000'::uuid`;

/** The grains as of this migration (frozen here; src/modules/reports/grains.ts is the live list). */
export interface FrozenGrain { name: string; month: boolean; depth: number; unit: boolean; platform: boolean; category: boolean; channel: boolean }
export const g = (name: string, month: boolean, depth: number, dims: Partial<FrozenGrain> = {}): FrozenGrain =>
  ({ name, month, depth, unit: false, platform: false, category: false, channel: false, ...dims });
export const OLD_GRAINS = [g('month', true, 3, { platform: true }), g('month_street', true, 3), g('month_unit', true, 3, { unit: true })];
export const NEW_GRAINS = [g('month_channel', true, 3, { channel: true }), g('month_grid', true, 5), g('month_category', true, 3, { platform: true, category: true }), g('day_street', false, 3)];

/** The columns of the key a day key `k` counts into for a grain, as SQL expressions. */
function keyOf(x: FrozenGrain): { day: string; path: string; unit: string; platform: string; category: string; channel: string } {
  return {
    day: x.month ? `date_trunc('month', k.day)::date` : 'k.day',
    path: `(CASE WHEN nlevel(k.path) > ${x.depth} THEN subpath(k.path, 0, ${x.depth}) ELSE k.path END)`,
    unit: x.unit ? 'k.unit_id' : NO_UNIT,
    platform: x.platform ? 'k.platform' : `''`,
    category: x.category ? 'k.category_code' : `''`,
    channel: x.channel ? 'k.channel' : `''`,
  };
}

/** What a coarse grain's keys must look like (the key check of report_keys). */
function shape(x: FrozenGrain): string {
  return [
    x.month ? 'extract(day FROM day) = 1' : 'true',
    `nlevel(path) <= ${x.depth}`,
    x.unit ? 'true' : `unit_id = ${NO_UNIT}`,
    x.platform ? 'true' : `platform = ''`,
    x.category ? 'true' : `category_code = ''`,
    x.channel ? 'true' : `channel = ''`,
  ].join(' AND ');
}

export function keyCheck(grains: FrozenGrain[]): string {
  return `CHECK (grain = 'day' OR ${grains.map((x) => `(grain = '${x.name}' AND ${shape(x)})`).join(' OR ')})`;
}

/** The keys of a grain for every existing day key. */
export function insertKeys(x: FrozenGrain): string {
  const e = keyOf(x);
  return `INSERT INTO report_keys (grain, day, path, unit_id, platform, category_code, channel)
          SELECT DISTINCT '${x.name}', ${e.day}, ${e.path}, ${e.unit}, ${e.platform}, ${e.category}, ${e.channel} FROM report_keys k WHERE k.grain = 'day'
          ON CONFLICT DO NOTHING`;
}

/**
 * Builds a grain's rollup rows from the day rows: counters and duration sums added, the sparse histograms merged
 * bucket by bucket (as the month_street and month_unit migrations do). The fold keeps them up to date afterwards;
 * this fills them for rollups folded before the grain existed. Exported for the test that checks it gives exactly
 * what the fold gives.
 */
export function buildGrainRows(name: string): string {
  const x = NEW_GRAINS.find((n) => n.name === name);
  if (!x) throw new Error(`not a grain of this migration: ${name}`);
  return grainRowsSql(x, COUNTERS);
}

/** The statement of `buildGrainRows` for any grain and list of counter columns (later migrations reuse it). */
export function grainRowsSql(x: FrozenGrain, counters: readonly string[]): string {
  const e = keyOf(x);
  return `
  WITH m AS (
    SELECT u.id AS uid, r.*
      FROM report_keys k
      JOIN report_rollup r ON r.key_id = k.id
      JOIN report_keys u ON u.grain = '${x.name}' AND u.day = ${e.day} AND u.path = ${e.path} AND u.unit_id = ${e.unit}
                        AND u.platform = ${e.platform} AND u.category_code = ${e.category} AND u.channel = ${e.channel}
     WHERE k.grain = 'day'),
  counters AS (
    SELECT uid, ${counters.map((c) => `sum(${c})::int AS ${c}`).join(', ')},
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
  INSERT INTO report_rollup (key_id, ${counters.join(', ')}, dur_n, dur_sum_ms, hist)
  SELECT c.uid, ${counters.map((c) => `c.${c}`).join(', ')}, c.dur_n, c.dur_sum_ms,
         (SELECT json_agg(coalesce(pm.pairs, '[]'::json) ORDER BY g.metric)
            FROM generate_series(1, 8) AS g(metric) LEFT JOIN per_metric pm ON pm.uid = c.uid AND pm.metric = g.metric)
    FROM counters c
  ON CONFLICT (key_id) DO NOTHING`;
}

/** Replaces the key checks of `report_keys` with those of `grains` (besides `day`). */
async function setKeyChecks(q: QueryRunner, grains: FrozenGrain[]): Promise<void> {
  const names = ['day', ...grains.map((x) => x.name)].map((n) => `'${n}'`).join(', ');
  await q.query(`ALTER TABLE report_keys DROP CONSTRAINT report_keys_grain_check, DROP CONSTRAINT report_keys_check`);
  await q.query(`ALTER TABLE report_keys ADD CONSTRAINT report_keys_grain_check CHECK (grain IN (${names})),
    ADD CONSTRAINT report_keys_check ${keyCheck(grains)}`);
}

/**
 * A later migration's new grain `x`, after the grains `before`: the key checks allow it, its keys are made for every
 * day key, and its rows are summed from the day rows (`counters`: the rollup's counter columns as of that migration).
 */
export async function addGrain(q: QueryRunner, before: FrozenGrain[], x: FrozenGrain, counters: readonly string[]): Promise<void> {
  await setKeyChecks(q, [...before, x]);
  await q.query(insertKeys(x));
  await q.query(grainRowsSql(x, counters));
}

/** Undoes `addGrain`: the grain's rows and keys go, and the key checks are those of `before` again. */
export async function dropGrain(q: QueryRunner, before: FrozenGrain[], x: FrozenGrain): Promise<void> {
  await q.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain = '${x.name}')`);
  await q.query(`DELETE FROM report_keys WHERE grain = '${x.name}'`);
  await setKeyChecks(q, before);
}

/**
 * Four more rollup grains, so that the views officials use besides "a month by street" also read a few hundred or
 * thousand rows instead of every day row of the period (about 270 000 for a city-wide month at ten million tickets,
 * 6–11 s): `month_channel` (month × street × channel), `month_grid` (month × grid path: by community or grid, and
 * scopes below the street), `month_category` (month × street × platform × category) and `day_street` (day × street:
 * periods that are not whole months, and the views by day or week). Existing day rows are summed into them here, so
 * no refold is needed.
 *
 * Open tickets of a period are now found by their filing instant (one partial index, whatever the grain) instead of
 * through their month or day keys: the two partial indexes on the keys go.
 */
export class ReportsMoreGrains1764300360000 implements MigrationInterface {
  name = 'ReportsMoreGrains1764300360000';

  async up(q: QueryRunner): Promise<void> {
    const all = [...OLD_GRAINS, ...NEW_GRAINS];
    await q.query(`ALTER TABLE report_keys DROP CONSTRAINT report_keys_grain_check, DROP CONSTRAINT report_keys_check`);
    await q.query(`ALTER TABLE report_keys ADD CONSTRAINT report_keys_grain_check CHECK (grain IN ('day', ${all.map((x) => `'${x.name}'`).join(', ')})),
      ADD CONSTRAINT report_keys_check ${keyCheck(all)}`);
    for (const x of NEW_GRAINS) {
      await q.query(insertKeys(x));
      await q.query(buildGrainRows(x.name));
    }
    await q.query(`CREATE INDEX report_ticket_facts_open_filed_idx ON report_ticket_facts (filed_at) WHERE open`);
    await q.query(`DROP INDEX report_ticket_facts_open_idx`);
    await q.query(`DROP INDEX report_ticket_facts_open_month_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX report_ticket_facts_open_month_idx ON report_ticket_facts (month_key_id) WHERE open`);
    await q.query(`CREATE INDEX report_ticket_facts_open_idx ON report_ticket_facts (key_id) WHERE open`);
    await q.query(`DROP INDEX report_ticket_facts_open_filed_idx`);
    const names = NEW_GRAINS.map((x) => `'${x.name}'`).join(', ');
    await q.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain IN (${names}))`);
    await q.query(`DELETE FROM report_keys WHERE grain IN (${names})`);
    await q.query(`ALTER TABLE report_keys DROP CONSTRAINT report_keys_grain_check, DROP CONSTRAINT report_keys_check`);
    await q.query(`ALTER TABLE report_keys ADD CONSTRAINT report_keys_grain_check CHECK (grain IN ('day', 'month', 'month_street', 'month_unit')),
      ADD CONSTRAINT report_keys_check ${keyCheck(OLD_GRAINS)}`);
  }
}
