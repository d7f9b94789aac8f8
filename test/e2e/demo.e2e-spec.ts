import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEMO_USERS } from '../../src/database/seeds/demo-city';
import { MANHOLE } from '../support/tickets';
import { accepts, freePort, killStarted, startEntry, terminate, until, type Child } from '../support/child-process';

/**
 * README Quick start, `npm ci && npm run demo`: `src/demo.ts` in a child process (compiled on the fly by swc, as in
 * shutdown.e2e-spec.ts) on an embedded Postgres of its own. It must migrate, seed the demo city, start API and worker,
 * print the URL and the six demo logins — and each printed login must work. SIGTERM then ends it with exit code 0.
 */
describe('npm run demo 演示', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fx-demo-'));
    chmodSync(dir, 0o711); // the postgres OS user (when we run as root) must reach its data directory
  });

  afterAll(() => {
    killStarted();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the banner says: the API URL, the password and the usernames under "Demo logins". */
  function banner(demo: Child): { api: string; password: string; usernames: string[] } {
    const out = demo.output();
    const api = /^ {2}API: +(http:\/\/\S+\/api\/v1)$/m.exec(out)?.[1];
    const logins = /^ {2}Demo logins \(password (\S+)\):\n((?: {4}\S+ +.+\n)+)/m.exec(out);
    if (!api || !logins) throw new Error(`no banner; output:\n${out.slice(-3000)}`);
    const usernames = logins[2].trimEnd().split('\n').map((l) => l.trim().split(/\s+/)[0]);
    return { api, password: logins[1].replace(/\)$/, ''), usernames };
  }

  it('migrates, seeds, prints the URL and six logins that work, serves Open311, and exits 0 on SIGTERM', async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    const demo = startEntry('src/demo.ts', {
      PORT: String(port), PG_PORT: String(pgPort), PG_DATA_DIR: join(dir, 'pg'),
      // With REDIS_URL (the CI's second run) its queues must not meet another test's.
      QUEUE_PREFIX: `demo_${randomBytes(4).toString('hex')}`,
    });
    await until(demo, 'the demo banner', async () => /Demo logins[^\n]*\n(?:.*\n){6}/.test(demo.output()), 240_000);

    const { api, password, usernames } = banner(demo);
    expect(api).toBe(`http://127.0.0.1:${port}/api/v1`);
    expect(demo.output()).toContain(`embedded Postgres on 127.0.0.1:${pgPort}`);
    expect(demo.output()).toContain('demo city seeded');
    expect(usernames.sort()).toEqual(DEMO_USERS.map((u) => u.username).sort());

    const tokens: Record<string, string> = {};
    for (const username of usernames) {
      const res = await fetch(`${api}/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
      });
      const body = (await res.json()) as { accessToken?: string; user?: { username: string; role: string } };
      expect({ username, status: res.status }).toEqual({ username, status: 200 });
      expect(body.user).toMatchObject({ username, role: DEMO_USERS.find((u) => u.username === username)!.role });
      const me = await fetch(`${api}/auth/me`, { headers: { authorization: `Bearer ${body.accessToken}` } });
      expect(me.status).toBe(200);
      tokens[username] = body.accessToken!;
    }
    const wrong = await fetch(`${api}/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'demo.grid', password: 'Wrong@2026!' }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');

    const discovery = await fetch(`http://127.0.0.1:${port}/open311/v2/discovery.json`);
    expect(discovery.status).toBe(200);
    const doc = (await discovery.json()) as { endpoints?: unknown[] };
    expect(Array.isArray(doc.endpoints) && doc.endpoints.length).toBeTruthy();
    const services = await fetch(`http://127.0.0.1:${port}/open311/v2/services.json`);
    expect(services.status).toBe(200);
    expect(((await services.json()) as unknown[]).length).toBeGreaterThan(0);

    // The worker runs in the same process: a manhole cover filed in 电务社区 is routed by the demo rule (派单目录).
    const filed = await fetch(`${api}/tickets`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens['demo.grid']}` }, body: JSON.stringify(MANHOLE),
    });
    expect(filed.status).toBe(201);
    const { id } = (await filed.json()) as { id: string };
    await until(demo, 'the demo ticket routed by the worker', async () => {
      const res = await fetch(`${api}/tickets/${id}`, { headers: { authorization: `Bearer ${tokens['demo.dispatcher']}` } });
      return res.status === 200 && ((await res.json()) as { status: string }).status === 'dispatched';
    }, 30_000);

    // Nothing failed on the way: no error or fatal log line.
    expect(demo.output()).not.toMatch(/"level":(50|60)/);

    const exit = await terminate(demo, 60_000);
    expect({ exit, output: demo.output().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(demo.output()).toContain('"msg":"demo stopped"');
    expect(await accepts(port)).toBe(false);
    expect(await accepts(pgPort)).toBe(false);
  }, 400_000);
});
