import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Role } from './roles';

export interface AuthUserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  scope_node_id: string;
  scope_path: string;
  scope_name: string;
  unit_id: string | null;
  unit_name_zh: string | null;
  password_hash: string;
  failed_logins: number;
  locked_until: Date | null;
  totp_secret: string | null;
  totp_enabled: boolean;
  active: boolean;
  /** A demo account (seeded by `npm run demo` and the tests): refused in production mode. */
  is_demo: boolean;
  totp_required: boolean;
}

export interface RefreshRow {
  id: string;
  user_id: string;
  family_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

const USER_SELECT = `
  SELECT u.id, u.username, u.display_name, u.role, u.scope_node_id, g.path::text AS scope_path, g.name AS scope_name,
         u.unit_id, un.name_zh AS unit_name_zh, u.password_hash, u.failed_logins, u.locked_until,
         u.totp_secret, u.totp_enabled, u.active, u.is_demo, rp.totp_required
    FROM users u
    JOIN grid_nodes g ON g.id = u.scope_node_id
    JOIN role_policies rp ON rp.role = u.role
    LEFT JOIN units un ON un.id = u.unit_id`;

/** Credentials, lockout counters, refresh-token families and per-role policies. */
@Injectable()
export class AuthRepository {
  constructor(private readonly ds: DataSource) {}

  async findByUsername(username: string): Promise<AuthUserRow | undefined> {
    const rows: AuthUserRow[] = await this.ds.query(`${USER_SELECT} WHERE u.username = $1`, [username]);
    return rows[0];
  }

  async findById(id: string): Promise<AuthUserRow | undefined> {
    const rows: AuthUserRow[] = await this.ds.query(`${USER_SELECT} WHERE u.id = $1`, [id]);
    return rows[0];
  }

  /** Counts a failure atomically; the failure that reaches the limit locks the account and resets the count. */
  async recordFailure(userId: string, maxFailures: number, lockSeconds: number): Promise<{ locked: boolean }> {
    const rows: Array<{ locked: boolean }> = await this.ds.query(
      // UPDATE … RETURNING is wrapped in a CTE: TypeORM returns [rows, count] for a bare UPDATE.
      `WITH u AS (UPDATE users SET
          failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
          locked_until  = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
        WHERE id = $1
        RETURNING locked_until IS NOT NULL AND locked_until > now() AS locked) SELECT locked FROM u`,
      [userId, maxFailures, lockSeconds],
    );
    return { locked: rows[0]?.locked ?? false };
  }

  async isLocked(userId: string): Promise<boolean> {
    const rows: Array<{ locked: boolean }> = await this.ds.query(
      `SELECT locked_until IS NOT NULL AND locked_until > now() AS locked FROM users WHERE id = $1`, [userId]);
    return rows[0]?.locked ?? false;
  }

  async recordSuccess(userId: string): Promise<void> {
    await this.ds.query(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [userId]);
  }

  async insertRefresh(userId: string, familyId: string, tokenHash: Buffer, ttlSeconds: number): Promise<void> {
    await this.ds.query(
      `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [userId, familyId, tokenHash, ttlSeconds],
    );
  }

  /**
   * Rotates a refresh token in one transaction: the presented token is locked and marked used, and a
   * successor in the same family is inserted. Reuse of a used token revokes the whole family.
   */
  async rotateRefresh(
    tokenHash: Buffer,
    nextHash: Buffer,
    ttlSeconds: number,
  ): Promise<{ outcome: 'ok'; userId: string } | { outcome: 'invalid' } | { outcome: 'reused'; userId: string }> {
    return this.ds.transaction(async (m) => {
      const rows: Array<RefreshRow & { expired: boolean }> = await m.query(
        `SELECT id, user_id, family_id, used_at, revoked_at, expires_at <= now() AS expired
           FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, [tokenHash]);
      const row = rows[0];
      if (!row) return { outcome: 'invalid' as const };
      if (row.used_at) {
        await m.query(`UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE family_id = $1`, [row.family_id]);
        return { outcome: 'reused' as const, userId: row.user_id };
      }
      if (row.revoked_at || row.expired) return { outcome: 'invalid' as const };
      const active: Array<{ active: boolean }> = await m.query(`SELECT active FROM users WHERE id = $1`, [row.user_id]);
      if (!active[0]?.active) return { outcome: 'invalid' as const };
      await m.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [row.id]);
      await m.query(
        `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
        [row.user_id, row.family_id, nextHash, ttlSeconds],
      );
      return { outcome: 'ok' as const, userId: row.user_id };
    });
  }

  async revokeFamilyOf(tokenHash: Buffer): Promise<string | undefined> {
    const rows: Array<{ user_id: string }> = await this.ds.query(
      `WITH r AS (UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)
        RETURNING user_id) SELECT user_id FROM r LIMIT 1`, [tokenHash]);
    return rows[0]?.user_id;
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.ds.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
  }

  async setTotpSecret(userId: string, encryptedSecret: string | null, enabled: boolean): Promise<void> {
    await this.ds.query(`UPDATE users SET totp_secret = $2, totp_enabled = $3, updated_at = now() WHERE id = $1`,
      [userId, encryptedSecret, enabled]);
  }

  async setPassword(userId: string, hash: string): Promise<void> {
    await this.ds.query(`UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1`, [userId, hash]);
  }

  async listRolePolicies(): Promise<Array<{ role: Role; totp_required: boolean }>> {
    return this.ds.query(`SELECT role, totp_required FROM role_policies ORDER BY role`);
  }

  async setRolePolicy(role: Role, totpRequired: boolean): Promise<void> {
    await this.ds.query(`UPDATE role_policies SET totp_required = $2, updated_at = now() WHERE role = $1`, [role, totpRequired]);
  }
}
