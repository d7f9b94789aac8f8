import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `/metrics` reads the firings of the last five minutes (how many, how late): an index on the firing instant keeps
 * that a range scan however many firings years of operation leave behind.
 */
export class SlaFiringsFiredAt1764300400000 implements MigrationInterface {
  name = 'SlaFiringsFiredAt1764300400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX sla_firings_fired_at_idx ON sla_firings (fired_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sla_firings_fired_at_idx`);
  }
}
