import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT, accepts, freePort, until, type Child, type Exit } from '../support/child-process';

/**
 * README: "Ctrl-C (or SIGTERM) stops the API, the workers and the embedded Postgres". Run the way a user runs it,
 * through npm: npm forwards SIGINT and SIGTERM to its child, the script's shell, and `exec` in the script line makes
 * that child the Node process itself (a plain `sh -c "… && node …"` died of the signal and left Node and Postgres
 * running). Node's exit status is npm's (npm exits with its child's status), so each run asserts npm's.
 *
 * 1. `npm run demo` as it is (it builds first), then a terminal's Ctrl-C: SIGINT to the whole process group. The
 *    embedded Postgres runs in a process group of its own, so it is stopped by the app after the app has drained,
 *    not by the terminal under it: no error lines.
 * 2. The same script line without its `nest build` (dist/ is fresh from run 1), through `npm exec -c` (npm's same
 *    run-script and signal forwarding), and the Node process SIGKILLed: its Postgres stays behind, an orphan.
 * 3. The same again: it finds the orphan through postmaster.pid and takes it over; SIGTERM to npm's pid alone
 *    stops the API, the workers and that Postgres, and npm exits 0.
 * After 1 and 3: no postgres process of the data directory is left, and both ports are free.
 */
describe('npm run demo stops on Ctrl-C and SIGTERM 演示进程的停止', () => {
  let dir: string;
  let dataDir: string;
  const groups: number[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fx-demo-signals-'));
    chmodSync(dir, 0o711); // the postgres OS user (when we run as root) must reach its data directory
    dataDir = join(dir, 'pg');
  });

  afterAll(() => {
    for (const pgid of groups) try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
    for (const pid of postgresOf(dataDir)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The log from the shutdown message on, less the warning about the signal a terminal's Ctrl-C delivers twice (to
   * the group, and forwarded by npm).
   */
  const afterShutdown = (output: string): string => output.slice(Math.max(0, output.indexOf('"msg":"demo shutting down"')))
    .split('\n').filter((line) => !line.includes('"msg":"demo is already shutting down"')).join('\n');

  /** The script line of package.json's `demo`, and the part of it after the build. */
  function demoScript(): { line: string; run: string } {
    const line = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.demo!;
    const run = /^nest build && (exec node dist\/src\/demo\.js)$/.exec(line)?.[1];
    if (!run) throw new Error(`package.json's demo script is not "nest build && exec node dist/src/demo.js": ${line}`);
    return { line, run };
  }

  /** npm with `args`, leading a process group of its own (as a shell's foreground job). */
  function npm(args: string[], env: Record<string, string>): Child {
    const base = { ...process.env };
    for (const key of ['DATABASE_URL', 'APP_MODE', 'PORT', 'PG_DATA_DIR', 'PG_PORT', 'WITH_WORKER', 'RUN_MIGRATIONS']) delete base[key];
    const proc = spawn('npm', args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, LOG_LEVEL: 'info', ...env } });
    groups.push(proc.pid!);
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<Exit>((done) => proc.once('exit', (code, signal) => done({ code, signal })));
    return { proc, output: () => out, exited };
  }

  async function exitWithin(child: Child, ms: number): Promise<Exit> {
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
    const result = await Promise.race([child.exited, timeout]);
    if (result === 'timeout') throw new Error(`npm did not exit within ${ms} ms; output:\n${child.output().slice(-3000)}`);
    return result;
  }

  const banner = (child: Child) => until(child, 'the demo banner', async () => /Demo logins[^\n]*\n(?:.*\n){6}/.test(child.output()), 120_000);

  it('Ctrl-C (SIGINT to the group) and SIGTERM to npm stop API, workers and Postgres; npm and node exit 0; SIGKILL leaves an orphan the next start takes over', async () => {
    const { run } = demoScript();
    const [port, pgPort] = [await freePort(), await freePort()];
    const env = { PORT: String(port), PG_PORT: String(pgPort), PG_DATA_DIR: dataDir, QUEUE_PREFIX: `demo_${randomBytes(4).toString('hex')}` };

    // 1. npm run demo, Ctrl-C.
    const first = npm(['run', 'demo'], env);
    await banner(first);
    // npm → node (the shell exec'd it), no shell between them that a signal could kill alone.
    expect(childrenOf(first.proc.pid!).map(cmdline)).toEqual([['node', 'dist/src/demo.js', '']]);
    const [postgres] = postgresOf(dataDir);
    expect(postgres).toBeDefined();
    expect(processGroup(postgres!)).not.toBe(first.proc.pid);
    process.kill(-first.proc.pid!, 'SIGINT');
    const firstExit = await exitWithin(first, 40_000);
    expect({ exit: firstExit, output: first.output().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(first.output()).toContain('"msg":"demo stopped"');
    expect(first.output()).not.toMatch(/"level":(50|60)/); // Postgres did not go away under the draining app
    // Nor under a queue: workers drain before the queues close, and the queues close before Postgres stops.
    expect(afterShutdown(first.output())).not.toMatch(/"level":40/);
    expect(postgresOf(dataDir)).toEqual([]);
    expect([await accepts(port), await accepts(pgPort)]).toEqual([false, false]);

    // 2. The same script line without the build, Node SIGKILLed: Postgres is left running.
    const second = npm(['exec', '-c', run], env);
    await banner(second);
    const [node] = childrenOf(second.proc.pid!);
    expect(cmdline(node!)).toEqual(['node', 'dist/src/demo.js', '']);
    process.kill(node!, 'SIGKILL');
    expect(await exitWithin(second, 10_000)).toEqual({ code: null, signal: 'SIGKILL' }); // npm re-raises its child's signal
    const orphans = postgresOf(dataDir);
    expect(orphans).toHaveLength(1);
    expect(await accepts(pgPort)).toBe(true);

    // 3. The next start takes the orphan over; SIGTERM to npm alone stops everything.
    const third = npm(['exec', '-c', run], { ...env, LOG_LEVEL: 'debug' });
    await banner(third);
    expect(third.output()).toContain(`reusing running postmaster ${orphans[0]} on port ${pgPort}`);
    process.kill(third.proc.pid!, 'SIGTERM');
    const thirdExit = await exitWithin(third, 40_000);
    expect({ exit: thirdExit, output: third.output().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(third.output()).toContain('"msg":"demo stopped"');
    expect(third.output()).not.toMatch(/"level":(50|60)/);
    expect(afterShutdown(third.output())).not.toMatch(/"level":40/);
    expect(postgresOf(dataDir)).toEqual([]);
    expect([await accepts(port), await accepts(pgPort)]).toEqual([false, false]);
  }, 180_000);
});

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, …]. */
function stat(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function processes(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

function cmdline(pid: number): string[] {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { return []; }
}

/** Live postmasters of the embedded Postgres binary on `dataDir` (its backends rename themselves; they end with it). */
function postgresOf(dataDir: string): number[] {
  return processes().filter((pid) => {
    const args = cmdline(pid);
    try {
      return /\/postgres$/.test(args[0] ?? '') && args[args.indexOf('-D') + 1] === dataDir && stat(pid)[0] !== 'Z';
    } catch { return false; }
  });
}

function childrenOf(ppid: number): number[] {
  return processes().filter((pid) => {
    try { return Number(stat(pid)[1]) === ppid && stat(pid)[0] !== 'Z'; } catch { return false; }
  });
}

function processGroup(pid: number): number {
  return Number(stat(pid)[2]);
}
