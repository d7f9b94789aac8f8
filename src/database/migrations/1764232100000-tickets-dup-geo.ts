import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Duplicate suggestions (疑似重复) of a located filing look for tickets of the same category inside a bounding box
 * of the radius: `tickets_dup_geo_idx` walks the box's latitude band of the category and checks the filing
 * window on the index entry, so only tickets in the band and window are read (it used to read every ticket of
 * the category filed within the window, anywhere in the city). Tickets without a location are found through
 * `tickets_dup_noloc_idx`. `tickets_dup_idx` stays for filings without a location (every ticket of the category
 * in the window is a candidate).
 */
export class TicketsDupGeo1764232100000 implements MigrationInterface {
  name = 'TicketsDupGeo1764232100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX tickets_dup_geo_idx ON tickets (category_code, lat, created_at) WHERE lat IS NOT NULL`);
    await q.query(`CREATE INDEX tickets_dup_noloc_idx ON tickets (category_code, created_at) WHERE lat IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tickets_dup_noloc_idx`);
    await q.query(`DROP INDEX tickets_dup_geo_idx`);
  }
}
