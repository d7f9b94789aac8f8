import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Open311 GeoReport v2: API keys (only a SHA-256 of each key is stored), the link from a ticket to the key
 * that filed it with the reporter's e-mail and device id encrypted (FieldCipher), per-minute rate windows,
 * and a point-in-polygon test over the GeoJSON polygons of grid_nodes (no PostGIS needed).
 */
export class Open3111764230900000 implements MigrationInterface {
  name = 'Open3111764230900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE open311_api_keys (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        key_hash              text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
        key_prefix            text NOT NULL CHECK (char_length(key_prefix) BETWEEN 1 AND 12),
        name                  text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
        jurisdiction_node_id  uuid NOT NULL REFERENCES grid_nodes(id) ON DELETE RESTRICT,
        rate_limit_per_minute integer NOT NULL DEFAULT 60 CHECK (rate_limit_per_minute BETWEEN 1 AND 100000),
        active                boolean NOT NULL DEFAULT true,
        is_demo               boolean NOT NULL DEFAULT false,
        created_by            uuid REFERENCES users(id),
        created_at            timestamptz NOT NULL DEFAULT now(),
        revoked_at            timestamptz,
        CHECK (active = (revoked_at IS NULL))
      )`);
    await q.query(`CREATE INDEX open311_api_keys_jurisdiction_idx ON open311_api_keys (jurisdiction_node_id)`);

    await q.query(`
      CREATE TABLE open311_requests (
        ticket_id      uuid PRIMARY KEY REFERENCES tickets(id),
        api_key_id     uuid NOT NULL REFERENCES open311_api_keys(id),
        email_enc      text,
        device_id_enc  text,
        created_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX open311_requests_key_idx ON open311_requests (api_key_id, created_at)`);

    await q.query(`
      CREATE TABLE open311_rate_windows (
        subject       text NOT NULL CHECK (char_length(subject) <= 80),
        window_start  timestamptz NOT NULL,
        hits          integer NOT NULL CHECK (hits > 0),
        PRIMARY KEY (subject, window_start)
      )`);
    await q.query(`CREATE INDEX open311_rate_windows_start_idx ON open311_rate_windows (window_start)`);

    // Ray casting over one GeoJSON ring ([[lng, lat], ...]); malformed input is simply "not inside".
    await q.query(`
      CREATE FUNCTION open311_in_ring(ring jsonb, lat float8, lng float8) RETURNS boolean
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        n int; i int; j int; xi float8; yi float8; xj float8; yj float8; inside boolean := false;
      BEGIN
        IF jsonb_typeof(ring) IS DISTINCT FROM 'array' THEN RETURN false; END IF;
        n := jsonb_array_length(ring);
        IF n < 3 THEN RETURN false; END IF;
        j := n - 1;
        FOR i IN 0 .. n - 1 LOOP
          IF jsonb_typeof(ring->i->0) IS DISTINCT FROM 'number' OR jsonb_typeof(ring->i->1) IS DISTINCT FROM 'number'
             OR jsonb_typeof(ring->j->0) IS DISTINCT FROM 'number' OR jsonb_typeof(ring->j->1) IS DISTINCT FROM 'number' THEN
            RETURN false;
          END IF;
          xi := (ring->i->>0)::float8; yi := (ring->i->>1)::float8;
          xj := (ring->j->>0)::float8; yj := (ring->j->>1)::float8;
          IF ((yi > lat) <> (yj > lat)) AND (lng < (xj - xi) * (lat - yi) / (yj - yi) + xi) THEN
            inside := NOT inside;
          END IF;
          j := i;
        END LOOP;
        RETURN inside;
      END $$`);
    // GeoJSON Polygon (outer ring minus holes) or MultiPolygon; anything else is "not inside".
    await q.query(`
      CREATE FUNCTION open311_point_in_geojson(g jsonb, lat float8, lng float8) RETURNS boolean
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        poly jsonb; k int;
      BEGIN
        IF g IS NULL OR jsonb_typeof(g) <> 'object' OR jsonb_typeof(g->'coordinates') IS DISTINCT FROM 'array' THEN RETURN false; END IF;
        IF g->>'type' = 'Polygon' THEN
          poly := g->'coordinates';
          IF NOT open311_in_ring(poly->0, lat, lng) THEN RETURN false; END IF;
          FOR k IN 1 .. jsonb_array_length(poly) - 1 LOOP
            IF open311_in_ring(poly->k, lat, lng) THEN RETURN false; END IF;
          END LOOP;
          RETURN true;
        ELSIF g->>'type' = 'MultiPolygon' THEN
          FOR poly IN SELECT value FROM jsonb_array_elements(g->'coordinates') LOOP
            IF jsonb_typeof(poly) = 'array' AND open311_point_in_geojson(jsonb_build_object('type', 'Polygon', 'coordinates', poly), lat, lng) THEN
              RETURN true;
            END IF;
          END LOOP;
          RETURN false;
        END IF;
        RETURN false;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION open311_point_in_geojson(jsonb, float8, float8)`);
    await q.query(`DROP FUNCTION open311_in_ring(jsonb, float8, float8)`);
    await q.query(`DROP TABLE open311_rate_windows`);
    await q.query(`DROP TABLE open311_requests`);
    await q.query(`DROP TABLE open311_api_keys`);
  }
}
