import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Role } from '../auth/roles';

/** The caller's scope: every query here is limited to the subtree of this ltree path. */
export interface Scope {
  path: string;
}

export interface GridNodeRow {
  id: string;
  parent_id: string | null;
  code: string;
  name: string;
  level: string;
  depth: number;
  path: string;
  lat: number | null;
  lng: number | null;
  polygon: unknown;
  child_count: number;
}

export interface UnitRow {
  id: string;
  code: string;
  name_zh: string;
  name_en: string;
  type: string;
  jurisdiction_node_id: string;
  jurisdiction_path: string;
  active: boolean;
}

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  scope_node_id: string;
  unit_id: string | null;
  on_duty: boolean;
  active: boolean;
  totp_enabled: boolean;
  locked_until: Date | null;
  created_at: Date;
}

const NODE_COLUMNS = `g.id, g.parent_id, g.code, g.name, g.level, g.depth, g.path::text AS path, g.lat, g.lng, g.polygon,
  (SELECT count(*)::int FROM grid_nodes c WHERE c.parent_id = g.id) AS child_count`;
const UNIT_COLUMNS = `u.id, u.code, u.name_zh, u.name_en, u.type, u.jurisdiction_node_id, j.path::text AS jurisdiction_path, u.active`;
const USER_COLUMNS = `u.id, u.username, u.display_name, u.role, u.scope_node_id, u.unit_id, u.on_duty, u.active, u.totp_enabled, u.locked_until, u.created_at`;

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return (e.driverError?.code ?? e.code) === '23505';
}

/**
 * Grid tree, units and users. Scoping lives here, in SQL: a node outside the caller's subtree is
 * simply not found (`path <@ scope`), which the API reports as 404.
 */
@Injectable()
export class OrgRepository {
  constructor(private readonly ds: DataSource) {}

  async findNode(scope: Scope, id: string): Promise<GridNodeRow | undefined> {
    const rows: GridNodeRow[] = await this.ds.query(
      `SELECT ${NODE_COLUMNS} FROM grid_nodes g WHERE g.id = $1 AND g.path <@ $2::ltree`, [id, scope.path]);
    return rows[0];
  }

  async findNodeByCode(scope: Scope, code: string, m: EntityManager = this.ds.manager): Promise<GridNodeRow | undefined> {
    const rows: GridNodeRow[] = await m.query(
      `SELECT ${NODE_COLUMNS} FROM grid_nodes g WHERE g.code = $1 AND g.path <@ $2::ltree`, [code, scope.path]);
    return rows[0];
  }

  async children(scope: Scope, id: string): Promise<GridNodeRow[]> {
    return this.ds.query(
      `SELECT ${NODE_COLUMNS} FROM grid_nodes g
        WHERE g.parent_id = $1 AND g.path <@ $2::ltree ORDER BY g.code`, [id, scope.path]);
  }

  /** Inserts a node under a parent; the path is the parent's path plus the node's code. */
  async insertNode(
    m: EntityManager,
    parent: { id: string; path: string; depth: number } | null,
    n: { code: string; name: string; level: string; lat?: number | null; lng?: number | null; polygon?: unknown },
  ): Promise<GridNodeRow | 'code_taken'> {
    try {
      const rows: Array<{ id: string }> = await m.query(
        `INSERT INTO grid_nodes (parent_id, code, name, level, depth, path, lat, lng, polygon)
         VALUES ($1, $2, $3, $4, $5, $6::ltree, $7, $8, $9) RETURNING id`,
        [parent?.id ?? null, n.code, n.name, n.level, parent ? parent.depth + 1 : 0,
          parent ? `${parent.path}.${n.code}` : n.code, n.lat ?? null, n.lng ?? null, n.polygon ? JSON.stringify(n.polygon) : null],
      );
      const created: GridNodeRow[] = await m.query(`SELECT ${NODE_COLUMNS} FROM grid_nodes g WHERE g.id = $1`, [rows[0]!.id]);
      return created[0]!;
    } catch (err) {
      if (isUniqueViolation(err)) return 'code_taken';
      throw err;
    }
  }

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  async updateNode(scope: Scope, id: string, patch: { name?: string; lat?: number | null; lng?: number | null; polygon?: unknown }): Promise<boolean> {
    const rows = await this.ds.query(
      `WITH n AS (UPDATE grid_nodes SET name = coalesce($3, name),
              lat = CASE WHEN $4::boolean THEN $5 ELSE lat END,
              lng = CASE WHEN $4::boolean THEN $6 ELSE lng END,
              polygon = CASE WHEN $7::boolean THEN $8::jsonb ELSE polygon END
        WHERE id = $1 AND path <@ $2::ltree RETURNING id) SELECT id FROM n`,
      [id, scope.path, patch.name ?? null, patch.lat !== undefined, patch.lat ?? null, patch.lng ?? null,
        patch.polygon !== undefined, patch.polygon === undefined ? null : JSON.stringify(patch.polygon)]);
    return (rows as unknown[]).length > 0;
  }

  /**
   * Units visible to a scope: those whose jurisdiction lies inside it, and those above it (a district
   * dispatcher must see the city-wide facilities centre to dispatch to it).
   */
  async listUnits(scope: Scope, filter: { type?: string } = {}): Promise<UnitRow[]> {
    return this.ds.query(
      `SELECT ${UNIT_COLUMNS} FROM units u JOIN grid_nodes j ON j.id = u.jurisdiction_node_id
        WHERE (j.path <@ $1::ltree OR j.path @> $1::ltree) AND ($2::text IS NULL OR u.type = $2)
        ORDER BY j.path, u.code`, [scope.path, filter.type ?? null]);
  }

