import { TicketEventsMonthlyPartitions1764300460000 } from '../../src/database/migrations/1764300460000-ticket-events-monthly-partitions';
import { EventPartitionsJob, PARTITION_MONTHS_AHEAD } from '../../src/modules/tickets/event-partitions.job';
import { createTestApp, type TestApp } from '../support/test-app';
import { JPEG, MANHOLE, codeIds, fileTicket, mustAct } from '../support/tickets';

jest.setTimeout(60_000);

/**
 * The event log in monthly partitions by the filing month of its ticket (SPEC §11; migration 1764300460000): where
 * events land, that every partition is as immutable as the log, that (ticket, seq) stays unique, the worker's job that
 * keeps months ready and empties the default partition, the attachment → event check, and the migration both ways.
 */
describe('event log: monthly partitions 事件日志按月分区', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    grid = await t.login('demo.grid');
  });
  afterAll(async () => { await t.close(); });

  const monthName = (d: Date): string => {
    const s = new Date(d.getTime() + 8 * 3600_000).toISOString();
    return `ticket_events_${s.slice(0, 4)}_${s.slice(5, 7)}`;
  };
  const partitionsOf = async (ticketId: string): Promise<string[]> =>
    (await t.ds.query(`SELECT DISTINCT tableoid::regclass::text AS p FROM ticket_events WHERE ticket_id = $1 ORDER BY 1`, [ticketId])).map((r: { p: string }) => r.p);

  it('puts every event of a ticket in the partition of its filing month (Asia/Shanghai), with filed_at = the filing', async () => {
    const filed = (await fileTicket(t, grid, MANHOLE)).body;
    const dispatcher = await t.login('demo.dispatcher');
    await mustAct(t, dispatcher, filed.id, 'register');
    await mustAct(t, dispatcher, filed.id, 'supervise', { note: '请尽快处理' });
    const [ticket] = await t.ds.query(`SELECT created_at FROM tickets WHERE id = $1`, [filed.id]);
    expect(await partitionsOf(filed.id)).toEqual([monthName(ticket.created_at)]);
    const events = await t.ds.query(`SELECT seq, filed_at FROM ticket_events WHERE ticket_id = $1 ORDER BY seq`, [filed.id]);
    expect(events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
    for (const e of events) expect(e.filed_at.getTime()).toBe(ticket.created_at.getTime());
    // The timeline reads them back in order.
    const timeline = await t.request('GET', `/api/v1/tickets/${filed.id}/events`, { token: dispatcher });
    expect(timeline.body.map((e: { action: string }) => e.action)).toEqual(['file', 'register', 'supervise']);
  });

  it('keeps the months ready: this month and the next three exist; the job creates none that exist', async () => {
    const [{ names }] = await t.ds.query(
      `SELECT array_agg(c.relname::text ORDER BY c.relname) AS names FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'ticket_events'::regclass`);
    const now = new Date();
    for (let k = 0; k <= PARTITION_MONTHS_AHEAD; k++) {
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + k, 15));
      expect(names).toContain(monthName(d));
    }
    expect(names).toContain('ticket_events_default');
    expect(await t.app.get(EventPartitionsJob).handle()).toEqual({ created: 0, inDefault: 0 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE on every partition, as on the log', async () => {
    const parts: Array<{ p: string }> = await t.ds.query(
      `SELECT c.relname::text AS p FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'ticket_events'::regclass`);
    expect(parts.length).toBeGreaterThanOrEqual(PARTITION_MONTHS_AHEAD + 2);
    const [{ p: used }] = await t.ds.query(`SELECT tableoid::regclass::text AS p FROM ticket_events LIMIT 1`);
    await expect(t.ds.query(`UPDATE ${used} SET note = 'x'`)).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`DELETE FROM ${used}`)).rejects.toThrow(/immutable/);
    for (const { p } of parts) await expect(t.ds.query(`TRUNCATE ${p}`)).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`TRUNCATE ticket_events`)).rejects.toThrow(/immutable/);
  });

  it('keeps (ticket, seq) unique', async () => {
    const filed = (await fileTicket(t, grid, { ...MANHOLE, title: '电务小区9号楼井盖缺失' })).body;
    await expect(t.ds.query(
      `INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_role, to_status) SELECT id, created_at, 1, 'file', 'system', 'reported' FROM tickets WHERE id = $1`,
      [filed.id])).rejects.toThrow(/duplicate key/);
  });

  it('a ticket filed outside the prepared months lands in the default partition; the job moves it into the month it creates', async () => {
    // A ticket whose filing month (2041-03) has no partition yet, e.g. one imported with its own times.
    const importTicket = async (number: string, at: string): Promise<string> => {
      const [{ id: ticketId }] = await t.ds.query(
        `INSERT INTO tickets (number, platform, category_id, category_code, priority, title, description, grid_node_id, grid_path, channel, status, created_at, updated_at)
         SELECT $2, c.platform, c.id, c.code, 'normal', '导入工单', '历史数据导入', g.id, g.path, 'patrol', 'reported', $3, $3
           FROM categories c, grid_nodes g WHERE c.code = '0101' AND c.superseded_at IS NULL AND g.id = $1 RETURNING id`, [ids['210902001'], number, at]);
      await t.ds.query(
        `INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_role, to_status, at) VALUES ($1, $2, 1, 'file', 'system', 'reported', $2)`, [ticketId, at]);
      return ticketId;
    };
    const id = await importTicket('FX-20410315-000001', '2041-03-15T04:00:00Z');
    expect(await partitionsOf(id)).toEqual(['ticket_events_default']);
    const job = t.app.get(EventPartitionsJob);
    const result = await job.handle();
    // Only the month the waiting row needs: the months in between are not made.
    expect(result.created).toBe(1);
    expect(result.inDefault).toBe(0);
    expect(await partitionsOf(id)).toEqual(['ticket_events_2041_03']);
    expect((await t.ds.query(`SELECT count(*)::int AS n FROM ticket_events WHERE ticket_id = $1`, [id]))[0].n).toBe(1);
    // The default partition is immutable again after the move.
    const later = await importTicket('FX-20990101-000001', '2099-01-01T04:00:00Z');
    expect(await partitionsOf(later)).toEqual(['ticket_events_default']);
    const defaultRows = async () => Number(/^ticket_events_default_rows (\S+)$/m.exec((await t.request('GET', '/metrics')).text)?.[1]);
    expect(await defaultRows()).toBe(1);
    await expect(t.ds.query(`DELETE FROM ticket_events_default`)).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`UPDATE ticket_events_default SET note = 'x'`)).rejects.toThrow(/immutable/);
    // Two workers at once: they take turns on the partition DDL, and the month is made once.
    const both = await Promise.all([job.handle(), job.handle()]);
    expect(both.map((r) => r.created).sort()).toEqual([0, 1]);
    expect(both.map((r) => r.inDefault)).toEqual([0, 0]);
    expect(await partitionsOf(later)).toEqual(['ticket_events_2099_01']);
    await new Promise((r) => setTimeout(r, 1100)); // the ops gauges share one read per second
    expect(await defaultRows()).toBe(0);
  });

  it('links an attachment only to an event of its own ticket', async () => {
    const a = (await fileTicket(t, grid, { ...MANHOLE, title: '电务小区10号楼井盖缺失' })).body;
    const b = (await fileTicket(t, grid, { ...MANHOLE, title: '电务小区11号楼井盖缺失' })).body;
    const up = await t.request('POST', `/api/v1/tickets/${a.id}/attachments`, { token: grid, raw: JPEG, headers: { 'content-type': 'image/jpeg' } });
    expect(up.status).toBe(201);
    const [eventOfB] = await t.ds.query(`SELECT id FROM ticket_events WHERE ticket_id = $1`, [b.id]);
    const [eventOfA] = await t.ds.query(`SELECT id FROM ticket_events WHERE ticket_id = $1`, [a.id]);
    await expect(t.ds.query(`UPDATE attachments SET event_id = $2 WHERE id = $1`, [up.body.id, eventOfB.id])).rejects.toThrow(/not an event of ticket/);
    await expect(t.ds.query(`UPDATE attachments SET event_id = 999999999 WHERE id = $1`, [up.body.id])).rejects.toThrow(/not an event of ticket/);
    await t.ds.query(`UPDATE attachments SET event_id = $2 WHERE id = $1`, [up.body.id, eventOfA.id]);
  });

  it('the migration reverts to one table and re-applies with every event, id and sequence kept', async () => {
    const snapshot = async () => (await t.ds.query(
      `SELECT count(*)::int AS n, sum(id)::text AS ids, sum(seq)::int AS seqs, (SELECT last_value::text FROM ticket_events_id_seq) AS seqval FROM ticket_events`))[0];
    const before = await snapshot();
    const runner = t.ds.createQueryRunner();
    try {
      await new TicketEventsMonthlyPartitions1764300460000().down(runner);
      expect((await t.ds.query(`SELECT relkind::text AS k FROM pg_class WHERE relname = 'ticket_events'`))[0].k).toBe('r');
      expect(await snapshot()).toEqual(before);
      await new TicketEventsMonthlyPartitions1764300460000().up(runner);
      expect((await t.ds.query(`SELECT relkind::text AS k FROM pg_class WHERE relname = 'ticket_events'`))[0].k).toBe('p');
      expect(await snapshot()).toEqual(before);
    } finally {
      await runner.release();
    }
    // Filing and acting still work on the re-created log.
    const filed = await fileTicket(t, grid, { ...MANHOLE, title: '电务小区12号楼井盖缺失' });
    expect(filed.status).toBe(201);
    const [{ id: lastId }] = await t.ds.query(`SELECT max(id)::text AS id FROM ticket_events`);
    expect(BigInt(lastId)).toBeGreaterThan(BigInt(before.seqval));
  });
});
