import { Client } from 'pg';
import { QueueService } from '../../src/queue/queue.service';
import { fireJobId } from '../../src/modules/sla/sla-engine.service';
import { createApiTestApp, type ApiTestApp } from '../support/api-test-app';
import { killHard, killStarted, startEntry, terminate, untilLogged, type Child } from '../support/child-process';
import { ensurePostgresUp, localPostgres, ownsTestServer, restartPostgres, type LocalPostgres } from '../support/postgres-server';
import { armResolveClock, firingsOf, inProgressTicket, sleep, waitFor, type FiringRecord } from '../support/sla';
import { createTestApp, type TestApp } from '../support/test-app';
import { codeIds } from '../support/tickets';

const LIMIT = 4 * 3600; // the demo manhole: 4 hours, natural time

jest.setTimeout(120_000);

/**
 * SLA fault tests with real faults, not simulations (test/e2e/sla-timers.e2e-spec.ts has the simulated ones): a
 * worker process SIGKILLed in the middle of a firing, and the Postgres server restarted (pg_ctl) while timers are
 * due. Each proves nothing lost (every threshold fires, within a bounded time) and nothing doubled (once per clock,
 * threshold and clock version, one event, one notification), and never early.
 */
const byThreshold = (fs: Array<{ threshold: string }>) => fs.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.threshold]: (acc[f.threshold] ?? 0) + 1 }), {});

async function eventsOf(t: TestApp, id: string, action: string): Promise<number> {
  const rows = await t.ds.query(`SELECT count(*)::int AS n FROM ticket_events WHERE ticket_id = $1 AND action = $2`, [id, action]);
  return rows[0].n;
}

/** `sla.notify` outbox rows of a ticket's firings (one per firing: the job id is `sla-notify-<firing id>`). */
async function notificationsOf(t: TestApp, id: string): Promise<number> {
  const rows = await t.ds.query(
    `SELECT count(*)::int AS n FROM outbox WHERE job_name = 'sla.notify' AND payload->>'firingId' IN (SELECT id::text FROM sla_firings WHERE ticket_id = $1)`, [id]);
  return rows[0].n;
}

async function timerState(t: TestApp, clockId: string, threshold: string, version: number): Promise<string> {
  const rows = await t.ds.query(`SELECT state FROM sla_timers WHERE clock_id = $1 AND threshold = $2 AND clock_version = $3`, [clockId, threshold, version]);
  return rows[0]?.state;
}

/** Every firing of these tickets, checked for the invariants: each (clock, threshold, version) once, none early. */
async function expectOnceEachNeverEarly(t: TestApp, ticketIds: string[]): Promise<void> {
  const [row] = await t.ds.query(
    `SELECT count(*)::int AS firings, count(DISTINCT (clock_id, threshold, clock_version))::int AS keys, count(*) FILTER (WHERE fired_at < due_at)::int AS early
       FROM sla_firings WHERE ticket_id = ANY($1::uuid[])`, [ticketIds]);
  expect(row.firings).toBe(row.keys);
  expect(row.early).toBe(0);
}

