import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attachments are evidence, like the event log they belong to (a photo of the repaired cover is what verification
 * judges): the database refuses to delete or truncate them, and to change one — except the one write the application
 * makes, linking an uploaded, unlinked attachment to the event of the action that used it (`event_id` from null).
 * Before, only the event-log rows themselves were protected; a linked attachment row could be re-pointed or removed.
 */
export class AttachmentsImmutable1764400400000 implements MigrationInterface {
  name = 'AttachmentsImmutable1764400400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION attachments_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.event_id IS NULL AND NEW.event_id IS NOT NULL
           AND (NEW.id, NEW.ticket_id, NEW.storage_key, NEW.content_type, NEW.size_bytes, NEW.sha256, NEW.created_at)
               = (OLD.id, OLD.ticket_id, OLD.storage_key, OLD.content_type, OLD.size_bytes, OLD.sha256, OLD.created_at)
           AND NEW.uploaded_by IS NOT DISTINCT FROM OLD.uploaded_by THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'attachments are immutable (% refused; only linking an unlinked attachment to its event is allowed)', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER attachments_immutable BEFORE UPDATE OR DELETE ON attachments
      FOR EACH ROW EXECUTE FUNCTION attachments_immutable()`);
    await q.query(`CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments
      FOR EACH STATEMENT EXECUTE FUNCTION attachments_immutable()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER attachments_no_truncate ON attachments`);
    await q.query(`DROP TRIGGER attachments_immutable ON attachments`);
    await q.query(`DROP FUNCTION attachments_immutable()`);
  }
}
