import { createServer, type Server } from 'node:http';
import type { EntityManager } from 'typeorm';
import type { AddressInfo } from 'node:net';
import { OutboxService } from '../../src/queue/outbox.service';
import { JOB_QUEUES, QUEUE_NAMES } from '../../src/queue/job-registry';
import { QueueService } from '../../src/queue/queue.service';
import { WorkerService } from '../../src/queue/worker.service';
import { OutboxRelayJob, Schedules } from '../../src/worker.module';
import { SlaEngine, fireJobId } from '../../src/modules/sla/sla-engine.service';
import { SlaFiringService } from '../../src/modules/sla/sla-firing.service';
import { SlaFireJob, SlaReconcileJob, notifyJobId } from '../../src/modules/sla/sla.jobs';
import { SlaRepository } from '../../src/modules/sla/sla.repository';
import { armResolveClock, firingsOf, inProgressTicket, sleep, waitFor } from '../support/sla';
import { createTestApp, type TestApp } from '../support/test-app';
import { act, codeIds } from '../support/tickets';

const LIMIT = 4 * 3600; // the demo manhole: 4 hours, natural time

jest.setTimeout(90_000);

/**
 * Timer correctness and its faults: each threshold fires exactly once per clock version, never before its
 * due instant by the database clock, and within seconds — through duplicate deliveries, killed workers, a
 * wiped queue backend, a crash before the outbox relay, bursts, races with resolve and skewed host clocks.
 */
