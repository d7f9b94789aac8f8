import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CN_NATIONAL_2025_2026 } from '../../../libs/sla-calendar';
import { DEFAULT_POLICY } from '../../modules/sla/sla-policy';

/**
 * The SLA engine: calendars and policies as versioned data, threshold timers, firings (one row per clock,
 * threshold and clock version — the idempotency key), the notification dead-letter list and the record of
 * recomputations. Seeds the national calendar (State Council schedules 2025 and 2026) and the default policy.
 */
export class Sla1764230800000 implements MigrationInterface {
  name = 'Sla1764230800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sla_calendars (
        code            text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
        parent_code     text REFERENCES sla_calendars(code),
        grid_node_id    uuid UNIQUE REFERENCES grid_nodes(id),
        current_version integer NOT NULL CHECK (current_version > 0),
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        CHECK ((parent_code IS NULL) = (grid_node_id IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX sla_calendars_one_root ON sla_calendars ((true)) WHERE parent_code IS NULL`);
    await q.query(`
      CREATE TABLE sla_calendar_versions (
        code        text NOT NULL REFERENCES sla_calendars(code),
        version     integer NOT NULL CHECK (version > 0),
        definition  jsonb NOT NULL,
        note        text CHECK (char_length(note) <= 500),
        created_by  uuid REFERENCES users(id),
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (code, version)
      )`);
    await q.query(`
      CREATE TABLE sla_policies (
        code            text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
        platform        text UNIQUE REFERENCES platforms(code),
        current_version integer NOT NULL CHECK (current_version > 0),
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX sla_policies_one_default ON sla_policies ((true)) WHERE platform IS NULL`);
    await q.query(`
      CREATE TABLE sla_policy_versions (
        code        text NOT NULL REFERENCES sla_policies(code),
        version     integer NOT NULL CHECK (version > 0),
        definition  jsonb NOT NULL,
        note        text CHECK (char_length(note) <= 500),
        created_by  uuid REFERENCES users(id),
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (code, version)
      )`);

    await q.query(`ALTER TABLE ticket_clocks
      ADD COLUMN policy_code text,
      ADD COLUMN policy_version integer,
      ADD COLUMN calendar_key text,
      ADD COLUMN thresholds_fired text[] NOT NULL DEFAULT '{}',
      ADD COLUMN level text CHECK (level IN ('blue','yellow','red'))`);
    // Queue order (dispatch) and the overdue filter read live deadlines.
    await q.query(`CREATE INDEX ticket_clocks_live_deadline_idx ON ticket_clocks (deadline) WHERE state <> 'stopped'`);

    await q.query(`
      CREATE TABLE sla_timers (
        clock_id      uuid NOT NULL REFERENCES ticket_clocks(id),
        threshold     text NOT NULL CHECK (threshold ~ '^[a-z0-9_]{1,40}$'),
        clock_version integer NOT NULL,
        ticket_id     uuid NOT NULL REFERENCES tickets(id),
        kind          text NOT NULL CHECK (kind IN ('remind','warning','breach','supervise','notice')),
        level         text CHECK (level IN ('blue','yellow','red')),
        due_at        timestamptz NOT NULL,
        state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','fired','cancelled')),
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (clock_id, threshold, clock_version)
      )`);
    await q.query(`CREATE INDEX sla_timers_pending_due_idx ON sla_timers (due_at) WHERE state = 'pending'`);

    await q.query(`
      CREATE TABLE sla_firings (
        id            bigserial PRIMARY KEY,
        clock_id      uuid NOT NULL REFERENCES ticket_clocks(id),
        ticket_id     uuid NOT NULL REFERENCES tickets(id),
        stage         text NOT NULL,
        threshold     text NOT NULL,
        clock_version integer NOT NULL,
        kind          text NOT NULL CHECK (kind IN ('remind','warning','breach','supervise','notice')),
        level         text CHECK (level IN ('blue','yellow','red')),
        due_at        timestamptz NOT NULL,
        fired_at      timestamptz NOT NULL,
        via           text NOT NULL CHECK (via IN ('job','reconciler','action')),
        action_state  text NOT NULL DEFAULT 'none' CHECK (action_state IN ('none','pending','done','refused')),
        action_result text,
        notified_at   timestamptz,
        UNIQUE (clock_id, threshold, clock_version),
        CHECK (fired_at >= due_at)
      )`);
    await q.query(`CREATE INDEX sla_firings_ticket_idx ON sla_firings (ticket_id)`);
    await q.query(`CREATE INDEX sla_firings_pending_action_idx ON sla_firings (fired_at) WHERE action_state = 'pending'`);

    await q.query(`
      CREATE TABLE sla_dead_letters (
        id          bigserial PRIMARY KEY,
        firing_id   bigint NOT NULL UNIQUE REFERENCES sla_firings(id),
        attempts    integer NOT NULL CHECK (attempts > 0),
        last_error  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        retried_at  timestamptz
      )`);

    await q.query(`
      CREATE TABLE sla_recomputations (
        id            bigserial PRIMARY KEY,
        requested_by  uuid REFERENCES users(id),
        filter        jsonb NOT NULL,
        examined      integer NOT NULL,
        moved         integer NOT NULL,
        changes       jsonb NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`INSERT INTO sla_calendars (code, parent_code, grid_node_id, current_version) VALUES ($1, NULL, NULL, $2)`,
      [CN_NATIONAL_2025_2026.code, CN_NATIONAL_2025_2026.version]);
    await q.query(`INSERT INTO sla_calendar_versions (code, version, definition, note) VALUES ($1, $2, $3, $4)`,
      [CN_NATIONAL_2025_2026.code, CN_NATIONAL_2025_2026.version, JSON.stringify(CN_NATIONAL_2025_2026), 'State Council schedules 2025 and 2026 国务院办公厅节假日安排']);
    await q.query(`INSERT INTO sla_policies (code, platform, current_version) VALUES ('default', NULL, 1)`);
    await q.query(`INSERT INTO sla_policy_versions (code, version, definition, note) VALUES ('default', 1, $1, 'default policy')`, [JSON.stringify(DEFAULT_POLICY)]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sla_recomputations`);
    await q.query(`DROP TABLE sla_dead_letters`);
    await q.query(`DROP TABLE sla_firings`);
    await q.query(`DROP TABLE sla_timers`);
    await q.query(`DROP INDEX ticket_clocks_live_deadline_idx`);
    await q.query(`ALTER TABLE ticket_clocks DROP COLUMN level, DROP COLUMN thresholds_fired, DROP COLUMN calendar_key,
      DROP COLUMN policy_version, DROP COLUMN policy_code`);
    await q.query(`DROP TABLE sla_policy_versions`);
    await q.query(`DROP TABLE sla_policies`);
    await q.query(`DROP TABLE sla_calendar_versions`);
    await q.query(`DROP TABLE sla_calendars`);
  }
}
