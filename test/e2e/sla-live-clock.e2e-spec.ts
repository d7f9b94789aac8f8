import { existsSync, mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataSource, runMigrations } from '../../src/database/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/database/embedded-postgres';
import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, codeIds, fileTicket, mustAct } from '../support/tickets';

/**
 * The two deadlines of issue 5's "Done when", through the live path under a controlled clock: a Postgres of its
 * own runs under libfaketime with its clock set to Friday 2026-04-03 15:00 in Fuxin, the afternoon before the
 * 清明 holiday, and the tickets are filed, registered, dispatched and signed through the API. Deadlines come from
 * the database clock (never a worker's), so the whole workflow happens "on" that Friday.
 *
 * libfaketime is a Debian package (`faketime`), installed by `.ci/run` (which sets FX_REQUIRE_FAKETIME so a missing
 * library fails there); elsewhere, without it, this file is skipped.
 */
const LIBFAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1']
  .find((p) => existsSync(p));
const FRIDAY_15H = Date.parse('2026-04-03T15:00:00+08:00');
const HOUR = 3600_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

jest.setTimeout(120_000);

// CI (which installs libfaketime) sets FX_REQUIRE_FAKETIME, so a missing library fails there instead of skipping.
if (process.env.FX_REQUIRE_FAKETIME && !LIBFAKETIME) {
  it('libfaketime is installed (FX_REQUIRE_FAKETIME is set)', () => { throw new Error('libfaketime not found: apt-get install -y faketime'); });
}

(LIBFAKETIME && !process.env.TEST_PG_URL ? describe : describe.skip)('sla: deadlines under a controlled database clock (libfaketime) 受控时钟', () => {
  let pg: EmbeddedPostgresHandle;
  let dir: string;
  let t: TestApp;
  let ids: Record<string, string>;
  let tokens: { grid: string; dispatcher: string; handler: string };
  const saved = { url: process.env.FX_TEST_PG_ADMIN_URL, template: process.env.FX_TEST_PG_TEMPLATE };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fx-faketime-'));
    chmodSync(dir, 0o711);
    pg = await startEmbeddedPostgres({
      dataDir: join(dir, 'pg'), port: await freePort(),
      // The server's wall clock starts at Friday 15:00 Fuxin time and runs on; its monotonic clock stays real.
      env: { ...process.env as Record<string, string>, LD_PRELOAD: LIBFAKETIME!, FAKETIME: '@2026-04-03 07:00:00', TZ: 'UTC', FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_DONT_RESET: '1' },
    });
    await pg.createDatabase('faketime_template');
    const ds = await createDataSource(pg.url('faketime_template'), 2).initialize();
    await runMigrations(ds);
    await ds.destroy();
    process.env.FX_TEST_PG_ADMIN_URL = pg.url('postgres');
    process.env.FX_TEST_PG_TEMPLATE = 'faketime_template';
    t = await createTestApp();
    ids = await codeIds(t);
    const [grid, dispatcher, handler] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler'].map((u) => t.login(u)));
    tokens = { grid: grid!, dispatcher: dispatcher!, handler: handler! };
  });

  afterAll(async () => {
    await t?.close();
    process.env.FX_TEST_PG_ADMIN_URL = saved.url;
    process.env.FX_TEST_PG_TEMPLATE = saved.template;
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const resolveClock = (ticket: { clocks: Array<{ stage: string; state: string; deadline: string; clockType: string }> }) =>
    ticket.clocks.find((c) => c.stage === 'resolve' && c.state === 'running')!;

  async function handled(overrides: Record<string, unknown>) {
    const filed = await fileTicket(t, tokens.grid, { ...MANHOLE, ...overrides });
    expect(filed.status).toBe(201);
    const id = filed.body.id as string;
    await mustAct(t, tokens.dispatcher, id, 'register');
    const dispatched = await mustAct(t, tokens.dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] });
    const signed = await mustAct(t, tokens.handler, id, 'sign');
    return { id, dispatched, signed };
  }

  it('the database clock is the controlled one: the workflow happens on Friday afternoon, 2026-04-03', async () => {
    const [{ now }] = await t.ds.query(`SELECT now() AS now`);
    expect(now.getTime()).toBeGreaterThanOrEqual(FRIDAY_15H);
    expect(now.getTime()).toBeLessThan(FRIDAY_15H + HOUR);
    expect(Math.abs(Date.now() - now.getTime())).toBeGreaterThan(24 * HOUR); // this process's own clock is the real one
  });

  it('a 破损 cover filed and dispatched on Friday afternoon before 清明 is due Wednesday at the same working hour, skipping the holiday and the lunch breaks', async () => {
    const { id, dispatched, signed } = await handled({ standardCode: 'damaged', title: '井盖破损（清明节前）' });
    const at = Date.parse(dispatched.dispatchedAt);
    expect(at).toBeGreaterThanOrEqual(FRIDAY_15H);
    expect(at).toBeLessThan(FRIDAY_15H + HOUR);
    const clock = resolveClock(signed);
    expect(clock.clockType).toBe('working_hours');
    // Fri 15:00–17:30 (2.5 h) · Sat–Mon 4–6 April 清明 · Tue 08:30–12:00 + 13:30–17:30 (7.5 h) · Wed 08:30–12:00 (3.5 h)
    // and 13:30–16:00 (2.5 h) = 16 working hours; dispatched a few seconds after 15:00, due as many after 16:00 on Wednesday.
    expect(Date.parse(clock.deadline)).toBe(Date.parse('2026-04-08T16:00:00+08:00') + (at - FRIDAY_15H));
    const events = (await t.request('GET', `/api/v1/tickets/${id}/events`, { token: tokens.dispatcher })).body;
    expect(events.map((e: { at: string }) => e.at.slice(0, 10))).toEqual(events.map(() => '2026-04-03'));
  });

  it('the demo manhole (缺失, urgent) is due at most 4 hours after dispatch, in natural time, across the holiday eve', async () => {
    const { dispatched, signed } = await handled({ title: '井盖缺失（清明节前）' });
    const clock = resolveClock(signed);
    expect(clock.clockType).toBe('natural');
    expect(Date.parse(clock.deadline) - Date.parse(dispatched.dispatchedAt)).toBe(4 * HOUR);
  });
});