describe('sla timers: exactly once, never early, within seconds 时限定时器', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let tokens: { grid: string; dispatcher: string; handler: string };
  let admin: string;
  let hook: Server;
  const posts: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const failingTickets = new Set<string>();

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
      req.on('end', () => {
        const parsed = JSON.parse(body) as Record<string, unknown>;
        if (failingTickets.has(parsed.ticketId as string)) {
          res.writeHead(503).end();
          return;
        }
        raw.push(body);
        posts.push({ ...parsed, idempotencyKey: req.headers['idempotency-key'] });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const port = (hook.address() as AddressInfo).port;
    // Small batches (7) so that every burst below spans several batch transactions. Every timer armed here is
    // queued at once (a queue-ahead horizon of a week), as the tests below are about the jobs; sla.e2e-spec
    // covers the horizon.
    t = await createTestApp({ env: {
      SLA_WEBHOOK_URL: `http://127.0.0.1:${port}/sla`, SLA_FIRE_BATCH: '7', SLA_WORKER_CONCURRENCY: '12', OUTBOX_RETENTION_DAYS: '30',
      SLA_QUEUE_AHEAD_SECONDS: String(7 * 86400), SCHEDULER_CHECK_SECONDS: '2',
      // Webhook retries over about 15 s instead of the default 43 minutes, so that the dead-letter test ends.
      SLA_NOTIFY_ATTEMPTS: '5', SLA_NOTIFY_BACKOFF_MS: '1000',
    } });
    ids = await codeIds(t);
    const [grid, dispatcher, handler, a] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.admin'].map((u) => t.login(u)));
    tokens = { grid: grid!, dispatcher: dispatcher!, handler: handler! };
    admin = a!;
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((resolve) => hook.close(() => resolve()));
  });

  const ticket = () => inProgressTicket(t, tokens, ids['FX-SZSS']!);
  const queue = () => t.app.get(QueueService, { strict: false }).queue('sla');
  const reconciler = () => t.app.get(SlaReconcileJob, { strict: false });
  const byThreshold = (fs: Array<{ threshold: string }>) => fs.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.threshold]: (acc[f.threshold] ?? 0) + 1 }), {});
  async function eventsOf(id: string, action: string): Promise<number> {
    const rows = await t.ds.query(`SELECT count(*)::int AS n FROM ticket_events WHERE ticket_id = $1 AND action = $2`, [id, action]);
    return rows[0].n;
  }
  /**
   * Arms a ticket's resolve clock by hand, in one transaction that ends like a process dying right after
   * commit (no immediate relay): `during` runs inside it, after the timers are written.
   */
  async function armQuietly(id: string, secondsToBreach: number, during?: (m: EntityManager, clockId: string, version: number) => Promise<void>) {
    const engine = t.app.get(SlaEngine, { strict: false });
    return t.ds.transaction(async (m) => {
      const rows = await m.query(
        `WITH u AS (UPDATE ticket_clocks SET started_at = now() - make_interval(secs => $2::double precision), deadline = now() + make_interval(secs => $3::double precision),
           clock_version = clock_version + 1 WHERE ticket_id = $1 AND stage = 'resolve' AND state = 'running' RETURNING id, clock_version, deadline)
         SELECT id, clock_version, deadline FROM u`, [id, LIMIT - secondsToBreach, secondsToBreach]);
      const clock = rows[0] as { id: string; clock_version: number; deadline: Date };
      expect(await engine.schedule(m, clock.id)).toBe(5);
      if (during) await during(m, clock.id, clock.clock_version);
      m.queryRunner!.data = {};
      return clock;
    });
  }

  async function relayed(clockId: string, version: number): Promise<boolean> {
    const rows = await t.ds.query(`SELECT bool_and(relayed_at IS NOT NULL) AS done FROM outbox WHERE job_name = 'sla.fire' AND payload->>'clockId' = $1 AND (payload->>'clockVersion')::int = $2`, [clockId, version]);
    return rows[0].done === true;
  }

  it('fires thresholds already reached at once and the breach on time; each once, with an event, the clock colour and a webhook without personal data', async () => {
    const { id } = await ticket();
    const clock = await armResolveClock(t, admin, id, LIMIT, 3);
    const fired = await waitFor('breach', async () => {
      const fs = await firingsOf(t, id);
      return fs.some((f) => f.threshold === 'breach') && fs;
    });
    expect(byThreshold(fired)).toEqual({ remind: 1, warning: 1, breach: 1 });
    for (const f of fired) {
      expect(f.clock_version).toBe(clock.clock_version);
      expect(Number(f.lateness_ms)).toBeGreaterThanOrEqual(0);
    }
    const breach = fired.find((f) => f.threshold === 'breach')!;
    expect(breach.due_at.getTime()).toBe(clock.deadline.getTime());
    expect(Number(breach.lateness_ms)).toBeLessThan(1500);

    const view = (await t.request('GET', `/api/v1/tickets/${id}`, { token: tokens.dispatcher })).body;
    const rc = view.clocks.find((c: { stage: string; state: string }) => c.stage === 'resolve' && c.state === 'running');
    expect([...rc.thresholdsFired].sort()).toEqual(['breach', 'remind', 'warning']);
    expect(rc.overdue).toBe(true);
    for (const action of ['sla-remind', 'sla-warning', 'sla-breach']) expect(await eventsOf(id, action)).toBe(1);
    const [row] = await t.ds.query(`SELECT level FROM ticket_clocks WHERE id = $1`, [clock.id]);
    expect(row.level).toBe('red');
    // The firings, their lateness and the clock in breach show on /metrics (the first firings of this app).
    const metrics = (await t.request('GET', '/metrics')).text;
    for (const kind of ['remind', 'warning', 'breach']) expect(metrics).toMatch(new RegExp(`^sla_firings_recent\\{kind="${kind}"\\} 1$`, 'm'));
    expect(metrics).toMatch(/^sla_clocks_breached\{stage="resolve"\} 1$/m);
    expect(Number(/^sla_firing_lateness_max_seconds (\S+)$/m.exec(metrics)?.[1])).toBeLessThan(1.5);

    const mine = await waitFor('three webhooks', async () => {
      const p = posts.filter((x) => x.ticketId === id);
      return p.length >= 3 && p;
    });
    expect(mine.map((p) => p.threshold).sort()).toEqual(['breach', 'remind', 'warning']);
    expect(new Set(mine.map((p) => p.idempotencyKey)).size).toBe(3);
    for (const body of raw) {
      expect(body).not.toContain('13841812345');
      expect(body).not.toContain('张建国');
    }
  });

  it('a webhook that keeps failing is retried, then dead-lettered; an admin sees the list and resends', async () => {
    const { id } = await ticket();
    failingTickets.add(id);
    await armResolveClock(t, admin, id, LIMIT, -1); // breach a second ago: three thresholds fire at once
    // 5 attempts with exponential backoff from 1 s (1 + 2 + 4 + 8 s between them).
    const letters = await waitFor('dead letters', async () => {
      const list = await t.request('GET', '/api/v1/sla/dead-letters', { token: admin });
      const mine = (list.body as Array<{ id: string; ticketId: string; attempts: number; lastError: string; ticketNumber: string }>).filter((d) => d.ticketId === id);
      return mine.length === 3 && mine;
    }, 45_000, 500);
    for (const d of letters) {
      expect(d.attempts).toBe(5);
      expect(d.lastError).toContain('503');
      expect(d.ticketNumber).toMatch(/^FX-/);
    }
    expect(posts.filter((p) => p.ticketId === id)).toHaveLength(0);
    expect((await t.request('GET', '/api/v1/sla/dead-letters', { token: tokens.dispatcher })).status).toBe(403);
    failingTickets.delete(id);
    // The first resend's job is lost (a crash right after the commit, or a Redis flush): the reconciler re-creates it
    // under the id the resend instant gives it, and it is delivered once.
    const [lost, ...others] = letters;
    const notifyQueue = t.app.get(QueueService, { strict: false }).queue('notify');
    await notifyQueue.pause(); // the workers take no notification until the job is gone and restored
    try {
      const retry = await t.request('POST', `/api/v1/sla/dead-letters/${lost!.id}/retry`, { token: admin });
      expect(retry.status).toBe(202);
      const [{ firing_id: firingId, retried_at: resentAt }] = await t.ds.query(`SELECT firing_id::text, retried_at FROM sla_dead_letters WHERE id = $1`, [lost!.id]);
      const jobId = notifyJobId(firingId, resentAt);
      expect(await notifyQueue.getJob(jobId)).toBeTruthy();
      await notifyQueue.remove(jobId);
      expect(await notifyQueue.getJob(jobId)).toBeFalsy();
      await sleep(SlaReconcileJob.NOTIFY_GRACE_MS + 100);
      expect(await reconciler().restoreNotifications()).toBe(1);
      expect(await notifyQueue.getJob(jobId)).toBeTruthy();
      expect(await reconciler().restoreNotifications()).toBe(0); // there: not added twice
    } finally {
      await notifyQueue.resume();
    }
    for (const d of others) {
      const retry = await t.request('POST', `/api/v1/sla/dead-letters/${d.id}/retry`, { token: admin });
      expect(retry.status).toBe(202);
    }
    expect((await t.request('POST', '/api/v1/sla/dead-letters/999999999/retry', { token: admin })).status).toBe(404);
    await waitFor('resent', async () => posts.filter((p) => p.ticketId === id).length === 3);
    // The receiver sees the post before the job records it as delivered: wait for the record, not a race.
    await waitFor('marked as notified', async () => (await t.ds.query(
      `SELECT count(*)::int AS n FROM sla_firings WHERE ticket_id = $1 AND notified_at IS NOT NULL`, [id]))[0].n === 3);
    expect(posts.filter((p) => p.ticketId === id)).toHaveLength(3);
    expect(byThreshold(await firingsOf(t, id))).toEqual({ remind: 1, warning: 1, breach: 1 });
  });

  it('every job delivered twice (and the handler run concurrently) fires once', async () => {
    const { id } = await ticket();
    const clock = await armResolveClock(t, admin, id, LIMIT, 3);
    await waitFor('relay', () => relayed(clock.id, clock.clock_version));
    const data = { clockId: clock.id, threshold: 'breach', clockVersion: clock.clock_version };
    const delay = Math.max(0, clock.deadline.getTime() - Date.now());
    // Second deliveries of the same timer under other ids, plus two direct runs racing them at the due instant.
    await queue().add('sla.fire', data, { jobId: `dup1-${clock.id}`, delay });
    await queue().add('sla.fire', data, { jobId: `dup2-${clock.id}`, delay });
    const fire = t.app.get(SlaFireJob, { strict: false });
    const direct = await Promise.all([fire.handle(data), fire.handle(data)]);
    expect(direct.filter((r) => r.outcome === 'fired').length).toBeLessThanOrEqual(1);
    await sleep(Math.max(0, clock.deadline.getTime() - Date.now()) + 2000);
    const fs = await firingsOf(t, id);
    expect(byThreshold(fs)).toEqual({ remind: 1, warning: 1, breach: 1 });
    expect(await eventsOf(id, 'sla-breach')).toBe(1);
    const notify = await t.ds.query(`SELECT count(*)::int AS n FROM outbox WHERE job_name = 'sla.notify' AND payload->>'firingId' IN (SELECT id::text FROM sla_firings WHERE ticket_id = $1)`, [id]);
    expect(notify[0].n).toBe(3);
    for (const f of fs) expect(Number(f.lateness_ms)).toBeGreaterThanOrEqual(0);
  });

  it('a worker killed mid-firing (before commit) loses nothing: the firing rolls back and the reconciler fires it once', async () => {
    const { id } = await ticket();
    const repo = t.app.get(SlaRepository, { strict: false });
    const clock = await armQuietly(id, 1, async (m, clockId, version) => {
      // The clock's jobs were taken by a worker that then died: gone from the queue, the outbox rows spent. (With
      // any of them alive, its batch firing would fire the breach on time, which is the point of the batch.)
      await m.query(`UPDATE outbox SET relayed_at = now() WHERE job_name = 'sla.fire' AND payload->>'clockId' = $1 AND (payload->>'clockVersion')::int = $2`, [clockId, version]);
    });
    await sleep(Math.max(0, clock.deadline.getTime() - Date.now()) + 200);
    // That worker had locked the ticket and inserted the firing when it died: Postgres rolls its transaction back.
    const qr = t.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      await repo.lockTicketOfClock(qr.manager, clock.id);
      expect(await repo.insertFiring(qr.manager, clock.id, 'breach', clock.clock_version, 'job')).toBeDefined();
      await qr.rollbackTransaction();
    } finally {
      await qr.release();
    }
    expect((await firingsOf(t, id)).filter((f) => f.threshold === 'breach')).toHaveLength(0);
    await sleep(SlaReconcileJob.OVERDUE_GRACE_MS);
    expect(await reconciler().fireOverdue()).toBeGreaterThanOrEqual(1);
    expect(await reconciler().fireOverdue()).toBe(0);
    await waitFor('all thresholds', async () => (await firingsOf(t, id)).length >= 3 && true);
    await sleep(1000);
    const fs = await firingsOf(t, id);
    expect(byThreshold(fs)).toEqual({ remind: 1, warning: 1, breach: 1 });
    expect(fs.find((f) => f.threshold === 'breach')!.via).toBe('reconciler');
    expect(await eventsOf(id, 'sla-breach')).toBe(1);
  });

  it('a worker killed between the firing and its 督办, or after the 督办 but before marking it, still supervises exactly once', async () => {
    const { id } = await ticket();
    const repo = t.app.get(SlaRepository, { strict: false });
    // 2 h 1 s after the breach: every threshold and the district 督办 step are due.
    const clock = await armQuietly(id, -(2 * 3600 + 1), async (m, clockId, version) => {
      // Crash 1: the 督办 firing committed, the worker died before the workflow action.
      await repo.lockTicketOfClock(m, clockId);
      const f = await repo.insertFiring(m, clockId, 'supervise_district', version, 'job');
      expect(f?.action_state).toBe('pending');
    });
    const clockId = clock.id;
    await waitFor('remaining firings', async () => (await firingsOf(t, id)).length >= 4 && true);
    await sleep(500);
    expect(await reconciler().retryPendingActions(0)).toBe(1);
    expect(await eventsOf(id, 'supervise')).toBe(1);
    // Crash 2: the 督办 committed but the firing was never marked done; a retry finds the marker and does not repeat it.
    await t.ds.query(`UPDATE sla_firings SET action_state = 'pending' WHERE clock_id = $1 AND threshold = 'supervise_district'`, [clockId]);
    expect(await reconciler().retryPendingActions(0)).toBe(1);
    expect(await eventsOf(id, 'supervise')).toBe(1);
    const [f] = await t.ds.query(`SELECT action_state, action_result FROM sla_firings WHERE clock_id = $1 AND threshold = 'supervise_district'`, [clockId]);
    expect(f).toMatchObject({ action_state: 'done', action_result: 'supervise' });
    const view = (await t.request('GET', `/api/v1/tickets/${id}`, { token: tokens.dispatcher })).body;
    expect(view.supervisionCount).toBe(1);
    expect(byThreshold(await firingsOf(t, id))).toEqual({ remind: 1, warning: 1, breach: 1, supervise_district: 1 });
  });

  it('the queue backend wiped (Redis flushed / every Postgres queue obliterated) with notifications owed: the schedulers come back by themselves, the overdue timer fires once, the lost ones on time, and every firing is delivered exactly once', async () => {
    const overdue = await ticket();
    const upcoming = await ticket();
    // The webhook refuses these tickets' notifications for now: their jobs wait in BullMQ's retry backoff,
    // not yet delivered, when the queues are wiped.
    failingTickets.add(overdue.id);
    failingTickets.add(upcoming.id);
    const c1 = await armResolveClock(t, admin, overdue.id, LIMIT, 4);
    const c2 = await armResolveClock(t, admin, upcoming.id, LIMIT, 12);
    await waitFor('relay', async () => (await relayed(c1.id, c1.clock_version)) && (await relayed(c2.id, c2.clock_version)));
    await waitFor('immediate thresholds', async () => (await firingsOf(t, overdue.id)).length >= 2 && (await firingsOf(t, upcoming.id)).length >= 2);
    const owed = async (): Promise<string[]> => {
      const rows: Array<{ id: string }> = await t.ds.query(
        `SELECT id::text FROM sla_firings WHERE ticket_id = ANY($1::uuid[]) AND notified_at IS NULL`, [[overdue.id, upcoming.id]]);
      return rows.map((r) => r.id);
    };
    await waitFor('notification attempts refused', async () => {
      const q = t.app.get(QueueService, { strict: false }).queue('notify');
      const jobs = await Promise.all((await owed()).map((id) => q.getJob(`sla-notify-${id}`)));
      return jobs.length >= 4 && jobs.every((j) => j && j.attemptsMade >= 1);
    });
    // Past the reconciler's grace, and before the last attempt (about 15 s after the first) dead-letters them.
    await sleep(SlaReconcileJob.NOTIFY_GRACE_MS);
    const undelivered = await owed();
    expect(undelivered.length).toBeGreaterThanOrEqual(4);
    // Every queue the app registers, as a Redis FLUSHALL would leave them: jobs, retries and schedulers gone.
    const queues = t.app.get(QueueService, { strict: false });
    for (const name of QUEUE_NAMES) {
      await queues.queue(name).obliterate({ force: true });
      await queues.queue(name).resume();
    }
    failingTickets.delete(overdue.id);
    failingTickets.delete(upcoming.id);
    expect(await queue().getJobScheduler('sla.reconcile.every1m')).toBeFalsy();
    expect(await queue().getJob(fireJobId(c2.id, 'breach', c2.clock_version))).toBeFalsy();
    for (const id of undelivered) expect(await queues.queue('notify').getJob(`sla-notify-${id}`)).toBeFalsy();
    expect(await queues.queue('maintenance').getJobScheduler('outbox.relay.every5s')).toBeFalsy();
    // Nothing is called by hand: the worker's scheduler check (every SCHEDULER_CHECK_SECONDS = 2 here) re-creates
    // the schedulers; the reconciler's first run fires what is overdue, queues again what was lost and re-sends
    // the notifications whose jobs are gone.
    await waitFor('scheduler restored', async () => Boolean(await queue().getJobScheduler('sla.reconcile.every1m')), 10_000);
    const b1 = await waitFor('overdue breach', async () => (await firingsOf(t, overdue.id)).find((f) => f.threshold === 'breach'), 20_000);
    expect(Number(b1.lateness_ms)).toBeGreaterThanOrEqual(0);
    const b2 = await waitFor('restored breach', async () => (await firingsOf(t, upcoming.id)).find((f) => f.threshold === 'breach'), 20_000);
    expect(b2.via).toBe('job');
    expect(Number(b2.lateness_ms)).toBeGreaterThanOrEqual(0);
    expect(Number(b2.lateness_ms)).toBeLessThan(1500);
    await waitFor('every notification delivered', async () => (await owed()).length === 0, 20_000);
    const again = await reconciler().handle();
    expect(again.fired).toBe(0);
    expect(again.notifications).toBe(0);
    await sleep(1500);
    expect(byThreshold(await firingsOf(t, overdue.id))).toEqual({ remind: 1, warning: 1, breach: 1 });
    expect(byThreshold(await firingsOf(t, upcoming.id))).toEqual({ remind: 1, warning: 1, breach: 1 });
    // Exactly one webhook delivery per firing, none dead-lettered.
    const firings: Array<{ id: string }> = await t.ds.query(`SELECT id::text FROM sla_firings WHERE ticket_id = ANY($1::uuid[])`, [[overdue.id, upcoming.id]]);
    const delivered = posts.filter((p) => p.ticketId === overdue.id || p.ticketId === upcoming.id).map((p) => String(p.firingId)).sort();
    expect(delivered).toEqual(firings.map((f) => f.id).sort());
    const dead = await t.ds.query(`SELECT count(*)::int AS n FROM sla_dead_letters d JOIN sla_firings f ON f.id = d.firing_id WHERE f.ticket_id = ANY($1::uuid[])`, [[overdue.id, upcoming.id]]);
    expect(dead[0].n).toBe(0);
  });

  it('the scheduler check leaves existing schedulers alone and restores a removed one', async () => {
    const schedules = t.app.get(Schedules, { strict: false });
    const maintenance = t.app.get(QueueService, { strict: false }).queue('maintenance');
    const before = await maintenance.getJobScheduler('outbox.relay.every5s');
    expect(before).toBeTruthy();
    expect(await schedules.restoreMissing()).toEqual([]);
    expect(await maintenance.getJobScheduler('outbox.relay.every5s')).toEqual(before);
    await maintenance.removeJobScheduler('outbox.relay.every5s');
    expect(await maintenance.getJobScheduler('outbox.relay.every5s')).toBeFalsy();
    await waitFor('outbox relay scheduler restored', async () => Boolean(await maintenance.getJobScheduler('outbox.relay.every5s')), 10_000);
    expect(await maintenance.getJobSchedulersCount()).toBe(schedules.specs.filter((s) => JOB_QUEUES[s.job.name] === 'maintenance').length);
  });

  it('the API crashing after commit but before the outbox relay: the periodic relay hands the timers over, still on time', async () => {
    const { id } = await ticket();
    const { id: clockId, clock_version: version } = await armQuietly(id, 8);
    const c = { id: clockId };
    const pending = await t.ds.query(`SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL AND payload->>'clockId' = $1 AND (payload->>'clockVersion')::int = $2`, [c.id, version]);
    expect(pending[0].n).toBe(5);
    const breach = await waitFor('breach', async () => (await firingsOf(t, id)).find((f) => f.threshold === 'breach' && f.clock_version === version), 20_000);
    expect(Number(breach.lateness_ms)).toBeGreaterThanOrEqual(0);
    expect(Number(breach.lateness_ms)).toBeLessThan(1500);
  });

  it('many timers due at the same instant all fire once, none early, within seconds', async () => {
    const n = 24;
    const made: string[] = [];
    for (let i = 0; i < n; i++) made.push((await ticket()).id);
    await t.ds.query(`UPDATE ticket_clocks SET started_at = now() - interval '4 hours' + interval '6 seconds' WHERE ticket_id = ANY($1::uuid[]) AND stage = 'resolve' AND state = 'running'`, [made]);
    const report = await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds: made, source: 'clocks' } }); // keep the moved starts (see armResolveClock)
    expect(report.body.moved).toBe(n);
    expect(new Set(report.body.changes.map((c: { toDeadline: string }) => c.toDeadline)).size).toBe(1);
    await waitFor('all breaches', async () => {
      const rows = await t.ds.query(`SELECT count(*)::int AS n FROM sla_firings WHERE ticket_id = ANY($1::uuid[]) AND threshold = 'breach'`, [made]);
      return rows[0].n === n;
    }, 30_000);
    await sleep(500);
    // Reminder and warning were already past when armed (they fire at once); the breaches share one due instant.
    const all = await t.ds.query(
      `SELECT count(*)::int AS firings, count(DISTINCT (clock_id, threshold, clock_version))::int AS distinct_keys FROM sla_firings WHERE ticket_id = ANY($1::uuid[])`, [made]);
    expect(all[0]).toEqual({ firings: 3 * n, distinct_keys: 3 * n });
    const stats = await t.ds.query(
      `SELECT min(extract(epoch FROM fired_at - due_at) * 1000)::float8 AS min_ms, max(extract(epoch FROM fired_at - due_at) * 1000)::float8 AS max_ms
         FROM sla_firings WHERE ticket_id = ANY($1::uuid[]) AND threshold = 'breach'`, [made]);
    expect(stats[0].min_ms).toBeGreaterThanOrEqual(0);
    expect(stats[0].max_ms).toBeLessThan(3000);
  });

  it('a resolve past the 督办 instant fires it in the action and carries the supervision out as soon as it commits, not at the next reconcile', async () => {
    const { id } = await ticket();
    const slaQueue = t.app.get(QueueService, { strict: false }).queue('sla');
    await slaQueue.pause(); // no timer job and no reconciler: only the resolve itself can fire
    try {
      // Breach 2 h 1 min ago: remind, warning, breach and 督办 (breach + 2 h) are all due, none fired yet.
      await armResolveClock(t, admin, id, LIMIT, -(2 * 3600 + 60));
      expect(await firingsOf(t, id)).toEqual([]);
      const before = (await t.request('GET', `/api/v1/tickets/${id}`, { token: tokens.dispatcher })).body.supervisionCount as number;
      expect(before).toBe(0);
      const resolved = await act(t, tokens.handler, id, 'resolve', { note: '已处置' });
      expect(resolved.status).toBe(200);
      const fired = await firingsOf(t, id);
      expect(byThreshold(fired)).toEqual({ remind: 1, warning: 1, breach: 1, supervise_district: 1 });
      expect(fired.every((f) => f.via === 'action')).toBe(true);
      await waitFor('督办 carried out', async () => (await t.ds.query(
        `SELECT action_state FROM sla_firings WHERE ticket_id = $1 AND threshold = 'supervise_district'`, [id]))[0].action_state === 'done', 5_000, 50);
      const after = (await t.request('GET', `/api/v1/tickets/${id}`, { token: tokens.dispatcher })).body;
      expect(after.supervisionCount).toBe(before + 1);
      expect(after.status).toBe('resolved');
    } finally {
      await slaQueue.resume();
    }
  });

  it('resolve racing the breach: a breach is recorded exactly when the clock stopped at or after its deadline', async () => {
    const n = 8;
    const made: string[] = [];
    for (let i = 0; i < n; i++) made.push((await ticket()).id);
    await t.ds.query(`UPDATE ticket_clocks SET started_at = now() - interval '4 hours' + interval '3 seconds' WHERE ticket_id = ANY($1::uuid[]) AND stage = 'resolve' AND state = 'running'`, [made]);
    const report = await t.request('POST', '/api/v1/sla/recompute', { token: admin, body: { ticketIds: made, source: 'clocks' } }); // keep the moved starts (see armResolveClock)
    const due = Date.parse(report.body.changes[0].toDeadline);
    const conflicts: string[] = [];
    await Promise.all(made.map(async (id, i) => {
      // Spread the resolves around the due instant: −120 ms … +90 ms.
      await sleep(Math.max(0, due - Date.now() - 120 + i * 30));
      for (let attempt = 0; attempt < 10; attempt++) {
        const res = await act(t, tokens.handler, id, 'resolve', { note: '已处置' });
        if (res.status === 200) return;
        conflicts.push(res.body.code);
        if (res.status !== 409) throw new Error(`resolve: ${res.status} ${res.text}`);
      }
      throw new Error('resolve never succeeded');
    }));
    await sleep(1500);
    for (const id of made) {
      const [c] = await t.ds.query(`SELECT id, stopped_at, deadline FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve' ORDER BY created_at DESC LIMIT 1`, [id]);
      const breaches = (await firingsOf(t, id)).filter((f) => f.threshold === 'breach');
      expect(breaches.length).toBeLessThanOrEqual(1);
      const late = c.stopped_at.getTime() >= c.deadline.getTime();
      expect({ id, breach: breaches.length === 1 }).toEqual({ id, breach: late });
      expect(await eventsOf(id, 'sla-breach')).toBe(breaches.length);
    }
    for (const code of conflicts) expect(['SLA_FIRED_CONCURRENTLY', 'STALE_VERSION']).toContain(code);
  });

  it('Postgres connections dropped while timers are due (what a Postgres restart looks like to the app): each fires once, none early', async () => {
    const made = [await ticket(), await ticket(), await ticket()];
    const clocks = [];
    for (const m of made) clocks.push(await armResolveClock(t, admin, m.id, LIMIT, 2));
    for (const c of clocks) await waitFor('relay', () => relayed(c.id, c.clock_version));
    const due = Math.max(...clocks.map((c) => c.deadline.getTime()));
    await sleep(Math.max(0, due - Date.now() - 100));
    // Kill every other session of this database around the due instant, twice.
    for (let i = 0; i < 2; i++) {
      await t.ds.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
      await sleep(150);
    }
    await waitFor('breaches after the outage', async () => {
      for (const m of made) if (!(await firingsOf(t, m.id).catch(() => [])).some((f) => f.threshold === 'breach')) return false;
      return true;
    }, 75_000, 250);
    await reconciler().fireOverdue();
    await sleep(1000);
    for (const m of made) {
      const fs = await firingsOf(t, m.id);
      expect(byThreshold(fs)).toEqual({ remind: 1, warning: 1, breach: 1 });
      for (const f of fs) expect(Number(f.lateness_ms)).toBeGreaterThanOrEqual(0);
      // Late by at most one reconciler period (60 s) plus its grace, when the outage took the queue's own connections.
      expect(Number(fs.find((f) => f.threshold === 'breach')!.lateness_ms)).toBeLessThan(65_000);
      expect(await eventsOf(m.id, 'sla-breach')).toBe(1);
    }
  });

  it('host clocks ahead or behind change nothing: deadlines come from the database clock, and an early delivery is re-delayed, not fired', async () => {
    const real = Date.now.bind(Date);
    const spy = jest.spyOn(Date, 'now').mockImplementation(() => real() + 10 * 60_000); // this host is 10 minutes ahead (tokens still valid)
    let made: Awaited<ReturnType<typeof ticket>>;
    try {
      made = await ticket();
    } finally {
      spy.mockRestore();
    }
    const [db] = await t.ds.query(`SELECT now() AS now`);
    const rc = made.signed.clocks.find((c: { stage: string; state: string }) => c.stage === 'resolve' && c.state === 'running');
    expect(Math.abs(Date.parse(made.dispatched.dispatchedAt) - db.now.getTime())).toBeLessThan(60_000);
    expect(Date.parse(rc.deadline) - Date.parse(made.dispatched.dispatchedAt)).toBe(LIMIT * 1000);

    const clock = await armResolveClock(t, admin, made.id, LIMIT, 6);
    await waitFor('relay', () => relayed(clock.id, clock.clock_version));
    // A worker whose clock runs ~6 s ahead takes the job now: the database says it is not due, so it is re-delayed.
    const data = { clockId: clock.id, threshold: 'breach', clockVersion: clock.clock_version };
    const ahead = await t.app.get(SlaFireJob, { strict: false }).handle(data);
    expect(ahead).toMatchObject({ outcome: 'redelayed' });
    expect((ahead as { remainingMs: number }).remainingMs).toBeGreaterThan(2000);
    expect(await queue().getJob(`${fireJobId(clock.id, 'breach', clock.clock_version)}-h1`)).toBeTruthy();
    // A producer host 20 s behind enqueues the same timer: BullMQ will hand it out about 20 s early.
    const behind = jest.spyOn(Date, 'now').mockImplementation(() => real() - 20_000);
    const skewedId = `skewed-${clock.id}`;
    try {
      await queue().add('sla.fire', { clockId: clock.id, threshold: 'breach', clockVersion: clock.clock_version }, { jobId: skewedId, delay: Math.max(0, clock.deadline.getTime() - real()) });
    } finally {
      behind.mockRestore();
    }
    const breach = await waitFor('breach', async () => (await firingsOf(t, made.id)).find((f) => f.threshold === 'breach'));
    expect(Number(breach.lateness_ms)).toBeGreaterThanOrEqual(0);
    expect(Number(breach.lateness_ms)).toBeLessThan(1500);
    // The skewed producer's job: the Postgres backend hands it out ~20 s early (re-delayed, not fired); a backend
    // that promotes by its own clock hands it out on time, after the firing (nothing left to do). Never a firing.
    const skewed = await waitFor('skewed job', async () => {
      const job = await queue().getJob(skewedId);
      return job?.returnvalue ? job.returnvalue as { outcome: string } : undefined;
    });
    expect(['redelayed', 'gone']).toContain(skewed.outcome);
    await sleep(1000);
    expect(byThreshold(await firingsOf(t, made.id))).toEqual({ remind: 1, warning: 1, breach: 1 });
  });
  // ── the batch firing (set-based), without jobs: what a worker does when many timers fall due at once ──────

  const firing = () => t.app.get(SlaFiringService, { strict: false });
  let bulkRun = 0;

  /**
   * `n` tickets in progress, each with a running resolve clock and one pending breach timer whose due instant is
   * `dueSql` (SQL over `i`, 1…n, evaluated by the database) — written in bulk SQL, with no job and no outbox row,
   * so only a batch firing can fire them.
   */
  async function bulkTimers(n: number, dueSql: string): Promise<Array<{ ticket_id: string; clock_id: string; due_at: Date }>> {
    const prefix = `BT${process.pid}x${++bulkRun}-`;
    const [ref] = await t.ds.query(
      `SELECT c.id AS category_id, s.id AS standard_id, g.id AS node_id, g.path::text AS path, u.id AS unit_id
         FROM categories c JOIN case_standards s ON s.category_id = c.id AND s.code = 'missing'
         JOIN grid_nodes g ON g.code = '210902001001001' JOIN units u ON u.code = 'FX-SZSS'
        WHERE c.code = '0101' ORDER BY c.version DESC LIMIT 1`);
    return t.ds.query(
      `WITH tk AS (
         INSERT INTO tickets (number, platform, category_id, category_code, case_standard_id, priority, title, description, grid_node_id, grid_path,
                              channel, status, unit_id, dispatched_at)
         SELECT $1 || i, 'community_governance', $2, '0101', $3, 'urgent', 'batch', 'batch', $4, $5::ltree, 'patrol', 'in_progress', $6, now()
           FROM generate_series(1, $7::int) i RETURNING id, number),
       ck AS (
         INSERT INTO ticket_clocks (ticket_id, stage, state, clock_type, limit_seconds, started_at, deadline, calendar_versions, policy_code, policy_version, calendar_key)
         SELECT tk.id, 'resolve', 'running', 'natural', 14400, now() - interval '4 hours', x.due, '{"cn-national":1}', 'default', 1, 'cn-national@1'
           FROM tk CROSS JOIN LATERAL (SELECT substring(tk.number FROM length($1) + 1)::int AS i) n CROSS JOIN LATERAL (SELECT ${dueSql} AS due FROM (SELECT n.i) AS s(i)) x
         RETURNING id, ticket_id, deadline, clock_version),
       tm AS (
         INSERT INTO sla_timers (clock_id, threshold, clock_version, ticket_id, kind, level, due_at)
         SELECT id, 'breach', clock_version, ticket_id, 'breach', 'red', deadline FROM ck RETURNING clock_id, ticket_id, due_at)
       SELECT ticket_id, clock_id, due_at FROM tm ORDER BY due_at`,
      [prefix, ref.category_id, ref.standard_id, ref.node_id, ref.path, ref.unit_id, n]);
  }

  async function firingStats(ticketIds: string[]) {
    const [row] = await t.ds.query(
      `SELECT count(*)::int AS firings, count(DISTINCT (clock_id, threshold, clock_version))::int AS keys,
              count(*) FILTER (WHERE fired_at < due_at)::int AS early,
              (SELECT count(*)::int FROM ticket_events e WHERE e.ticket_id = ANY($1::uuid[]) AND e.action = 'sla-breach') AS events,
              (SELECT count(*)::int FROM outbox o WHERE o.job_name = 'sla.notify' AND o.payload->>'firingId' IN (SELECT id::text FROM sla_firings WHERE ticket_id = ANY($1::uuid[]))) AS notifications,
              (SELECT count(*)::int FROM ticket_clocks k WHERE k.ticket_id = ANY($1::uuid[]) AND k.level = 'red' AND k.thresholds_fired = '{breach}') AS coloured
         FROM sla_firings WHERE ticket_id = ANY($1::uuid[])`, [ticketIds]);
    return row as { firings: number; keys: number; early: number; events: number; notifications: number; coloured: number };
  }

  it('a burst due at once is fired set-based, in bounded batches, by concurrent drains: each timer once, none early, nothing not yet due', async () => {
    expect(t.app.get(WorkerService, { strict: false }).concurrency('sla')).toBe(12);
    expect(t.app.get(WorkerService, { strict: false }).concurrency('notify')).toBe(t.config.workerConcurrency);
    const due = await bulkTimers(40, `now() - make_interval(secs => i::double precision / 100)`);
    const later = await bulkTimers(5, `now() + interval '1 hour'`);
    const first = await firing().fireBatch('job');
    expect(first.candidates).toBeLessThanOrEqual(7); // one batch takes at most SLA_FIRE_BATCH timers
    expect(first.fired).toBeGreaterThanOrEqual(1);
    expect(first.fired).toBeLessThanOrEqual(7);
    // Three drains at once, as three worker processes would run them: SKIP LOCKED shares the work out.
    const counts = await Promise.all([firing().drain('job'), firing().drain('job'), firing().drain('job')]);
    expect(first.fired + counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(40);
    const ids = due.map((d) => d.ticket_id);
    expect(await firingStats(ids)).toEqual({ firings: 40, keys: 40, early: 0, events: 40, notifications: 40, coloured: 40 });
    const [via] = await t.ds.query(`SELECT array_agg(DISTINCT via) AS via FROM sla_firings WHERE ticket_id = ANY($1::uuid[])`, [ids]);
    expect(via.via).toEqual(['job']);
    const pending = await t.ds.query(`SELECT count(*)::int AS n FROM sla_timers WHERE ticket_id = ANY($1::uuid[]) AND state = 'pending'`, [later.map((d) => d.ticket_id)]);
    expect(pending[0].n).toBe(5);
    expect(await firing().drain('job')).toBe(0);
    expect((await firingStats(later.map((d) => d.ticket_id))).firings).toBe(0);
  });

  it('a batch never waits for a ticket held by a workflow action: it fires the others, and that one once the action ends', async () => {
    const due = await bulkTimers(5, `now() - interval '50 milliseconds'`);
    const held = due[0]!.ticket_id;
    const qr = t.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      await qr.query(`SELECT id FROM tickets WHERE id = $1 FOR UPDATE`, [held]);
      const outcome = await Promise.race([firing().drain('job'), sleep(15_000).then(() => 'waited' as const)]);
      expect(outcome).not.toBe('waited');
      expect((await firingStats(due.slice(1).map((d) => d.ticket_id))).firings).toBe(4);
      expect((await firingStats([held])).firings).toBe(0);
      await qr.rollbackTransaction();
    } finally {
      await qr.release();
    }
    expect(await firing().drain('job')).toBeGreaterThanOrEqual(1);
    expect(await firingStats(due.map((d) => d.ticket_id))).toEqual({ firings: 5, keys: 5, early: 0, events: 5, notifications: 5, coloured: 5 });
  });

  it('while timers fall due within a second, the batch loop fires them on time without waiting for their jobs', async () => {
    const now = await bulkTimers(1, `now() - interval '10 milliseconds'`);
    const soon = await bulkTimers(3, `now() + make_interval(secs => 0.3 * i)`);
    await firing().fireDue();
    expect((await firingStats(now.map((d) => d.ticket_id))).firings).toBe(1);
    const fired = await waitFor('the timers due soon', async () => {
      const fs = await t.ds.query(
        `SELECT via, extract(epoch FROM fired_at - due_at) * 1000 AS lateness_ms FROM sla_firings WHERE ticket_id = ANY($1::uuid[])`, [soon.map((d) => d.ticket_id)]);
      return fs.length === 3 && (fs as Array<{ via: string; lateness_ms: number }>);
    }, 10_000, 50);
    for (const f of fired) {
      expect(f.via).toBe('job');
      expect(Number(f.lateness_ms)).toBeGreaterThanOrEqual(0);
      expect(Number(f.lateness_ms)).toBeLessThan(1000);
    }
  });

  it('resolve racing a batch firing: a breach exactly when the clock stopped at or after its deadline, once', async () => {
    const n = 6;
    const made: string[] = [];
    for (let i = 0; i < n; i++) made.push((await ticket()).id);
    const clocks: Array<{ id: string; deadline: Date }> = [];
    for (const id of made) {
      clocks.push(await armQuietly(id, 3, async (m, clockId, version) => {
        // No jobs for these timers: only the batch firing below (and the resolves' own firing) can fire them.
        await m.query(`UPDATE outbox SET relayed_at = now() WHERE job_name = 'sla.fire' AND payload->>'clockId' = $1 AND (payload->>'clockVersion')::int = $2`, [clockId, version]);
      }));
    }
    await firing().drain('job'); // the reminders and warnings already reached
    const due = Math.max(...clocks.map((c) => c.deadline.getTime()));
    const conflicts: string[] = [];
    let batches = 0;
    const drains = (async () => {
      await sleep(Math.max(0, due - Date.now() - 100));
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        await firing().drain('job');
        batches++;
      }
    })();
    await Promise.all([drains, ...made.map(async (id, i) => {
      await sleep(Math.max(0, due - Date.now() - 90 + i * 30)); // −90 ms … +60 ms around the breach
      for (let attempt = 0; attempt < 10; attempt++) {
        const res = await act(t, tokens.handler, id, 'resolve', { note: '已处置' });
        if (res.status === 200) return;
        conflicts.push(res.body.code);
        if (res.status !== 409) throw new Error(`resolve: ${res.status} ${res.text}`);
      }
      throw new Error('resolve never succeeded');
    })]);
    expect(batches).toBeGreaterThan(0);
    for (const id of made) {
      const [c] = await t.ds.query(`SELECT stopped_at, deadline FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve' ORDER BY created_at DESC LIMIT 1`, [id]);
      const breaches = (await firingsOf(t, id)).filter((f) => f.threshold === 'breach');
      expect(breaches.length).toBeLessThanOrEqual(1);
      expect({ id, breach: breaches.length === 1 }).toEqual({ id, breach: c.stopped_at.getTime() >= c.deadline.getTime() });
      expect(await eventsOf(id, 'sla-breach')).toBe(breaches.length);
      for (const f of breaches) expect(Number(f.lateness_ms)).toBeGreaterThanOrEqual(0);
    }
    for (const code of conflicts) expect(['SLA_FIRED_CONCURRENTLY', 'STALE_VERSION']).toContain(code);
  });

  it('outbox housekeeping: relayed rows older than the retention are deleted in bounded batches; unrelayed and recent rows stay', async () => {
    const tag = `purge-${process.pid}-${Date.now()}`;
    const rows: Array<[string, string | null]> = [
      ['old1', '10 days'], ['old2', '10 days'], ['old3', '12 days'], ['recent', '1 day'], ['unrelayed', null], ['ancient', '40 days'],
    ];
    for (const [name, age] of rows) {
      await t.ds.query(
        `INSERT INTO outbox (job_name, job_id, payload, created_at, relayed_at)
         VALUES ('system.ping', $1, '{"token":"x"}', now() - interval '45 days', CASE WHEN $2::text IS NULL THEN NULL ELSE now() - $2::interval END)`,
        [`${tag}-${name}`, age]);
    }
    const left = async () => (await t.ds.query(`SELECT job_id FROM outbox WHERE job_id LIKE $1 ORDER BY job_id`, [`${tag}-%`])).map((r: { job_id: string }) => r.job_id.slice(tag.length + 1));
    // The scheduler (retention 30 days here) deletes the 40-day row and keeps the others.
    await t.app.get(OutboxRelayJob, { strict: false }).handle();
    expect(await left()).toEqual(['old1', 'old2', 'old3', 'recent', 'unrelayed']);
    const outbox = t.app.get(OutboxService, { strict: false });
    expect(await outbox.purge(7, 2, 1)).toBe(2); // one bounded batch
    expect(await outbox.purge(7, 2, 5)).toBe(1);
    expect(await left()).toEqual(['recent', 'unrelayed']);
    expect(await outbox.purge(7)).toBe(0);
  });
});
