import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Catalogue: the five platforms (seeded here: they are code, not data), the versioned category tree and
 * the case standards of each category version. A version is immutable once written; an edit inserts the
 * next version and stamps the previous one `superseded_at`, so a ticket filed under a version keeps
 * exactly the standard it was filed under.
 */
export class Catalogue1764230500000 implements MigrationInterface {
  name = 'Catalogue1764230500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE platforms (
        code     text PRIMARY KEY CHECK (code IN ('community_governance','dispute_resolution','request_handling',
                   'convenience_services','party_building')),
        name_zh  text NOT NULL CHECK (char_length(name_zh) BETWEEN 1 AND 100),
        name_en  text NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 200),
        sort     integer NOT NULL UNIQUE
      )`);
    await q.query(`INSERT INTO platforms (code, name_zh, name_en, sort) VALUES
      ('community_governance', '社区治理', 'Community Governance', 1),
      ('dispute_resolution', '纠纷化解', 'Dispute Resolution', 2),
      ('request_handling', '诉求办理', 'Request Handling', 3),
      ('convenience_services', '便民服务', 'Convenience Services', 4),
      ('party_building', '智慧党建', 'Smart Party Building', 5)`);

    // Parents are named by code, not id: a parent's new version does not touch its children.
    await q.query(`
      CREATE TABLE categories (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code           text NOT NULL CHECK (code ~ '^[0-9A-Za-z_]{1,40}$'),
        version        integer NOT NULL CHECK (version >= 1),
        platform       text NOT NULL REFERENCES platforms(code) ON DELETE RESTRICT,
        level          text NOT NULL CHECK (level IN ('major','minor','detail')),
        parent_code    text CHECK (parent_code ~ '^[0-9A-Za-z_]{1,40}$'),
        name_zh        text NOT NULL CHECK (char_length(name_zh) BETWEEN 1 AND 100),
        name_en        text NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 200),
        materials      jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(materials) = 'array'),
        created_at     timestamptz NOT NULL DEFAULT now(),
        superseded_at  timestamptz,
        created_by     uuid REFERENCES users(id) ON DELETE RESTRICT,
        UNIQUE (code, version),
        CHECK ((level = 'major') = (parent_code IS NULL)),
        CHECK (parent_code IS DISTINCT FROM code)
      )`);
    // Exactly one current version per code.
    await q.query(`CREATE UNIQUE INDEX categories_current_code_uq ON categories (code) WHERE superseded_at IS NULL`);
    await q.query(`CREATE INDEX categories_current_platform_idx ON categories (platform, code) WHERE superseded_at IS NULL`);

    await q.query(`
      CREATE TABLE case_standards (
        id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        category_id             uuid NOT NULL REFERENCES categories(id) ON DELETE RESTRICT,
        code                    text NOT NULL CHECK (code ~ '^[0-9A-Za-z_]{1,40}$'),
        name_zh                 text NOT NULL CHECK (char_length(name_zh) BETWEEN 1 AND 100),
        name_en                 text NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 200),
        filing_condition_zh     text NOT NULL CHECK (char_length(filing_condition_zh) BETWEEN 1 AND 1000),
        closing_condition_zh    text NOT NULL CHECK (char_length(closing_condition_zh) BETWEEN 1 AND 1000),
        priority                text NOT NULL CHECK (priority IN ('extra_urgent','urgent','normal')),
        clock_type              text NOT NULL CHECK (clock_type IN ('natural','working_hours','working_days')),
        resolve_limit_seconds   integer,
        resolve_limit_days      numeric(6,2),
        start_next_working_day  boolean NOT NULL DEFAULT false,
        default_unit_type       text CHECK (default_unit_type ~ '^[a-z_]{1,40}$'),
        UNIQUE (category_id, code),
        -- The limit that matches the clock is present and positive; the other one is absent.
        CHECK (CASE WHEN clock_type = 'working_days'
                 THEN resolve_limit_days > 0 AND resolve_limit_seconds IS NULL
                 ELSE resolve_limit_seconds > 0 AND resolve_limit_days IS NULL END)
      )`);

    // Versions are immutable: a category row may only be stamped superseded (once); standards never change.
    await q.query(`
      CREATE FUNCTION catalogue_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- Nested: the row of case_standards has no superseded_at to look at.
        IF TG_TABLE_NAME = 'categories' AND TG_OP = 'UPDATE' THEN
          IF OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL
             AND (to_jsonb(NEW) - 'superseded_at') = (to_jsonb(OLD) - 'superseded_at') THEN
            RETURN NEW;
          END IF;
        END IF;
        RAISE EXCEPTION 'catalogue versions are immutable (% on % refused)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER categories_immutable BEFORE UPDATE OR DELETE ON categories
      FOR EACH ROW EXECUTE FUNCTION catalogue_version_guard()`);
    await q.query(`CREATE TRIGGER case_standards_immutable BEFORE UPDATE OR DELETE ON case_standards
      FOR EACH ROW EXECUTE FUNCTION catalogue_version_guard()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE case_standards`);
    await q.query(`DROP TABLE categories`);
    await q.query(`DROP FUNCTION catalogue_version_guard()`);
    await q.query(`DROP TABLE platforms`);
  }
}
