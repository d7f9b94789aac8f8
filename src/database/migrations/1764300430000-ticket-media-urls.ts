import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Media links of a ticket (`tickets.media_urls`): URLs of photos or videos kept by the filer's own system — a
 * residents' app through Open311 (`media_url`), a 12345 hotline platform, a patrol app — as opposed to
 * attachments, which we store. Never fetched by us. A column with a constant default: no table rewrite
 * (PostgreSQL 11+), so it is instant on a table of millions.
 */
export class TicketMediaUrls1764300430000 implements MigrationInterface {
  name = 'TicketMediaUrls1764300430000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tickets
        ADD COLUMN media_urls text[] NOT NULL DEFAULT '{}' CHECK (cardinality(media_urls) <= 10)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets DROP COLUMN media_urls`);
  }
}
