import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two additions to `tickets`, both for dispatchers and units reading their lists:
 *
 * - The dispatch catalogue's proposal (建议派往单位): `suggested_unit_id` and `suggested_by_rule_id`, written by
 *   routing when the first matching rule does not dispatch by itself (no `autoRegister`, or `autoRegister`
 *   without `autoDispatch`), so the triage queue shows where the catalogue would send the ticket. The rule id has
 *   no foreign key: it records which rule proposed it then, and a rule may be edited or deleted later (a key
 *   would also make every rule deletion scan `tickets`). Nullable columns without a default: no table rewrite.
 * - Co-handling lookups (协办): `GET /tickets?involvingUnitId=` matches the lead unit (`tickets_unit_idx`) or
 *   the co-units. The GIN index is partial — most tickets have no co-unit, and those rows never enter it, so
 *   filing and every action on them pay nothing for it; the query repeats the predicate so the planner uses it.
 */
export class TicketSuggestedUnit1764400100000 implements MigrationInterface {
  name = 'TicketSuggestedUnit1764400100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tickets
        ADD COLUMN suggested_unit_id uuid REFERENCES units(id),
        ADD COLUMN suggested_by_rule_id uuid,
        ADD CONSTRAINT tickets_suggestion_pair CHECK ((suggested_unit_id IS NULL) = (suggested_by_rule_id IS NULL))`);
    await q.query(`CREATE INDEX tickets_co_units_gin ON tickets USING gin (co_unit_ids) WHERE co_unit_ids <> '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tickets_co_units_gin`);
    await q.query(`ALTER TABLE tickets DROP CONSTRAINT tickets_suggestion_pair, DROP COLUMN suggested_by_rule_id, DROP COLUMN suggested_unit_id`);
  }
}
