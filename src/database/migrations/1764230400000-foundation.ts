import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Foundation: grid tree (ltree paths, so subtree queries are GiST index scans), handling units,
 * users and their scopes, refresh tokens, per-role policies, and the append-only audit log.
 */
export class Foundation1764230400000 implements MigrationInterface {
  name = 'Foundation1764230400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS ltree`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);

    await q.query(`
      CREATE TABLE grid_nodes (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        parent_id   uuid REFERENCES grid_nodes(id) ON DELETE RESTRICT,
        code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z_]{1,40}$'),
        name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
        level       text NOT NULL CHECK (level ~ '^[a-z_]{1,30}$'),
        depth       integer NOT NULL CHECK (depth >= 0),
        path        ltree NOT NULL UNIQUE,
        polygon     jsonb,
        lat         double precision CHECK (lat BETWEEN -90 AND 90),
        lng         double precision CHECK (lng BETWEEN -180 AND 180),
        created_at  timestamptz NOT NULL DEFAULT now(),
        CHECK ((parent_id IS NULL) = (depth = 0)),
        CHECK (nlevel(path) = depth + 1)
      )`);
    await q.query(`CREATE INDEX grid_nodes_path_gist ON grid_nodes USING gist (path)`);
    await q.query(`CREATE INDEX grid_nodes_parent_idx ON grid_nodes (parent_id)`);

    await q.query(`
      CREATE TABLE units (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code                  text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z_-]{1,40}$'),
        name_zh               text NOT NULL CHECK (char_length(name_zh) BETWEEN 1 AND 100),
        name_en               text NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 200),
        type                  text NOT NULL CHECK (type IN ('command_centre','bureau','utility','street_office',
                                'mediation_committee','party_branch','service_centre','community')),
        jurisdiction_node_id  uuid NOT NULL REFERENCES grid_nodes(id) ON DELETE RESTRICT,
        active                boolean NOT NULL DEFAULT true,
        created_at            timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX units_jurisdiction_idx ON units (jurisdiction_node_id)`);

    await q.query(`
      CREATE TABLE users (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username             text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,39}$'),
        display_name         text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
        role                 text NOT NULL CHECK (role IN ('grid_worker','dispatcher','handler','official','auditor','admin')),
        scope_node_id        uuid NOT NULL REFERENCES grid_nodes(id) ON DELETE RESTRICT,
        unit_id              uuid REFERENCES units(id) ON DELETE RESTRICT,
        password_hash        text NOT NULL,
        password_changed_at  timestamptz NOT NULL DEFAULT now(),
        failed_logins        integer NOT NULL DEFAULT 0,
        locked_until         timestamptz,
        totp_secret          text,
        totp_enabled         boolean NOT NULL DEFAULT false,
        on_duty              boolean NOT NULL DEFAULT false,
        active               boolean NOT NULL DEFAULT true,
        is_demo              boolean NOT NULL DEFAULT false,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        CHECK (role <> 'handler' OR unit_id IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX users_scope_idx ON users (scope_node_id)`);
    await q.query(`CREATE INDEX users_unit_idx ON users (unit_id)`);

    await q.query(`
      CREATE TABLE role_policies (
        role           text PRIMARY KEY CHECK (role IN ('grid_worker','dispatcher','handler','official','auditor','admin')),
        totp_required  boolean NOT NULL DEFAULT false,
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO role_policies (role) VALUES
      ('grid_worker'),('dispatcher'),('handler'),('official'),('auditor'),('admin')`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id    uuid NOT NULL,
        token_hash   bytea NOT NULL UNIQUE,
        expires_at   timestamptz NOT NULL,
        used_at      timestamptz,
        revoked_at   timestamptz,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)`);

    await q.query(`
      CREATE TABLE audit_log (
        id              bigserial PRIMARY KEY,
        at              timestamptz NOT NULL DEFAULT now(),
        actor_id        uuid,
        actor_username  text,
        actor_role      text,
        action          text NOT NULL,
        target          text,
        method          text,
        path            text,
        status          integer,
        result          text NOT NULL CHECK (result IN ('success','failure','denied')),
        request_id      text,
        ip              text,
        details         jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at)`);
    await q.query(`CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at)`);
    // Append-only: the database itself refuses edits, and deletes of rows younger than 180 days
    // (the retention job may only remove what the law no longer requires us to keep).
    await q.query(`
      CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND OLD.at < now() - interval '180 days' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_guard()`);
    await q.query(`
      CREATE FUNCTION audit_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_log is append-only (TRUNCATE refused)' USING ERRCODE = 'insufficient_privilege'; END $$`);
    await q.query(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP FUNCTION audit_log_guard()`);
    await q.query(`DROP FUNCTION audit_log_no_truncate()`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE role_policies`);
    await q.query(`DROP TABLE users`);
    await q.query(`DROP TABLE units`);
    await q.query(`DROP TABLE grid_nodes`);
  }
}
