import type { MigrationInterface, QueryRunner } from 'typeorm';

const STATUSES = `'reported','registered','returned','dispatched'`;

/** `dispatch_notify` as 1764300300000 wrote it, with `changedOnly`: updates that keep the version say nothing. */
function notifyFunction(changedOnly: boolean): string {
  return `
    CREATE OR REPLACE FUNCTION dispatch_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${changedOnly ? `IF TG_OP = 'UPDATE' AND NEW.version = OLD.version THEN RETURN NULL; END IF;` : ''}
      IF NEW.status IN (${STATUSES})
         OR (TG_OP = 'UPDATE' AND OLD.status IN (${STATUSES})) THEN
        PERFORM pg_notify('fx_dispatch_queue', json_build_object(
          'id', NEW.id, 'platform', NEW.platform, 'status', NEW.status, 'from', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
          'unitId', NEW.unit_id, 'prevUnitId', CASE WHEN TG_OP = 'UPDATE' THEN OLD.unit_id END,
          'handlerId', NEW.handler_id, 'ownerless', NEW.ownerless, 'gridPath', NEW.grid_path::text, 'version', NEW.version)::text);
      END IF;
      RETURN NULL;
    END $$`;
}

/**
 * Every change a queue shows bumps the ticket's version; writes that keep it — the filing's own number, given in
 * the filing's transaction just before commit, and PII key rotation — no longer notify the live queues. A filing
 * was `new` then `changed` on the triage stream (and one more `pg_notify` per filing).
 */
export class DispatchNotifyOnVersion1764300380000 implements MigrationInterface {
  name = 'DispatchNotifyOnVersion1764300380000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(notifyFunction(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(notifyFunction(false));
  }
}
