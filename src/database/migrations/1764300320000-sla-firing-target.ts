import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where an escalation goes: a firing of the escalation ladder (督办, 通报) records the level its policy step names
 * (`target`: the district or the city) and the command centre (指挥中心) of that level over the ticket's grid node.
 */
export class SlaFiringTarget1764300320000 implements MigrationInterface {
  name = 'SlaFiringTarget1764300320000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sla_firings
      ADD COLUMN target text CHECK (target IN ('district', 'city')),
      ADD COLUMN target_unit_id uuid REFERENCES units(id),
      ADD CONSTRAINT sla_firings_target_ladder_only CHECK (target IS NULL OR kind IN ('supervise', 'notice'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sla_firings DROP CONSTRAINT sla_firings_target_ladder_only, DROP COLUMN target_unit_id, DROP COLUMN target`);
  }
}
