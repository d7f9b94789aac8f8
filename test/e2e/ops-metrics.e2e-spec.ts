import { createApiTestApp, type ApiTestApp } from '../support/api-test-app';
import { MANHOLE, fileTicket } from '../support/tickets';

/** A gauge's value in a Prometheus text exposition (labels exactly as written), or undefined when absent. */
function gauge(text: string, series: string): number | undefined {
  const escaped = series.replace(/[{}"=,]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * The worker's health as `/metrics` shows it (SPEC §11: timer lag, breaches; docs/operations.md). The API runs alone
 * here, so nothing fires, relays periodically or folds behind the test's back: each state below is set in the
 * database as a stalled worker would leave it, and the scrape must report it.
 */
describe('operations metrics: timer lag, breaches, outbox, report staleness 运行指标', () => {
  let t: ApiTestApp;
  let grid: string;
  const scrape = async (): Promise<string> => {
    const res = await t.request('GET', '/metrics');
    expect(res.status).toBe(200);
    return res.text;
  };
  // Figures are shared by the gauges of one scrape for a second; each step reads a fresh one.
  const fresh = async (): Promise<string> => {
    await new Promise((r) => setTimeout(r, 1100));
    return scrape();
  };

  beforeAll(async () => {
    t = await createApiTestApp();
    grid = await t.login('demo.grid');
  });
  afterAll(async () => { await t.close(); });

  it('reports every gauge, at zero on a quiet system', async () => {
    const text = await scrape();
    expect(gauge(text, 'sla_timers_overdue')).toBe(0);
    expect(gauge(text, 'sla_timer_lag_seconds')).toBe(0);
    for (const kind of ['remind', 'warning', 'breach', 'supervise', 'notice']) expect(gauge(text, `sla_firings_recent{kind="${kind}"}`)).toBe(0);
    expect(gauge(text, 'sla_firing_lateness_max_seconds')).toBe(0);
    for (const stage of ['register', 'sign', 'resolve', 'verify', 'callback', 'mediation']) expect(gauge(text, `sla_clocks_breached{stage="${stage}"}`)).toBe(0);
    expect(gauge(text, 'outbox_pending')).toBe(0);
    expect(gauge(text, 'outbox_oldest_pending_seconds')).toBe(0);
    expect(gauge(text, 'sla_notify_dead_letters')).toBe(0);
    expect(gauge(text, 'report_rollup_lag_seconds')).toBe(0);
  });

  it('shows overdue timers and how long they have waited, a clock in breach, and the report fold falling behind', async () => {
    const filed = await fileTicket(t, grid, MANHOLE);
    expect(filed.status).toBe(201);
    const id = filed.body.id as string;
    // The filing is not folded (no worker): the reports are as stale as the filing is old.
    expect(gauge(await fresh(), 'report_rollup_lag_seconds')).toBeGreaterThan(0.5);

    // The register clock's timers as a stalled worker leaves them: due 90 s ago, still pending; its deadline passed.
    const moved = await t.ds.query(
      `UPDATE sla_timers SET due_at = now() - interval '90 seconds' WHERE ticket_id = $1 AND state = 'pending' RETURNING threshold`, [id]);
    expect(moved[1]).toBeGreaterThan(0);
    await t.ds.query(`UPDATE ticket_clocks SET deadline = now() - interval '1 minute' WHERE ticket_id = $1 AND stage = 'register' AND state = 'running'`, [id]);
    const text = await fresh();
    expect(gauge(text, 'sla_timers_overdue')).toBe(moved[1]);
    expect(gauge(text, 'sla_timer_lag_seconds')).toBeGreaterThanOrEqual(90);
    expect(gauge(text, 'sla_timer_lag_seconds')).toBeLessThan(120);
    expect(gauge(text, 'sla_clocks_breached{stage="register"}')).toBe(1);
    expect(gauge(text, 'sla_clocks_breached{stage="resolve"}')).toBe(0);
  });

  it('shows firings of the last five minutes by kind with the latest one\'s lateness, and leaves older ones out', async () => {
    const [clock] = await t.ds.query(`SELECT c.id, c.ticket_id, c.clock_version FROM ticket_clocks c WHERE c.stage = 'register' AND c.state = 'running' LIMIT 1`);
    const fire = (threshold: string, kind: string, dueAgo: string, firedAgo: string) => t.ds.query(
      `INSERT INTO sla_firings (clock_id, ticket_id, stage, threshold, clock_version, kind, level, due_at, fired_at, via)
       VALUES ($1, $2, 'register', $3, $4, $5, NULL, now() - $6::interval, now() - $7::interval, 'job')`,
      [clock.id, clock.ticket_id, threshold, clock.clock_version, kind, dueAgo, firedAgo]);
    // Thresholds with no timer row: late from their due instant.
    await fire('ops_breach', 'breach', '3 seconds', '500 milliseconds');
    await fire('ops_remind', 'remind', '10 seconds', '9 seconds');
    await fire('ops_warning', 'warning', '20 minutes', '10 minutes'); // outside the window
    let text = await fresh();
    expect(gauge(text, 'sla_firings_recent{kind="breach"}')).toBe(1);
    expect(gauge(text, 'sla_firings_recent{kind="remind"}')).toBe(1);
    expect(gauge(text, 'sla_firings_recent{kind="warning"}')).toBe(0);
    expect(gauge(text, 'sla_firing_lateness_max_seconds')).toBeCloseTo(2.5, 1);

    // A threshold already an hour past when its timer was written (a backdated clock) fires at once: not late.
    const [timer] = await t.ds.query(
      `UPDATE sla_timers SET due_at = now() - interval '1 hour', created_at = now() - interval '1 second'
        WHERE clock_id = $1 AND clock_version = $2 AND kind = 'breach' RETURNING threshold`, [clock.id, clock.clock_version]);
    await fire(timer[0].threshold, 'breach', '1 hour', '0 seconds');
    text = await fresh();
    expect(gauge(text, 'sla_firings_recent{kind="breach"}')).toBe(2);
    expect(gauge(text, 'sla_firing_lateness_max_seconds')).toBeCloseTo(2.5, 1);
  });

  it('shows outbox rows not handed to the queue and webhook notifications given up on', async () => {
    await t.ds.query(`INSERT INTO outbox (job_name, job_id, payload, created_at) VALUES ('sla.notify', 'ops-metrics-test', '{}', now() - interval '2 minutes')`);
    const [firing] = await t.ds.query(`SELECT id FROM sla_firings WHERE threshold = 'breach' LIMIT 1`);
    await t.ds.query(`INSERT INTO sla_dead_letters (firing_id, attempts, last_error) VALUES ($1, 5, 'HTTP 503')`, [firing.id]);
    const text = await fresh();
    expect(gauge(text, 'outbox_pending')).toBe(1);
    expect(gauge(text, 'outbox_oldest_pending_seconds')).toBeGreaterThanOrEqual(120);
    expect(gauge(text, 'sla_notify_dead_letters')).toBe(1);
  });
});
