import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface AuditEntry {
  actorId?: string | null;
  actorUsername?: string | null;
  actorRole?: string | null;
  action: string;
  target?: string | null;
  method?: string | null;
  path?: string | null;
  status?: number | null;
  result: 'success' | 'failure' | 'denied';
  requestId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_username: string | null;
  actor_role: string | null;
  action: string;
  target: string | null;
  method: string | null;
  path: string | null;
  status: number | null;
  result: string;
  request_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  from?: Date;
  to?: Date;
  actorId?: string;
  action?: string;
  result?: string;
  beforeId?: string;
  limit: number;
}

const NUL = /\u0000/g;

/** Text as Postgres can store it (no NUL); in JSON text the escaped form `\\u0000` is replaced too. */
function storable(v: string | null | undefined): string | null {
  return v == null ? null : v.replace(NUL, '\uFFFD').replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

/** The append-only audit log. The table's triggers refuse UPDATE, TRUNCATE and early DELETE. */
@Injectable()
export class AuditRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(e: AuditEntry, m?: EntityManager): Promise<void> {
    // A refused request is audited with what it sent: a NUL (\u0000) in its path or details, which Postgres text and
    // jsonb cannot hold, becomes U+FFFD, so the entry is still written.
    await (m ?? this.ds).query(
      `INSERT INTO audit_log (actor_id, actor_username, actor_role, action, target, method, path, status, result, request_id, ip, details)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
      [e.actorId ?? null, storable(e.actorUsername), e.actorRole ?? null, e.action, storable(e.target), storable(e.method),
        storable(e.path), e.status ?? null, e.result, storable(e.requestId), storable(e.ip), storable(JSON.stringify(e.details ?? {}))],
    );
  }

  async list(f: AuditFilter): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => { params.push(v); where.push(sql.replace('?', `$${params.length}`)); };
    if (f.from) add('at >= ?', f.from);
    if (f.to) add('at < ?', f.to);
    if (f.actorId) add('actor_id = ?', f.actorId);
    if (f.action) add('action = ?', f.action);
    if (f.result) add('result = ?', f.result);
    if (f.beforeId) add('id < ?', f.beforeId);
    params.push(f.limit);
    return this.ds.query(
      `SELECT id::text, at, actor_id, actor_username, actor_role, action, target, method, path, status, result, request_id, ip, details
         FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY audit_log.id DESC LIMIT $${params.length}`, params); // the bigint column: a bare "id" sorts the text output column
  }

  /** Deletes entries older than the retention period (never less than 180 days; the trigger enforces it too). */
  async purgeOlderThan(days: number): Promise<number> {
    const rows: Array<{ n: string }> = await this.ds.query(
      `WITH d AS (DELETE FROM audit_log WHERE at < now() - make_interval(days => $1) RETURNING 1) SELECT count(*)::text AS n FROM d`,
      [Math.max(days, 180)]);
    return Number(rows[0]?.n ?? 0);
  }
}
