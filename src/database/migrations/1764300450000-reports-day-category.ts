import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addGrain, dropGrain, g, grainRowsSql } from './1764300360000-reports-more-grains';
import { COUNTERS, GRAINS_WITH_DAY_UNIT } from './1764300420000-reports-day-unit';

const DAY_CATEGORY = g('day_category', false, 2, { platform: true, category: true });

/** The day_category rows (filing day × district × platform × category), summed from the day rows. */
export const BUILD_DAY_CATEGORY_ROWS = grainRowsSql(DAY_CATEGORY, COUNTERS);

/**
 * A tenth rollup grain, `day_category` (filing day × district × platform × category), so that a period that is not
 * whole months — this month so far — by category (also within one platform) reads a few rows per district and
 * category a day instead of every day row of the city. Built from the day rows; no refold. The counter columns and
 * the grains before are those `1764300420000` froze (no migration between changed them).
 */
export class ReportsDayCategory1764300450000 implements MigrationInterface {
  name = 'ReportsDayCategory1764300450000';

  async up(q: QueryRunner): Promise<void> {
    await addGrain(q, GRAINS_WITH_DAY_UNIT, DAY_CATEGORY, COUNTERS);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropGrain(q, GRAINS_WITH_DAY_UNIT, DAY_CATEGORY);
  }
}
