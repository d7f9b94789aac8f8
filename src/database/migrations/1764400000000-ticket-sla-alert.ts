import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Colours from lowest to highest: a flag only goes up while its clocks live. */
const COLOURS = `ARRAY['blue','yellow','red']`;

/**
 * The ticket's SLA alert flag (预警标记, `tickets.sla_alert`): the highest colour fired on the ticket's live
 * (running or paused) clocks — blue 催办, yellow 预警, red 超期 and the ladder steps — and when the ticket took
 * that colour (`sla_alerted_at`). Both null when no live clock has fired a colour.
 *
 * - Raised by the firing statement itself (`firingEffectsCtes` in sla.repository.ts), which only fires for a
 *   running clock: never lowered there.
 * - Recomputed by the trigger below when a clock that has a colour stops (or a stopped one is revived by a
 *   recomputation), whatever the path: the action's one-statement stop, the step-by-step stop, a restart of the
 *   stage (reassignment, re-dispatch), a merge, a recomputation's repair. So a case clears when the handler
 *   reports (the 处置 clock stops) and a new unit starts with no flag; a pause or an extension keeps it (the
 *   clock keeps its colour).
 * Neither write bumps the ticket's version (an SLA effect, like the `sla-*` events), so `dispatch_notify` stays
 * silent and clients' `expectedVersion` stays valid.
 *
 * Columns without a default: adding them rewrites nothing and `SELECT t.*` of a prepared statement prepared before
 * the migration is re-prepared once per connection (ADR 0008). The backfill sets the flag of tickets whose live
 * clocks fired before this migration.
 *
 * Also the partial index the SLA reconciler reads to re-send notifications lost from the queue (firings not yet
 * notified): with a webhook configured it holds only the few in flight.
 */
export class TicketSlaAlert1764400000000 implements MigrationInterface {
  name = 'TicketSlaAlert1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tickets
        ADD COLUMN sla_alert text CHECK (sla_alert IN ('blue','yellow','red')),
        ADD COLUMN sla_alerted_at timestamptz,
        ADD CONSTRAINT tickets_sla_alert_at_chk CHECK ((sla_alert IS NULL) = (sla_alerted_at IS NULL))`);

    await q.query(`
      WITH top AS (
        SELECT DISTINCT ON (k.ticket_id) k.ticket_id, k.level
          FROM ticket_clocks k WHERE k.state <> 'stopped' AND k.level IS NOT NULL
         ORDER BY k.ticket_id, array_position(${COLOURS}, k.level) DESC)
      UPDATE tickets t SET sla_alert = top.level,
             sla_alerted_at = coalesce(
               (SELECT min(f.fired_at) FROM sla_firings f JOIN ticket_clocks k ON k.id = f.clock_id
                 WHERE k.ticket_id = t.id AND k.state <> 'stopped' AND f.level = top.level), now())
        FROM top WHERE t.id = top.ticket_id`);

    await q.query(`
      CREATE FUNCTION ticket_sla_alert_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        top text;
        top_at timestamptz;
      BEGIN
        SELECT k.level INTO top FROM ticket_clocks k
         WHERE k.ticket_id = NEW.ticket_id AND k.state <> 'stopped' AND k.level IS NOT NULL
         ORDER BY array_position(${COLOURS}, k.level) DESC LIMIT 1;
        IF top IS NOT NULL THEN
          SELECT coalesce(min(f.fired_at), now()) INTO top_at FROM sla_firings f JOIN ticket_clocks k ON k.id = f.clock_id
           WHERE k.ticket_id = NEW.ticket_id AND k.state <> 'stopped' AND f.level = top;
        END IF;
        UPDATE tickets SET sla_alert = top, sla_alerted_at = top_at
         WHERE id = NEW.ticket_id AND (sla_alert IS DISTINCT FROM top OR sla_alerted_at IS DISTINCT FROM top_at);
        RETURN NULL;
      END $$`);
    // Only clocks with a colour that stop or come back: the hot path's stops of clocks that never fired pay the
    // WHEN test alone.
    await q.query(`
      CREATE TRIGGER ticket_clocks_sla_alert AFTER UPDATE OF state ON ticket_clocks
        FOR EACH ROW WHEN (OLD.level IS NOT NULL AND (OLD.state = 'stopped') <> (NEW.state = 'stopped'))
        EXECUTE FUNCTION ticket_sla_alert_sync()`);

    // The listing filter (`GET /tickets?slaAlert=red`) in the listing's order; only flagged tickets are indexed.
    await q.query(`CREATE INDEX tickets_sla_alert_idx ON tickets (created_at DESC, id DESC) WHERE sla_alert IS NOT NULL`);
    await q.query(`CREATE INDEX sla_firings_unnotified_idx ON sla_firings (fired_at) WHERE notified_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sla_firings_unnotified_idx`);
    await q.query(`DROP INDEX tickets_sla_alert_idx`);
    await q.query(`DROP TRIGGER ticket_clocks_sla_alert ON ticket_clocks`);
    await q.query(`DROP FUNCTION ticket_sla_alert_sync()`);
    await q.query(`ALTER TABLE tickets DROP CONSTRAINT tickets_sla_alert_at_chk, DROP COLUMN sla_alerted_at, DROP COLUMN sla_alert`);
  }
}
