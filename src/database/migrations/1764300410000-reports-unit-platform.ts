import type { MigrationInterface, QueryRunner } from 'typeorm';
import { NEW_GRAINS, OLD_GRAINS, g, grainRowsSql, insertKeys, keyCheck, type FrozenGrain } from './1764300360000-reports-more-grains';

/** The counter columns of `report_rollup` as of this migration (frozen here; report-metrics.ts is the live list). */
const COUNTERS = [
  'filed', 'valid', 'dispatched', 'returned', 'returns', 'resolved', 'resolved_on_time', 'closed', 'closed_on_time',
  'reworked', 'extended', 'callbacks', 'contacted', 'cb_resolved', 'satisfied', 'basically', 'dissatisfied',
  'unit_dispatched', 'unit_returned',
];

const BEFORE = g('month_unit', true, 3, { unit: true });
const AFTER = g('month_unit', true, 3, { unit: true, platform: true });
const others = (): FrozenGrain[] => [...OLD_GRAINS, ...NEW_GRAINS].filter((x) => x.name !== 'month_unit');

/** The month_unit rows of this migration's shape (month × street × unit × platform), summed from the day rows. */
export const BUILD_UNIT_PLATFORM_MONTH_ROWS = grainRowsSql(AFTER, COUNTERS);

async function reshape(q: QueryRunner, to: FrozenGrain): Promise<void> {
  await q.query(`DELETE FROM report_rollup WHERE key_id IN (SELECT id FROM report_keys WHERE grain = 'month_unit')`);
  await q.query(`DELETE FROM report_keys WHERE grain = 'month_unit'`);
  await q.query(`ALTER TABLE report_keys DROP CONSTRAINT report_keys_check`);
  await q.query(`ALTER TABLE report_keys ADD CONSTRAINT report_keys_check ${keyCheck([...others(), to])}`);
  await q.query(insertKeys(to));
  await q.query(grainRowsSql(to, COUNTERS));
}

/**
 * The month_unit grain keeps the platform too (month × street × unit × platform), so that a month by unit within one
 * platform — the 12345 hotline's units ranked, the mediation committees of the dispute platform — reads a few hundred
 * rows instead of the day grain (3.6–5.5 s city-wide at ten million tickets). A unit serves one or two platforms in a
 * real city, so the views by unit alone read about as many rows as before. The rows are rebuilt from the day rows (no
 * refold); the fold keeps them from then on.
 */
export class ReportsUnitPlatform1764300410000 implements MigrationInterface {
  name = 'ReportsUnitPlatform1764300410000';

  async up(q: QueryRunner): Promise<void> {
    await reshape(q, AFTER);
  }

  async down(q: QueryRunner): Promise<void> {
    await reshape(q, BEFORE);
  }
}
