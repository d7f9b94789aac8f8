import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';

/** Small helpers shared by the benchmarks: free ports, child processes, percentiles, machine info. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function startProcess(name: string, cmd: string, args: string[], env: Record<string, string | undefined>): ChildProcess {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  let bytes = 0;
  const keep = (d: Buffer) => { bytes += d.length; tail = (tail + d.toString()).slice(-4000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(`${name}: ${bytes} bytes of output; last:\n${tail.slice(-1500)}\n`);
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL') process.stderr.write(`${name} exited ${code ?? signal}:\n${tail}\n`);
  });
  return child;
}

export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.pid === undefined) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resident set size of a process in MiB, from /proc (Linux). */
export function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU seconds (user + system) used so far by each live descendant of `root` (root itself excluded), with its command
 * name and parent: read from /proc, so only on Linux (empty elsewhere). Sampled before and after a measured window,
 * the difference splits the machine's work between the processes a benchmark started.
 */
export function descendantCpu(root: number): Map<number, { comm: string; ppid: number; seconds: number }> {
  const all = new Map<number, { comm: string; ppid: number; seconds: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d));
  } catch {
    return all;
  }
  for (const d of pids) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid … utime(14) stime(15): comm may contain spaces, so split after its closing parenthesis.
      const close = stat.lastIndexOf(')');
      const f = stat.slice(close + 2).split(' ');
      all.set(Number(d), { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(f[1]), seconds: (Number(f[11]) + Number(f[12])) / USER_HZ });
    } catch {
      // exited while listing
    }
  }
  const out = new Map<number, { comm: string; ppid: number; seconds: number }>();
  const isBelow = (pid: number): boolean => {
    for (let p = all.get(pid)?.ppid, hops = 0; p !== undefined && p > 0 && hops < 64; p = all.get(p)?.ppid, hops++) if (p === root) return true;
    return false;
  };
  for (const [pid, info] of all) if (isBelow(pid)) out.set(pid, info);
  return out;
}

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