  async findUnit(scope: Scope, id: string): Promise<UnitRow | undefined> {
    const rows: UnitRow[] = await this.ds.query(
      `SELECT ${UNIT_COLUMNS} FROM units u JOIN grid_nodes j ON j.id = u.jurisdiction_node_id
        WHERE u.id = $1 AND (j.path <@ $2::ltree OR j.path @> $2::ltree)`, [id, scope.path]);
    return rows[0];
  }

  async insertUnit(u: { code: string; nameZh: string; nameEn: string; type: string; jurisdictionNodeId: string }): Promise<string | 'code_taken'> {
    try {
      const rows: Array<{ id: string }> = await this.ds.query(
        `INSERT INTO units (code, name_zh, name_en, type, jurisdiction_node_id) VALUES ($1,$2,$3,$4,$5) RETURNING id`,
        [u.code, u.nameZh, u.nameEn, u.type, u.jurisdictionNodeId]);
      return rows[0]!.id;
    } catch (err) {
      if (isUniqueViolation(err)) return 'code_taken';
      throw err;
    }
  }

  async updateUnit(scope: Scope, id: string, patch: { nameZh?: string; nameEn?: string; active?: boolean }): Promise<boolean> {
    const rows = await this.ds.query(
      `WITH n AS (UPDATE units u SET name_zh = coalesce($3, name_zh), name_en = coalesce($4, name_en), active = coalesce($5, active)
        FROM grid_nodes j WHERE u.id = $1 AND j.id = u.jurisdiction_node_id AND j.path <@ $2::ltree RETURNING u.id) SELECT id FROM n`,
      [id, scope.path, patch.nameZh ?? null, patch.nameEn ?? null, patch.active ?? null]);
    return (rows as unknown[]).length > 0;
  }

  /** Users whose scope node lies inside the caller's subtree. */
  async listUsers(scope: Scope, filter: { role?: string; unitId?: string }): Promise<UserRow[]> {
    return this.ds.query(
      `SELECT ${USER_COLUMNS} FROM users u JOIN grid_nodes g ON g.id = u.scope_node_id
        WHERE g.path <@ $1::ltree AND ($2::text IS NULL OR u.role = $2) AND ($3::uuid IS NULL OR u.unit_id = $3)
        ORDER BY u.username`, [scope.path, filter.role ?? null, filter.unitId ?? null]);
  }

  async findUser(scope: Scope, id: string): Promise<UserRow | undefined> {
    const rows: UserRow[] = await this.ds.query(
      `SELECT ${USER_COLUMNS} FROM users u JOIN grid_nodes g ON g.id = u.scope_node_id
        WHERE u.id = $1 AND g.path <@ $2::ltree`, [id, scope.path]);
    return rows[0];
  }

  async insertUser(u: { username: string; displayName: string; role: Role; scopeNodeId: string; unitId: string | null; passwordHash: string; isDemo?: boolean }): Promise<string | 'username_taken'> {
    try {
      const rows: Array<{ id: string }> = await this.ds.query(
        `INSERT INTO users (username, display_name, role, scope_node_id, unit_id, password_hash, is_demo)
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`,
        [u.username, u.displayName, u.role, u.scopeNodeId, u.unitId, u.passwordHash, u.isDemo ?? false]);
      return rows[0]!.id;
    } catch (err) {
      if (isUniqueViolation(err)) return 'username_taken';
      throw err;
    }
  }

  /**
   * Updates a user that is not an auditor and does not become one (三员分立; the service says why first).
   * Returns false when no such row was updated.
   */
  async updateUser(id: string, patch: { displayName?: string; role?: Role; scopeNodeId?: string; unitId?: string | null; active?: boolean; passwordHash?: string; unlock?: boolean; resetTotp?: boolean }): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `WITH n AS (UPDATE users SET
          display_name = coalesce($2, display_name),
          role = coalesce($3, role),
          scope_node_id = coalesce($4, scope_node_id),
          unit_id = CASE WHEN $5::boolean THEN $6::uuid ELSE unit_id END,
          active = coalesce($7, active),
          password_hash = coalesce($8, password_hash),
          password_changed_at = CASE WHEN $8 IS NULL THEN password_changed_at ELSE now() END,
          locked_until = CASE WHEN $9::boolean THEN NULL ELSE locked_until END,
          failed_logins = CASE WHEN $9::boolean THEN 0 ELSE failed_logins END,
          totp_secret = CASE WHEN $10::boolean THEN NULL ELSE totp_secret END,
          totp_enabled = CASE WHEN $10::boolean THEN false ELSE totp_enabled END,
          updated_at = now()
        WHERE id = $1 AND role <> 'auditor' AND coalesce($3, role) <> 'auditor'
        RETURNING id) SELECT id FROM n`,
      [id, patch.displayName ?? null, patch.role ?? null, patch.scopeNodeId ?? null, patch.unitId !== undefined, patch.unitId ?? null,
        patch.active ?? null, patch.passwordHash ?? null, patch.unlock ?? false, patch.resetTotp ?? false]);
    return rows.length > 0;
  }

  async setOnDuty(userId: string, onDuty: boolean): Promise<void> {
    await this.ds.query(`UPDATE users SET on_duty = $2, updated_at = now() WHERE id = $1`, [userId, onDuty]);
  }
}
