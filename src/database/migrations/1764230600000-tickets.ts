import type { MigrationInterface, QueryRunner } from 'typeorm';

const STATES = `'reported','registered','dispatched','returned','in_progress','suspended','resolved','closed','archived','voided','cancelled','merged'`;

/**
 * Tickets, their immutable event log, per-stage clocks, idempotency keys, gapless daily numbers and
 * attachments. The event log is the source of truth: the database refuses to change or delete events.
 */
export class Tickets1764230600000 implements MigrationInterface {
  name = 'Tickets1764230600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`
      CREATE TABLE ticket_number_counters (
        day   date PRIMARY KEY,
        last  integer NOT NULL CHECK (last > 0)
      )`);
    await q.query(`
      CREATE TABLE tickets (
        id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number                 text NOT NULL UNIQUE,
        platform               text NOT NULL REFERENCES platforms(code),
        category_id            uuid NOT NULL REFERENCES categories(id),
        category_code          text NOT NULL,
        case_standard_id       uuid REFERENCES case_standards(id),
        priority               text NOT NULL CHECK (priority IN ('extra_urgent','urgent','normal')),
        title                  text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
        description            text NOT NULL CHECK (char_length(description) <= 5000),
        address                text CHECK (char_length(address) <= 300),
        lat                    double precision CHECK (lat BETWEEN -90 AND 90),
        lng                    double precision CHECK (lng BETWEEN -180 AND 180),
        grid_node_id           uuid NOT NULL REFERENCES grid_nodes(id),
        grid_path              ltree NOT NULL,
        channel                text NOT NULL CHECK (channel IN ('patrol','hotline','app','web','walk_in','open311','referral')),
        reporter_name_enc      text,
        reporter_phone_enc     text,
        personal_enc           text,
        attributes             jsonb NOT NULL DEFAULT '{}'::jsonb,
        status                 text NOT NULL CHECK (status IN (${STATES})),
        previous_status        text CHECK (previous_status IN (${STATES})),
        unit_id                uuid REFERENCES units(id),
        co_unit_ids            uuid[] NOT NULL DEFAULT '{}',
        handler_id             uuid REFERENCES users(id),
        filed_by               uuid REFERENCES users(id),
        resolved_by            uuid REFERENCES users(id),
        parent_id              uuid REFERENCES tickets(id),
        first_contact_at       timestamptz,
        extension_pending_seconds integer CHECK (extension_pending_seconds > 0),
        suspension_pending     boolean NOT NULL DEFAULT false,
        bounce_count           integer NOT NULL DEFAULT 0 CHECK (bounce_count >= 0),
        ownerless              boolean NOT NULL DEFAULT false,
        supervision_count      integer NOT NULL DEFAULT 0,
        materials_complete     boolean,
        mediation_session_count integer NOT NULL DEFAULT 0,
        mediation_outcome      text,
        mediation_referral     text,
        volunteer_hours        numeric(6,2),
        callback               jsonb,
        dispatched_at          timestamptz,
        resolved_at            timestamptz,
        closed_at              timestamptz,
        version                integer NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at             timestamptz NOT NULL DEFAULT now(),
        updated_at             timestamptz NOT NULL DEFAULT now(),
        CHECK (status <> 'merged' OR parent_id IS NOT NULL),
        CHECK (parent_id IS NULL OR parent_id <> id)
      )`);
    await q.query(`CREATE INDEX tickets_grid_path_gist ON tickets USING gist (grid_path)`);
    await q.query(`CREATE INDEX tickets_created_idx ON tickets (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX tickets_status_idx ON tickets (status, created_at DESC)`);
    await q.query(`CREATE INDEX tickets_unit_idx ON tickets (unit_id, status)`);
    await q.query(`CREATE INDEX tickets_dup_idx ON tickets (category_code, created_at DESC)`);
    await q.query(`CREATE INDEX tickets_parent_idx ON tickets (parent_id) WHERE parent_id IS NOT NULL`);
    await q.query(`CREATE INDEX tickets_text_trgm ON tickets USING gin ((title || ' ' || description || ' ' || coalesce(address, '')) gin_trgm_ops)`);

    await q.query(`
      CREATE TABLE ticket_events (
        id           bigserial PRIMARY KEY,
        ticket_id    uuid NOT NULL REFERENCES tickets(id),
        seq          integer NOT NULL CHECK (seq > 0),
        action       text NOT NULL,
        actor_id     uuid,
        actor_role   text NOT NULL,
        from_status  text,
        to_status    text NOT NULL,
        note         text CHECK (char_length(note) <= 2000),
        data         jsonb NOT NULL DEFAULT '{}'::jsonb,
        at           timestamptz NOT NULL DEFAULT now(),
        UNIQUE (ticket_id, seq)
      )`);
    await q.query(`CREATE INDEX ticket_events_at_idx ON ticket_events (at)`);
    await q.query(`
      CREATE FUNCTION ticket_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'ticket_events is immutable (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege'; END $$`);
    await q.query(`CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events
      FOR EACH ROW EXECUTE FUNCTION ticket_events_immutable()`);
    await q.query(`CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events
      FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_immutable()`);

    await q.query(`
      CREATE TABLE ticket_clocks (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        ticket_id       uuid NOT NULL REFERENCES tickets(id),
        stage           text NOT NULL CHECK (stage IN ('register','sign','resolve','verify','callback','mediation')),
        state           text NOT NULL CHECK (state IN ('running','paused','stopped')),
        clock_type      text NOT NULL CHECK (clock_type IN ('natural','working_hours','working_days')),
        limit_seconds   integer,
        limit_days      numeric,
        start_next_working_day boolean NOT NULL DEFAULT false,
        extension_seconds integer NOT NULL DEFAULT 0,
        started_at      timestamptz NOT NULL,
        stopped_at      timestamptz,
        paused_at       timestamptz,
        pauses          jsonb NOT NULL DEFAULT '[]'::jsonb,
        deadline        timestamptz,
        calendar_versions jsonb NOT NULL DEFAULT '{}'::jsonb,
        clock_version   integer NOT NULL DEFAULT 1,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ticket_clocks_ticket_idx ON ticket_clocks (ticket_id)`);
    await q.query(`CREATE UNIQUE INDEX ticket_clocks_one_live ON ticket_clocks (ticket_id, stage) WHERE state <> 'stopped'`);
    await q.query(`CREATE INDEX ticket_clocks_deadline_idx ON ticket_clocks (deadline) WHERE state = 'running'`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        user_id       uuid NOT NULL,
        key           text NOT NULL,
        request_hash  text NOT NULL,
        ticket_id     uuid REFERENCES tickets(id),
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);

    await q.query(`
      CREATE TABLE attachments (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        ticket_id     uuid NOT NULL REFERENCES tickets(id),
        storage_key   text NOT NULL UNIQUE,
        content_type  text NOT NULL CHECK (content_type IN ('image/jpeg','image/png','image/webp','application/pdf')),
        size_bytes    integer NOT NULL CHECK (size_bytes > 0),
        sha256        text NOT NULL,
        uploaded_by   uuid REFERENCES users(id),
        event_id      bigint REFERENCES ticket_events(id),
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX attachments_ticket_idx ON attachments (ticket_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE attachments`);
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE ticket_clocks`);
    await q.query(`DROP TABLE ticket_events`);
    await q.query(`DROP FUNCTION ticket_events_immutable()`);
    await q.query(`DROP TABLE tickets`);
    await q.query(`DROP TABLE ticket_number_counters`);
  }
}
