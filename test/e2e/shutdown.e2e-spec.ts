import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

/**
 * Graceful shutdown (docs/operations.md#graceful-shutdown) of the real processes: `src/main.ts` and
 * `src/worker.ts` run in child processes, compiled on the fly by swc (as Jest does), so the test needs no
 * build and proves the source. SIGTERM must end each of them with exit code 0, not killed by the signal.
 */
const ROOT = resolve(__dirname, '../..');

// A require hook for .ts files with the options of jest.config.js; Node 20.19+ require()s the ESM packages.
const TS_HOOK = `
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const swc = require('@swc/core');
Module._extensions['.ts'] = function (module, filename) {
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
    filename, sourceMaps: 'inline', module: { type: 'commonjs' },
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, keepClassNames: true, target: 'es2022' },
  });
  module._compile(code, filename);
};`;

interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: Child[] = [];

function startEntry(entry: string, env: Record<string, string>): Child {
  const base = { ...process.env };
  // The child's configuration is exactly what each test gives (no DATABASE_URL means embedded Postgres).
  for (const key of ['DATABASE_URL', 'APP_MODE', 'PORT', 'PG_DATA_DIR', 'PG_PORT', 'WITH_WORKER', 'RUN_MIGRATIONS']) delete base[key];
  const proc = spawn(process.execPath, ['-e', `${TS_HOOK}\nrequire(${JSON.stringify(join(ROOT, entry))});`], {
    cwd: ROOT, env: { ...base, APP_MODE: 'test', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => proc.once('exit', (code, signal) => done({ code, signal })));
  const child = { proc, output: () => out, exited };
  children.push(child);
  return child;
}

async function until(child: Child, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => { exited = true; });
  for (;;) {
    if (await check()) return;
    if (exited || Date.now() > deadline) throw new Error(`${what}: not reached (${exited ? 'process exited' : 'timeout'}); output:\n${child.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200;
  } catch {
    return false;
  }
}

/** Sends SIGTERM and waits (at most `withinMs`) for the process to end. */
async function terminate(child: Child, withinMs = 40_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  child.proc.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), withinMs).unref());
  const result = await Promise.race([child.exited, timeout]);
  if (result === 'timeout') throw new Error(`no exit within ${withinMs} ms after SIGTERM; output:\n${child.output().slice(-3000)}`);
  return result;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
}

describe('graceful shutdown 优雅停机', () => {
  let adminUrl: string;
  let dbName: string;
  let databaseUrl: string;

  beforeAll(async () => {
    adminUrl = process.env.FX_TEST_PG_ADMIN_URL!;
    const template = process.env.FX_TEST_PG_TEMPLATE!;
    dbName = `test_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName} TEMPLATE ${template}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  it('the API process exits 0 on SIGTERM after closing the app', async () => {
    const port = await freePort();
    const api = startEntry('src/main.ts', { DATABASE_URL: databaseUrl, RUN_MIGRATIONS: 'false', PORT: String(port), QUEUE_PREFIX: dbName });
    await until(api, '/health/ready', () => ready(port), 60_000);
    const exit = await terminate(api);
    expect({ exit, output: api.output().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(api.output()).toContain('"msg":"api shutting down"');
    expect(api.output()).toContain('"msg":"api stopped"');
    expect(await accepts(port)).toBe(false);
  }, 120_000);

  it('the worker process exits 0 on SIGTERM after closing its queues', async () => {
    const worker = startEntry('src/worker.ts', { DATABASE_URL: databaseUrl, RUN_MIGRATIONS: 'false', QUEUE_PREFIX: dbName });
    await until(worker, 'worker running', async () => worker.output().includes('"msg":"worker running"'), 60_000);
    const exit = await terminate(worker);
    expect({ exit, output: worker.output().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(worker.output()).toContain('"msg":"worker stopped"');
  }, 120_000);

  it('with the embedded Postgres, SIGTERM stops the database too and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fx-shutdown-'));
    chmodSync(dir, 0o711); // the postgres OS user (when we run as root) must reach its data directory
    try {
      const [port, pgPort] = [await freePort(), await freePort()];
      const api = startEntry('src/main.ts', { PORT: String(port), PG_PORT: String(pgPort), PG_DATA_DIR: join(dir, 'pg') });
      await until(api, '/health/ready', () => ready(port), 90_000);
      expect(await accepts(pgPort)).toBe(true);
      const exit = await terminate(api);
      expect({ exit, output: api.output().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
      expect(api.output()).toContain('"msg":"api stopped"');
      expect(await accepts(pgPort)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
