import type { MigrationInterface, QueryRunner } from 'typeorm';
import { searchText } from '../../common/personal-text';

/**
 * Text search over what a reader may see: `tickets.search_text` is the ticket's title, description and address with
 * the personal data in them masked as every answer masks them (`searchText` → `maskPersonalText`: phones, ID numbers,
 * e-mails). The
 * list's `q` matched the stored text before, so `q=1385` … `q=13851` could recover a masked phone number digit by
 * digit without the audited reveal. Written by the filing (intake) from now on; the trigram index moves to it.
 *
 * Backfill: in batches of 5,000 tickets (keyset by id), masked in the application's code so the two can never differ;
 * at a million tickets a few minutes. Nullable: rows written by hand (benchmark seeds, tests) without it are simply
 * not found by text (their number still is).
 */
export class TicketSearchText1764400300000 implements MigrationInterface {
  name = 'TicketSearchText1764400300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets ADD COLUMN search_text text`);
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows: Array<{ id: string; title: string; description: string; address: string | null }> = await q.query(
        `SELECT id::text, title, description, address FROM tickets WHERE id > $1::uuid ORDER BY id LIMIT 5000`, [after]);
      if (rows.length === 0) break;
      await q.query(
        `UPDATE tickets t SET search_text = x.s FROM unnest($1::uuid[], $2::text[]) AS x(id, s) WHERE t.id = x.id`,
        [rows.map((r) => r.id), rows.map((r) => searchText(r.title, r.description, r.address))]);
      after = rows[rows.length - 1]!.id;
    }
    await q.query(`DROP INDEX IF EXISTS tickets_text_trgm`);
    await q.query(`CREATE INDEX tickets_search_trgm ON tickets USING gin (search_text gin_trgm_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tickets_search_trgm`);
    await q.query(`CREATE INDEX tickets_text_trgm ON tickets USING gin ((title || ' ' || description || ' ' || coalesce(address, '')) gin_trgm_ops)`);
    await q.query(`ALTER TABLE tickets DROP COLUMN search_text`);
  }
}
