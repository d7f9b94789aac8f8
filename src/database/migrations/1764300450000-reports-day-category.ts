import type { MigrationInterface, QueryRunner } from 'typeorm';
import { NEW_GRAINS, OLD_GRAINS, g, grainRowsSql, insertKeys, keyCheck, type FrozenGrain } from './1764300360000-reports-more-grains';

/** The counter columns of `report_rollup` as of this migration (frozen here; report-metrics.ts is the live list). */
const COUNTERS = [
  'filed', 'valid', 'dispatched', 'returned', 'returns', 'resolved', 'resolved_on_time', 'closed', 'closed_on_time',
  'reworked', 'extended', 'callbacks', 'contacted', 'cb_resolved', 'satisfied', 'basically', 'dissatisfied',
  'unit_dispatched', 'unit_returned',
];

/** The grains before this migration (as `1764300420000` left them). */
const BEFORE: FrozenGrain[] = [
  ...[...OLD_GRAINS, ...NEW_GRAINS].filter((x) => x.name !== 'month_unit'),
  g('month_unit', true, 3, { unit: true, platform: true }),
  g('day_unit', false, 2, { unit: true, platform: true }),
];
const DAY_CATEGORY = g('day_category', false, 2, { platform: true, category: true });

/** The day_category rows (filing day × district × platform × category), summed from the day rows. */
export const BUILD_DAY_CATEGORY_ROWS = grainRowsSql(DAY_CATEGORY, COUNTERS);

const names = (grains: FrozenGrain[]): string => ['day', ...grains.map((x) => x.name)].map((n) => `'${n}'`).join(', ');

/**
 * A tenth rollup grain, `day_category` (filing day × district × platform × category), so that a period that is not
 * whole months — this month so far — by category (or by platform, or under a category filter) reads a few rows per
 * district and category a day instead of every day row of the city. Built from the day rows; no refold.
 */
export class ReportsDayCategory1764300450000 implements MigrationInterface {
  name = 'ReportsDayCategory1764300450000';

  async up(q: QueryRunner): Promise<void> {
    const all = [...BEFORE, DAY_CATEGORY];
    await q.query(`ALTER TABLE report_keys DROP CONSTRAINT report_keys_grain_check, DROP CONSTRAINT report_keys_check`);
    await q.query(`ALTER TABLE report_keys ADD CONSTRAINT report_keys_grain_check CHECK (grain IN (${names(all)})),
      ADD CONSTRAINT report_keys_check ${keyCheck(all)}`);
    await q.query(insertKeys(DAY_CATEGORY));
    await q.query(BUILD_DAY_CATEGORY_ROWS);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain = 'day_category')`);
    await q.query(`DELETE FROM report_keys WHERE grain = 'day_category'`);
    await q.query(`ALTER TABLE report_keys DROP CONSTRAINT report_keys_grain_check, DROP CONSTRAINT report_keys_check`);
    await q.query(`ALTER TABLE report_keys ADD CONSTRAINT report_keys_grain_check CHECK (grain IN (${names(BEFORE)})),
      ADD CONSTRAINT report_keys_check ${keyCheck(BEFORE)}`);
  }
}
