import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event log in monthly partitions (SPEC §11), by the **filing month of its ticket** (Asia/Shanghai): every event
 * carries its ticket's `created_at` as `filed_at`, so a ticket's whole history lives in one partition and
 * `(ticket_id, seq)` stays unique — a partitioned table can only enforce keys that include the partition key, and
 * `(ticket_id, seq, filed_at)` is that key, since `filed_at` is the same for every event of a ticket. Partitioning by
 * the event's own time would have given up that guarantee. A month of filings whose tickets are all closed and
 * archived can be detached and moved to cold storage as one table (docs/operations.md).
 *
 * `ticket_events_ensure_partitions(from, to)` creates the missing months between two dates (the worker's daily job
 * keeps three months ahead); `ticket_events_default` takes any row outside them, so a filing never fails for want of
 * a partition, and the function moves such rows into the month it creates. Each partition refuses UPDATE, DELETE
 * and TRUNCATE like the log always did. `attachments.event_id` can no longer reference the log by a foreign key (the
 * log's key includes `filed_at`): a trigger checks that the event exists and belongs to the same ticket.
 */
/** The log's columns from `ticket_id` to `at`, the same before and after (the key and `filed_at` differ). */
const EVENT_COLUMNS = `ticket_id    uuid NOT NULL REFERENCES tickets(id),
        seq          integer NOT NULL CHECK (seq > 0),
        action       text NOT NULL,
        actor_id     uuid,
        actor_role   text NOT NULL,
        from_status  text,
        to_status    text NOT NULL,
        note         text CHECK (char_length(note) <= 2000),
        data         jsonb NOT NULL DEFAULT '{}'::jsonb,
        at           timestamptz NOT NULL DEFAULT now()`;

/** What both directions copy: every column but `filed_at`. */
const COPIED = 'id, ticket_id, seq, action, actor_id, actor_role, from_status, to_status, note, data, at';

/** The log refuses UPDATE, DELETE (per row, cloned onto partitions) and TRUNCATE (per table). */
const IMMUTABLE = [
  `CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events FOR EACH ROW EXECUTE FUNCTION ticket_events_immutable()`,
  `CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_immutable()`,
];

export class TicketEventsMonthlyPartitions1764300460000 implements MigrationInterface {
  name = 'TicketEventsMonthlyPartitions1764300460000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attachments DROP CONSTRAINT attachments_event_id_fkey`);
    await q.query(`ALTER TABLE ticket_events RENAME TO ticket_events_unpartitioned`);
    await q.query(`ALTER INDEX ticket_events_pkey RENAME TO ticket_events_unpartitioned_pkey`);
    await q.query(`ALTER INDEX ticket_events_ticket_id_seq_key RENAME TO ticket_events_unpartitioned_ticket_id_seq_key`);
    await q.query(`ALTER INDEX ticket_events_at_idx RENAME TO ticket_events_unpartitioned_at_idx`);

    await q.query(`
      CREATE TABLE ticket_events (
        id           bigint NOT NULL DEFAULT nextval('ticket_events_id_seq'),
        ${EVENT_COLUMNS},
        filed_at     timestamptz NOT NULL,
        PRIMARY KEY (id, filed_at),
        UNIQUE (ticket_id, seq, filed_at)
      ) PARTITION BY RANGE (filed_at)`);
    await q.query(`CREATE INDEX ticket_events_at_idx ON ticket_events (at)`);
    for (const statement of IMMUTABLE) await q.query(statement);
    await q.query(`CREATE TABLE ticket_events_default PARTITION OF ticket_events DEFAULT`);
    await q.query(`CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events_default
      FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_immutable()`);

    // One month's partition, named ticket_events_YYYY_MM after the Asia/Shanghai month it holds. Rows of that month
    // already in the default partition are moved into it first (the only time the log's rows move, within this
    // function's transaction, with the immutability trigger of the default partition switched off for the move).
    await q.query(`
      CREATE FUNCTION ticket_events_ensure_partitions(first_month date, last_month date) RETURNS integer
      LANGUAGE plpgsql AS $$
      DECLARE
        m date := date_trunc('month', first_month)::date;
        created integer := 0;
        name text;
        lo timestamptz;
        hi timestamptz;
      BEGIN
        -- Workers running this at once take turns; the second finds the months made.
        PERFORM pg_advisory_xact_lock(764230046);
        WHILE m <= last_month LOOP
          name := 'ticket_events_' || to_char(m, 'YYYY_MM');
          IF to_regclass(name) IS NULL THEN
            lo := m::timestamp AT TIME ZONE 'Asia/Shanghai';
            hi := (m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai';
            EXECUTE format('CREATE TABLE %I (LIKE ticket_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
            IF EXISTS (SELECT 1 FROM ticket_events_default WHERE filed_at >= lo AND filed_at < hi) THEN
              EXECUTE format('INSERT INTO %I SELECT * FROM ticket_events_default WHERE filed_at >= %L AND filed_at < %L', name, lo, hi);
              ALTER TABLE ticket_events_default DISABLE TRIGGER ticket_events_no_change;
              DELETE FROM ticket_events_default WHERE filed_at >= lo AND filed_at < hi;
              ALTER TABLE ticket_events_default ENABLE TRIGGER ticket_events_no_change;
            END IF;
            EXECUTE format('ALTER TABLE ticket_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
            EXECUTE format('CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_immutable()', name);
            created := created + 1;
          END IF;
          m := (m + interval '1 month')::date;
        END LOOP;
        RETURN created;
      END $$`);
    // From the oldest filing month (or this one) to three months ahead.
    await q.query(`
      SELECT ticket_events_ensure_partitions(
        coalesce((SELECT min(created_at) AT TIME ZONE 'Asia/Shanghai' FROM tickets), now() AT TIME ZONE 'Asia/Shanghai')::date,
        ((now() AT TIME ZONE 'Asia/Shanghai') + interval '3 months')::date)`);

    await q.query(`
      INSERT INTO ticket_events (${COPIED}, filed_at)
      SELECT ${COPIED.split(', ').map((c) => `e.${c}`).join(', ')}, t.created_at
        FROM ticket_events_unpartitioned e JOIN tickets t ON t.id = e.ticket_id`);
    await q.query(`ALTER SEQUENCE ticket_events_id_seq OWNED BY ticket_events.id`);
    await q.query(`DROP TABLE ticket_events_unpartitioned`);

    await q.query(`
      CREATE FUNCTION attachments_event_exists() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.event_id IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM ticket_events e JOIN tickets t ON t.id = NEW.ticket_id
              WHERE e.ticket_id = NEW.ticket_id AND e.filed_at = t.created_at AND e.id = NEW.event_id) THEN
          RAISE EXCEPTION 'attachment % names event %, which is not an event of ticket %', NEW.id, NEW.event_id, NEW.ticket_id
            USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER attachments_event_exists BEFORE INSERT OR UPDATE OF event_id ON attachments
      FOR EACH ROW EXECUTE FUNCTION attachments_event_exists()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER attachments_event_exists ON attachments`);
    await q.query(`DROP FUNCTION attachments_event_exists()`);
    await q.query(`ALTER TABLE ticket_events RENAME TO ticket_events_partitioned`);
    await q.query(`ALTER INDEX ticket_events_pkey RENAME TO ticket_events_partitioned_pkey`);
    await q.query(`ALTER INDEX ticket_events_ticket_id_seq_filed_at_key RENAME TO ticket_events_partitioned_ticket_id_seq_filed_at_key`);
    await q.query(`ALTER INDEX ticket_events_at_idx RENAME TO ticket_events_partitioned_at_idx`);
    await q.query(`
      CREATE TABLE ticket_events (
        id           bigint PRIMARY KEY DEFAULT nextval('ticket_events_id_seq'),
        ${EVENT_COLUMNS},
        UNIQUE (ticket_id, seq)
      )`);
    await q.query(`CREATE INDEX ticket_events_at_idx ON ticket_events (at)`);
    await q.query(`
      INSERT INTO ticket_events (${COPIED}) SELECT ${COPIED} FROM ticket_events_partitioned`);
    await q.query(`ALTER SEQUENCE ticket_events_id_seq OWNED BY ticket_events.id`);
    await q.query(`DROP TABLE ticket_events_partitioned`);
    await q.query(`DROP FUNCTION ticket_events_ensure_partitions(date, date)`);
    for (const statement of IMMUTABLE) await q.query(statement);
    await q.query(`ALTER TABLE attachments ADD CONSTRAINT attachments_event_id_fkey FOREIGN KEY (event_id) REFERENCES ticket_events(id)`);
  }
}
