import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The notice of `dispatch_notify` for the statuses in `statuses` (a SQL list), as 1764230700000 wrote it. */
function notifyFunction(statuses: string): string {
  return `
    CREATE OR REPLACE FUNCTION dispatch_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status IN (${statuses})
         OR (TG_OP = 'UPDATE' AND OLD.status IN (${statuses})) THEN
        PERFORM pg_notify('fx_dispatch_queue', json_build_object(
          'id', NEW.id, 'platform', NEW.platform, 'status', NEW.status, 'from', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
          'unitId', NEW.unit_id, 'prevUnitId', CASE WHEN TG_OP = 'UPDATE' THEN OLD.unit_id END,
          'handlerId', NEW.handler_id, 'ownerless', NEW.ownerless, 'gridPath', NEW.grid_path::text, 'version', NEW.version)::text);
      END IF;
      RETURN NULL;
    END $$`;
}

/**
 * Registered tickets (立案, 待派遣) wait in the triage queue, so the live queues hear of every change touching
 * `registered` too: sent back there by a failed verification of a self-resolved ticket, merged, supervised.
 */
export class DispatchTriageRegistered1764300300000 implements MigrationInterface {
  name = 'DispatchTriageRegistered1764300300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(notifyFunction(`'reported','registered','returned','dispatched'`));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(notifyFunction(`'reported','returned','dispatched'`));
  }
}