describe('SLA fault tests with real faults 真实故障', () => {
  describe('a worker process killed mid-firing', () => {
    let t: ApiTestApp;
    let ids: Record<string, string>;
    let tokens: { grid: string; dispatcher: string; handler: string };
    let admin: string;
    let first: Child;
    let holder: Client | undefined;

    // The worker process, as `npm run start:worker` runs it, on the test app's database and queue prefix.
    const startWorker = () => startEntry('src/worker.ts', { DATABASE_URL: t.databaseUrl, RUN_MIGRATIONS: 'false', QUEUE_PREFIX: t.dbName });

    beforeAll(async () => {
      // The API alone: every job of this app is run by the worker processes below, none in this process.
      t = await createApiTestApp();
      first = startWorker();
      ids = await codeIds(t);
      const [grid, dispatcher, handler, a] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.admin'].map((u) => t.login(u)));
      tokens = { grid: grid!, dispatcher: dispatcher!, handler: handler! };
      admin = a!;
      await untilLogged(first, 'worker running', 60_000);
    }, 120_000);

    afterAll(async () => {
      killStarted();
      await holder?.end().catch(() => undefined);
      await t?.close();
    });

    it('SIGKILL while its firing transaction is open: Postgres rolls it back, the next worker fires the threshold once, not early, within seconds of the next worker starting', async () => {
      const { id } = await inProgressTicket(t, tokens, ids['FX-SZSS']!);
      const clock = await armResolveClock(t, admin, id, LIMIT, 6); // reminder and warning already due, breach in 6 s
      const jobId = fireJobId(clock.id, 'breach', clock.clock_version);
      const queue = t.app.get(QueueService, { strict: false }).queue('sla');
      await waitFor('reminder and warning fired by the worker process', async () => (await firingsOf(t, id)).length >= 2, 20_000);
      expect(byThreshold(await firingsOf(t, id))).toEqual({ remind: 1, warning: 1 });

      // Hold the clock row. At the due instant the worker takes the breach job; its batch skips the held clock
      // (SKIP LOCKED), then the job fires its timer alone: it locks the ticket and runs the conditional insert,
      // which waits for the clock row. The worker is now in the middle of the firing, its transaction open.
      holder = new Client({ connectionString: t.databaseUrl });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM ticket_clocks WHERE id = $1 FOR UPDATE', [clock.id]);
      const holderPid: number = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const firing = await waitFor('the worker blocked inside the firing statement', async () => {
        const rows: Array<{ pid: number; xid: boolean; query: string }> = await t.ds.query(
          `SELECT pid, backend_xid IS NOT NULL AS xid, query FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND $1 = ANY(pg_blocking_pids(pid))`, [holderPid]);
        return rows[0];
      }, 30_000, 100);
      // The conditional insert of the firing (SlaRepository.insertFiring), whose first step locks the clock row.
      expect(firing.query).toMatch(/^WITH c AS \(\s*SELECT [^)]* FROM ticket_clocks [^)]* FOR UPDATE\)/);
      expect(firing.xid).toBe(true); // its transaction has locked rows: the ticket
      const ticketLock = await t.ds.query(`SELECT id FROM tickets WHERE id = $1 FOR UPDATE NOWAIT`, [id])
        .then(() => 'free', (e: { code?: string; driverError?: { code?: string } }) => e.code ?? e.driverError?.code);
      expect(ticketLock).toBe('55P03'); // lock_not_available: the worker's firing transaction holds the ticket
      expect(await (await queue.getJob(jobId))?.getState()).toBe('active');

      const exit = await killHard(first);
      expect(exit.signal).toBe('SIGKILL');
      // Its backend still waits for the lock, unaware that its client is gone; nothing is committed.
      expect((await firingsOf(t, id)).filter((f) => f.threshold === 'breach')).toHaveLength(0);

      // Let go of the clock: the orphaned statement completes, finds no client to commit it and rolls back.
      await holder.query('ROLLBACK');
      await holder.end();
      holder = undefined;
      const [{ now: releasedAt }] = await t.ds.query(`SELECT clock_timestamp() AS now`);
      await waitFor('the dead worker\'s transaction gone', async () => (await t.ds.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1`, [firing.pid])).length === 0, 15_000);
      expect((await firingsOf(t, id)).filter((f) => f.threshold === 'breach')).toHaveLength(0);
      expect(await timerState(t, clock.id, 'breach', clock.clock_version)).toBe('pending');
      expect(await eventsOf(t, id, 'sla-breach')).toBe(0);

      // A new worker process. Nothing is called by hand: a starting worker reconciles at once (fires timers more than
      // 1 s overdue), before BullMQ's stalled-job check would return the dead worker's job to the queue.
      const second = startWorker();
      await untilLogged(second, 'worker running', 60_000);
      const secondUp = Date.now();
      const breach = await waitFor('the breach fired by the new worker', async () => (await firingsOf(t, id)).find((f) => f.threshold === 'breach'), 75_000, 250);
      expect(['reconciler', 'job']).toContain(breach.via);
      expect(Number(breach.lateness_ms)).toBeGreaterThanOrEqual(0);
      expect(breach.due_at.getTime()).toBe(clock.deadline.getTime());
      expect(breach.fired_at.getTime()).toBeGreaterThanOrEqual(releasedAt.getTime());
      expect(breach.fired_at.getTime() - secondUp).toBeLessThan(10_000); // the boot reconciliation, not the next minute's

      await sleep(1000);
      const fs: FiringRecord[] = await firingsOf(t, id);
      expect(byThreshold(fs)).toEqual({ remind: 1, warning: 1, breach: 1 });
      for (const f of fs) expect(f.clock_version).toBe(clock.clock_version);
      await expectOnceEachNeverEarly(t, [id]);
      for (const action of ['sla-remind', 'sla-warning', 'sla-breach']) expect(await eventsOf(t, id, action)).toBe(1);
      expect(await notificationsOf(t, id)).toBe(3);
      expect(await timerState(t, clock.id, 'breach', clock.clock_version)).toBe('fired');
      const [row] = await t.ds.query(`SELECT thresholds_fired, level FROM ticket_clocks WHERE id = $1`, [clock.id]);
      expect([...row.thresholds_fired].sort()).toEqual(['breach', 'remind', 'warning']);
      expect(row.level).toBe('red');
      // The dead worker's job: still waiting for its stalled-job recovery, or recovered and run again — then it
      // found its timer fired and did nothing.
      const job = await queue.getJob(jobId);
      const state = job ? await job.getState() : 'removed';
      expect(['active', 'waiting', 'completed', 'removed']).toContain(state);
      expect(state === 'completed' ? (job!.returnvalue as { outcome: string }).outcome : 'gone').toBe('gone');

      const stopped = await terminate(second);
      expect({ stopped, output: second.output().slice(-2000) }).toMatchObject({ stopped: { code: 0, signal: null } });
    }, 150_000);
  });

  // Restarts the shared test server: the other test files run before or after this one (--runInBand), never during.
  const describeOwnServer = ownsTestServer() ? describe : describe.skip;

  describeOwnServer('Postgres restarted while timers are due (pg_ctl restart -m fast)', () => {
    let t: TestApp;
    let ids: Record<string, string>;
    let tokens: { grid: string; dispatcher: string; handler: string };
    let admin: string;
    let server: LocalPostgres | undefined;
    const adminUrl = () => process.env.FX_TEST_PG_ADMIN_URL!;

    beforeAll(async () => {
      t = await createTestApp(); // with its in-process worker
      ids = await codeIds(t);
      const [grid, dispatcher, handler, a] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.admin'].map((u) => t.login(u)));
      tokens = { grid: grid!, dispatcher: dispatcher!, handler: handler! };
      admin = a!;
      server = await localPostgres(adminUrl());
    }, 120_000);

    afterAll(async () => {
      // Whatever happened above, the test files that follow need the server.
      if (server) await ensurePostgresUp(server, adminUrl());
      await t?.close();
    });

    const ticket = () => inProgressTicket(t, tokens, ids['FX-SZSS']!);
    const quietly = <T>(p: Promise<T>, fallback: T) => p.catch(() => fallback); // while the server is away

    /** Arms the tickets' resolve clocks in one statement so that each breach falls `offsets[i]` seconds after now (database clock). */
    async function armAt(ticketIds: string[], offsets: number[]): Promise<Array<{ ticketId: string; id: string; clock_version: number; deadline: Date }>> {
      await t.ds.query(
        `UPDATE ticket_clocks c SET started_at = now() - make_interval(secs => $3::double precision - o.secs)
           FROM unnest($1::uuid[], $2::float8[]) AS o(ticket_id, secs)
          WHERE c.ticket_id = o.ticket_id AND c.stage = 'resolve' AND c.state = 'running'`, [ticketIds, offsets, LIMIT]);
      // `source: 'clocks'` keeps the moved starts (see armResolveClock).
      const res = await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds, source: 'clocks' } });
      if (res.status !== 200 || res.body.moved !== ticketIds.length) throw new Error(`recompute failed: ${res.status} ${res.text}`);
      return t.ds.query(
        `SELECT ticket_id AS "ticketId", id, clock_version, deadline FROM ticket_clocks
          WHERE ticket_id = ANY($1::uuid[]) AND stage = 'resolve' AND state = 'running' ORDER BY deadline`, [ticketIds]);
    }

    it('each timer due during or just after the restart fires once, none early, within seconds; the app is ready again and a new timer fires on time', async () => {
      const made: string[] = [];
      for (let i = 0; i < 6; i++) made.push((await ticket()).id);
      // Breaches 5 s … 6 s from now, every 250 ms, and one at 10 s; the restart begins 150 ms before the first.
      const clocks = await armAt(made, [5, 5.25, 5.5, 5.75, 6, 10]);
      await waitFor('reminders and warnings', async () => {
        const [r] = await t.ds.query(`SELECT count(*)::int AS n FROM sla_firings WHERE ticket_id = ANY($1::uuid[])`, [made]);
        return r.n >= 2 * made.length;
      }, 20_000);
      await sleep(Math.max(0, clocks[0]!.deadline.getTime() - Date.now() - 150));

      const restart = await restartPostgres(server!, adminUrl());
      expect(restart.pidAfter).not.toBe(restart.pidBefore);
      // At least one breach fell due while the server was down or starting.
      const dueDuring = clocks.filter((c) => c.deadline.getTime() > restart.startedAt && c.deadline.getTime() < restart.upAt);
      expect({ someDueDuring: dueDuring.length > 0, restartMs: restart.upAt - restart.startedAt, output: restart.output }).toMatchObject({ someDueDuring: true });

      // The app recovers by itself: ready again, and every breach fires.
      await waitFor('/health/ready', async () => (await t.request('GET', '/health/ready')).status === 200, 30_000, 200);
      await waitFor('every breach after the restart', async () => {
        const rows = await quietly(t.ds.query(`SELECT count(*)::int AS n FROM sla_firings WHERE ticket_id = ANY($1::uuid[]) AND threshold = 'breach'`, [made]), [{ n: 0 }]);
        return rows[0].n === made.length;
      }, 70_000, 250);
      await sleep(1000);
      for (const c of clocks) {
        const fs = await firingsOf(t, c.ticketId);
        expect({ ticket: c.ticketId, fired: byThreshold(fs) }).toEqual({ ticket: c.ticketId, fired: { remind: 1, warning: 1, breach: 1 } });
        const breach = fs.find((f) => f.threshold === 'breach')!;
        expect(breach.clock_version).toBe(c.clock_version);
        expect(breach.due_at.getTime()).toBe(c.deadline.getTime());
        expect(Number(breach.lateness_ms)).toBeGreaterThanOrEqual(0);
        // Within seconds of the server's return (a job that failed during the outage is retried after 1, 2, 4 s; any
        // later job's batch fires every due timer), not after a reconciler period.
        const afterUpMs = breach.fired_at.getTime() - Math.max(restart.upAt, c.deadline.getTime());
        expect({ ticket: c.ticketId, afterUpMs, via: breach.via, withinSeconds: afterUpMs < 15_000 }).toMatchObject({ withinSeconds: true });
        for (const action of ['sla-remind', 'sla-warning', 'sla-breach']) expect(await eventsOf(t, c.ticketId, action)).toBe(1);
        expect(await notificationsOf(t, c.ticketId)).toBe(3);
      }
      await expectOnceEachNeverEarly(t, made);

      // Fully recovered: a workflow action works, and a timer armed now fires on time through its job.
      const fresh = await ticket();
      const clock = await armResolveClock(t, admin, fresh.id, LIMIT, 3);
      const breach = await waitFor('the new breach', async () => (await firingsOf(t, fresh.id)).find((f) => f.threshold === 'breach'), 20_000);
      expect(breach.due_at.getTime()).toBe(clock.deadline.getTime());
      expect(Number(breach.lateness_ms)).toBeGreaterThanOrEqual(0);
      expect(Number(breach.lateness_ms)).toBeLessThan(1500);
      await sleep(500);
      expect(byThreshold(await firingsOf(t, fresh.id))).toEqual({ remind: 1, warning: 1, breach: 1 });
    }, 120_000);
  });
});
