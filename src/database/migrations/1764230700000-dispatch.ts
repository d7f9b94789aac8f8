import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dispatch (派单): routing rules (派单目录), per-unit dispatch settings (auto-assignment), the unit inbox index
 * kept by triggers, the auto-assignment trigger and the NOTIFY trigger behind the live queue streams.
 *
 * The inbox (`dispatch_inbox`) holds one row per dispatched ticket with the keys the queue is sorted by, so
 * claim-next walks one index in order and stops at the first row it can lock (`FOR UPDATE SKIP LOCKED`),
 * instead of sorting the whole inbox on every claim. Triggers keep it exact: the same transaction that
 * changes a ticket's status or a clock's deadline changes the inbox row.
 */
export class Dispatch1764230700000 implements MigrationInterface {
  name = 'Dispatch1764230700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dispatch_rules (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name             text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
        platform         text NOT NULL CHECK (platform IN ('community_governance','dispute_resolution','request_handling','convenience_services','party_building')),
        category_codes   text[] NOT NULL DEFAULT '{}' CHECK (cardinality(category_codes) <= 200),
        category_prefix  text CHECK (category_prefix ~ '^[0-9A-Za-z_]{1,40}$'),
        grid_node_id     uuid NOT NULL REFERENCES grid_nodes(id) ON DELETE RESTRICT,
        window_start     time,
        window_end       time,
        unit_id          uuid NOT NULL REFERENCES units(id) ON DELETE RESTRICT,
        position         integer NOT NULL CHECK (position BETWEEN 0 AND 1000000),
        auto_register    boolean NOT NULL DEFAULT false,
        auto_dispatch    boolean NOT NULL DEFAULT false,
        active           boolean NOT NULL DEFAULT true,
        version          integer NOT NULL DEFAULT 1,
        created_by       uuid REFERENCES users(id),
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        CHECK ((window_start IS NULL) = (window_end IS NULL)),
        CHECK (window_start IS NULL OR window_start <> window_end),
        CHECK (NOT auto_dispatch OR auto_register)
      )`);
    await q.query(`CREATE INDEX dispatch_rules_lookup_idx ON dispatch_rules (platform, position) WHERE active`);
    await q.query(`CREATE INDEX dispatch_rules_node_idx ON dispatch_rules (grid_node_id)`);

    await q.query(`
      CREATE TABLE unit_dispatch_settings (
        unit_id      uuid PRIMARY KEY REFERENCES units(id) ON DELETE CASCADE,
        auto_assign  boolean NOT NULL DEFAULT false,
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);

    // Who got an automatically assigned ticket and why (the handler's open load at that moment).
    await q.query(`
      CREATE TABLE dispatch_assignments (
        id          bigserial PRIMARY KEY,
        ticket_id   uuid NOT NULL REFERENCES tickets(id),
        unit_id     uuid NOT NULL REFERENCES units(id),
        handler_id  uuid NOT NULL REFERENCES users(id),
        open_count  integer NOT NULL,
        at          timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX dispatch_assignments_ticket_idx ON dispatch_assignments (ticket_id)`);
    // Open work per handler, for least-loaded assignment.
    await q.query(`CREATE INDEX tickets_handler_open_idx ON tickets (handler_id) WHERE status IN ('dispatched','in_progress','suspended')`);

    await q.query(`
      CREATE TABLE dispatch_inbox (
        ticket_id      uuid PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
        unit_id        uuid NOT NULL,
        deadline       timestamptz,
        priority_rank  smallint NOT NULL,
        created_at     timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX dispatch_inbox_order_idx ON dispatch_inbox (unit_id, deadline, priority_rank, created_at, ticket_id)`);

    await q.query(`
      CREATE FUNCTION dispatch_priority_rank(p text) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE p WHEN 'extra_urgent' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END::smallint $$`);
    await q.query(`
      CREATE FUNCTION dispatch_ticket_deadline(t uuid) RETURNS timestamptz LANGUAGE sql STABLE AS $$
        SELECT min(deadline) FROM ticket_clocks WHERE ticket_id = t AND state = 'running' $$`);

    // Inbox membership follows the ticket: dispatched (to a unit) in, anything else out.
    await q.query(`
      CREATE FUNCTION dispatch_inbox_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'dispatched' AND NEW.unit_id IS NOT NULL THEN
          INSERT INTO dispatch_inbox (ticket_id, unit_id, deadline, priority_rank, created_at)
          VALUES (NEW.id, NEW.unit_id, dispatch_ticket_deadline(NEW.id), dispatch_priority_rank(NEW.priority), NEW.created_at)
          ON CONFLICT (ticket_id) DO UPDATE SET unit_id = EXCLUDED.unit_id, deadline = EXCLUDED.deadline, priority_rank = EXCLUDED.priority_rank;
        ELSIF TG_OP = 'UPDATE' AND OLD.status = 'dispatched' THEN
          DELETE FROM dispatch_inbox WHERE ticket_id = NEW.id;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER tickets_dispatch_inbox AFTER INSERT OR UPDATE OF status, unit_id, priority ON tickets
      FOR EACH ROW EXECUTE FUNCTION dispatch_inbox_sync()`);

    await q.query(`
      CREATE FUNCTION dispatch_inbox_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE dispatch_inbox SET deadline = dispatch_ticket_deadline(NEW.ticket_id) WHERE ticket_id = NEW.ticket_id;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER ticket_clocks_dispatch_inbox AFTER INSERT OR UPDATE OF state, deadline ON ticket_clocks
      FOR EACH ROW EXECUTE FUNCTION dispatch_inbox_deadline()`);

    // Auto-assignment (自动分派): a ticket arriving at a unit that asks for it goes to the on-duty handler with
    // the fewest open tickets. In the database so that every path (routing, manual dispatch, reassignment,
    // re-dispatch after a return) assigns the same way, in the same transaction as the dispatch.
    await q.query(`
      CREATE FUNCTION dispatch_auto_assign() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        pick record;
      BEGIN
        IF NEW.status = 'dispatched' AND NEW.handler_id IS NULL AND NEW.unit_id IS NOT NULL
           AND (OLD.status IS DISTINCT FROM 'dispatched' OR OLD.unit_id IS DISTINCT FROM NEW.unit_id)
           AND EXISTS (SELECT 1 FROM unit_dispatch_settings s WHERE s.unit_id = NEW.unit_id AND s.auto_assign) THEN
          SELECT u.id, (SELECT count(*) FROM tickets o WHERE o.handler_id = u.id AND o.status IN ('dispatched','in_progress','suspended'))::int AS open_count
            INTO pick
            FROM users u
           WHERE u.unit_id = NEW.unit_id AND u.role = 'handler' AND u.active AND u.on_duty
           ORDER BY open_count, u.username
           LIMIT 1;
          IF FOUND THEN
            NEW.handler_id := pick.id;
            INSERT INTO dispatch_assignments (ticket_id, unit_id, handler_id, open_count) VALUES (NEW.id, NEW.unit_id, pick.id, pick.open_count);
          END IF;
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER tickets_auto_assign BEFORE UPDATE OF status, unit_id ON tickets
      FOR EACH ROW EXECUTE FUNCTION dispatch_auto_assign()`);

    // Live queues: every change that can move a ticket into, out of or within a queue is announced on commit.
    // Ids, states and the grid path only (the path is made of grid codes): never personal data.
    await q.query(`
      CREATE FUNCTION dispatch_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IN ('reported','returned','dispatched')
           OR (TG_OP = 'UPDATE' AND OLD.status IN ('reported','returned','dispatched')) THEN
          PERFORM pg_notify('fx_dispatch_queue', json_build_object(
            'id', NEW.id, 'platform', NEW.platform, 'status', NEW.status, 'from', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
            'unitId', NEW.unit_id, 'prevUnitId', CASE WHEN TG_OP = 'UPDATE' THEN OLD.unit_id END,
            'handlerId', NEW.handler_id, 'ownerless', NEW.ownerless, 'gridPath', NEW.grid_path::text, 'version', NEW.version)::text);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER tickets_dispatch_notify AFTER INSERT OR UPDATE ON tickets
      FOR EACH ROW EXECUTE FUNCTION dispatch_notify()`);

    // Tickets already dispatched before this migration join their inboxes.
    await q.query(`
      INSERT INTO dispatch_inbox (ticket_id, unit_id, deadline, priority_rank, created_at)
      SELECT id, unit_id, dispatch_ticket_deadline(id), dispatch_priority_rank(priority), created_at
        FROM tickets WHERE status = 'dispatched' AND unit_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tickets_dispatch_notify ON tickets`);
    await q.query(`DROP TRIGGER tickets_auto_assign ON tickets`);
    await q.query(`DROP TRIGGER ticket_clocks_dispatch_inbox ON ticket_clocks`);
    await q.query(`DROP TRIGGER tickets_dispatch_inbox ON tickets`);
    await q.query(`DROP FUNCTION dispatch_notify()`);
    await q.query(`DROP FUNCTION dispatch_auto_assign()`);
    await q.query(`DROP FUNCTION dispatch_inbox_deadline()`);
    await q.query(`DROP FUNCTION dispatch_inbox_sync()`);
    await q.query(`DROP FUNCTION dispatch_ticket_deadline(uuid)`);
    await q.query(`DROP FUNCTION dispatch_priority_rank(text)`);
    await q.query(`DROP TABLE dispatch_inbox`);
    await q.query(`DROP INDEX tickets_handler_open_idx`);
    await q.query(`DROP TABLE dispatch_assignments`);
    await q.query(`DROP TABLE unit_dispatch_settings`);
    await q.query(`DROP TABLE dispatch_rules`);
  }
}
