import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * The real processes in child processes: `src/main.ts` (API) and `src/worker.ts` (worker), compiled on the fly by
 * swc (as Jest does), so the tests need no build and prove the source. Used by the graceful-shutdown tests and by
 * the SLA fault tests that kill a worker process.
 */
export const ROOT = resolve(__dirname, '../..');

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

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<Exit>;
}

/** Every child started through this module (per test file: Jest gives each file its own module registry). */
const started: Child[] = [];

/**
 * Starts `entry` (a path relative to the repository root) in a child process. Its configuration is exactly what
 * the caller gives on top of this process's environment, without DATABASE_URL, APP_MODE, PORT, PG_DATA_DIR,
 * PG_PORT, WITH_WORKER and RUN_MIGRATIONS (no DATABASE_URL means embedded Postgres). REDIS_URL passes through,
 * so a child uses the queue backend of the run.
 */
export function startEntry(entry: string, env: Record<string, string>): Child {
  const base = { ...process.env };
  for (const key of ['DATABASE_URL', 'APP_MODE', 'PORT', 'PG_DATA_DIR', 'PG_PORT', 'WITH_WORKER', 'RUN_MIGRATIONS']) delete base[key];
  const proc = spawn(process.execPath, ['-e', `${TS_HOOK}\nrequire(${JSON.stringify(join(ROOT, entry))});`], {
    cwd: ROOT, env: { ...base, APP_MODE: 'test', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<Exit>((done) => proc.once('exit', (code, signal) => done({ code, signal })));
  const child = { proc, output: () => out, exited };
  started.push(child);
  return child;
}

/** Polls `check` every 200 ms until it holds; fails (with the child's output) on timeout or when the child exits. */
export async function until(child: Child, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => { exited = true; });
  for (;;) {
    if (await check()) return;
    if (exited || Date.now() > deadline) throw new Error(`${what}: not reached (${exited ? 'process exited' : 'timeout'}); output:\n${child.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Until the child has logged `msg` (the processes log JSON lines: `"msg":"worker running"`). */
export function untilLogged(child: Child, msg: string, timeoutMs: number): Promise<void> {
  return until(child, msg, async () => child.output().includes(`"msg":${JSON.stringify(msg)}`), timeoutMs);
}

export async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200;
  } catch {
    return false;
  }
}

/** Sends `signal` and waits (at most `withinMs`) for the process to end. */
export async function stop(child: Child, signal: NodeJS.Signals, withinMs: number): Promise<Exit> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return child.exited;
  child.proc.kill(signal);
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), withinMs).unref());
  const result = await Promise.race([child.exited, timeout]);
  if (result === 'timeout') throw new Error(`no exit within ${withinMs} ms after ${signal}; output:\n${child.output().slice(-3000)}`);
  return result;
}

/** Sends SIGTERM and waits (at most `withinMs`) for the process to end. */
export function terminate(child: Child, withinMs = 40_000): Promise<Exit> {
  return stop(child, 'SIGTERM', withinMs);
}

/** SIGKILL: the process dies at once, in the middle of whatever it was doing. */
export function killHard(child: Child): Promise<Exit> {
  return stop(child, 'SIGKILL', 10_000);
}

/** SIGKILLs every child started through this module that is still running (for afterAll). */
export function killStarted(): void {
  for (const c of started) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

export function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
}
