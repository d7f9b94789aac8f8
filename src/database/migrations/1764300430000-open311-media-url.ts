import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GeoReport v2 `media_url`: the URL of a photo or other media a client gives when filing (its own storage; we
 * never fetch it). Kept beside the request link and published with the request's own text. A new nullable
 * column: no rewrite of existing rows.
 */
export class Open311MediaUrl1764300430000 implements MigrationInterface {
  name = 'Open311MediaUrl1764300430000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE open311_requests
        ADD COLUMN media_url text CHECK (media_url IS NULL OR (char_length(media_url) <= 2000 AND media_url ~ '^https?://'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE open311_requests DROP COLUMN media_url`);
  }
}
