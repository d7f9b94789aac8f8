import { Inject, Injectable } from '@nestjs/common';
import { generateSecret, generateURI, verifySync } from 'otplib';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { FieldCipher } from '../../common/field-cipher';
import { AuditService } from '../audit/audit.service';
import { AuthErrorCode, AuthException } from './auth.exception';
import { AuthRepository, type AuthUserRow } from './auth.repository';
import type { SessionResponse, SessionUserResponse } from './dto/session.response.dto';
import { PasswordService } from './password.service';
import { hasCityScope, type Principal } from './principal';
import type { Role } from './roles';
import { TokenService } from './token.service';

export interface RequestMeta {
  requestId: string;
  ip: string;
}

/** Login, refresh-token rotation, logout, second factor and password change. Every outcome is audited. */
@Injectable()
export class AuthService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    private readonly cipher: FieldCipher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(username: string, password: string, totpCode: string | undefined, meta: RequestMeta): Promise<SessionResponse> {
    const user = await this.repo.findByUsername(username.toLowerCase());
    const ev = (action: string, result: 'success' | 'failure' | 'denied', details: Record<string, unknown> = {}) =>
      this.audit.record({ actorId: user?.id ?? null, actorUsername: user?.username ?? null, actorRole: user?.role ?? null,
        action, result, requestId: meta.requestId, ip: meta.ip, method: 'POST', path: '/api/v1/auth/login', details });

    if (user && this.refusedDemo(user)) {
      // As if the account did not exist: the same work (a password hash), the same 401, no failure counted.
      await this.passwords.verify(undefined, password);
      await ev('auth.login', 'failure', { reason: 'demo_account' });
      throw new AuthException(AuthErrorCode.INVALID_CREDENTIALS);
    }
    if (user && (await this.repo.isLocked(user.id))) {
      await ev('auth.login', 'denied', { reason: 'locked' });
      throw new AuthException(AuthErrorCode.ACCOUNT_LOCKED);
    }
    const passwordOk = await this.passwords.verify(user?.password_hash, password);
    if (!user || !passwordOk || !user.active) {
      if (user && user.active) {
        const { locked } = await this.repo.recordFailure(user.id, this.config.lockout.maxFailures, this.config.lockout.lockSeconds);
        if (locked) {
          await ev('auth.lockout', 'denied', { lockSeconds: this.config.lockout.lockSeconds });
          throw new AuthException(AuthErrorCode.ACCOUNT_LOCKED);
        }
      }
      // Unknown usernames are audited without echoing the attempted name (it may be a mistyped password).
      await ev('auth.login', 'failure', { reason: user ? (user.active ? 'bad_password' : 'inactive') : 'unknown_user' });
      throw new AuthException(AuthErrorCode.INVALID_CREDENTIALS);
    }
    if (user.totp_enabled) {
      if (!totpCode) {
        await ev('auth.login', 'failure', { reason: 'totp_missing' });
        throw new AuthException(AuthErrorCode.TOTP_REQUIRED);
      }
      if (!this.totpValid(user, totpCode)) {
        const { locked } = await this.repo.recordFailure(user.id, this.config.lockout.maxFailures, this.config.lockout.lockSeconds);
        await ev(locked ? 'auth.lockout' : 'auth.login', locked ? 'denied' : 'failure', { reason: 'totp_invalid' });
        throw new AuthException(locked ? AuthErrorCode.ACCOUNT_LOCKED : AuthErrorCode.TOTP_INVALID);
      }
    }
    await this.repo.recordSuccess(user.id);
    const session = await this.issueSession(user, this.tokens.newFamilyId());
    await ev('auth.login', 'success', { mfaPending: session.user.totpEnrolmentRequired });
    return session;
  }

  async refresh(refreshToken: string, meta: RequestMeta): Promise<SessionResponse> {
    const next = this.tokens.newRefreshToken();
    const result = await this.repo.rotateRefresh(TokenService.hashRefresh(refreshToken), next.hash, this.config.jwt.refreshTtlSeconds);
    if (result.outcome === 'reused') {
      await this.audit.record({ actorId: result.userId, action: 'auth.refresh_reuse', result: 'denied', requestId: meta.requestId, ip: meta.ip });
      throw new AuthException(AuthErrorCode.REFRESH_REUSED);
    }
    if (result.outcome === 'invalid') {
      await this.audit.record({ action: 'auth.refresh', result: 'failure', requestId: meta.requestId, ip: meta.ip });
      throw new AuthException(AuthErrorCode.REFRESH_INVALID);
    }
    const user = await this.repo.findById(result.userId);
    if (!user) throw new AuthException(AuthErrorCode.REFRESH_INVALID);
    if (this.refusedDemo(user)) {
      // A session of a demo account from before the switch to production ends here.
      await this.repo.revokeAllForUser(user.id);
      await this.audit.record({ actorId: user.id, actorUsername: user.username, actorRole: user.role, action: 'auth.refresh', result: 'failure',
        requestId: meta.requestId, ip: meta.ip, details: { reason: 'demo_account' } });
      throw new AuthException(AuthErrorCode.REFRESH_INVALID);
    }
    await this.audit.record({ actorId: user.id, actorUsername: user.username, actorRole: user.role, action: 'auth.refresh', result: 'success', requestId: meta.requestId, ip: meta.ip });
    return this.sessionFor(user, next.token);
  }

  async logout(refreshToken: string, meta: RequestMeta): Promise<void> {
    const userId = await this.repo.revokeFamilyOf(TokenService.hashRefresh(refreshToken));
    await this.audit.record({ actorId: userId ?? null, action: 'auth.logout', result: userId ? 'success' : 'failure', requestId: meta.requestId, ip: meta.ip });
  }

  async me(principal: Principal): Promise<SessionUserResponse> {
    const user = await this.repo.findById(principal.id);
    if (!user || !user.active) throw new AuthException(AuthErrorCode.INVALID_TOKEN);
    return this.userView(user);
  }

  /** Starts (or restarts) TOTP enrolment: stores a new secret, not yet enabled, and returns it once. */
  async startTotp(principal: Principal): Promise<{ secret: string; otpauthUrl: string }> {
    const secret = generateSecret();
    await this.repo.setTotpSecret(principal.id, this.cipher.encrypt(secret), false);
    await this.audit.record({ actorId: principal.id, actorUsername: principal.username, actorRole: principal.role, action: 'auth.totp_enrol_start', result: 'success' });
    return { secret, otpauthUrl: generateURI({ issuer: 'Fuxin Grid 阜新网格', label: principal.username, secret }) };
  }

  /** Confirms enrolment with a first code; the returned session has full access. */
  async confirmTotp(principal: Principal, code: string, meta: RequestMeta): Promise<SessionResponse> {
    const user = await this.repo.findById(principal.id);
    if (!user || !user.totp_secret) throw new AuthException(AuthErrorCode.TOTP_NOT_STARTED);
    if (!this.totpValid(user, code)) {
      await this.audit.record({ actorId: user.id, actorUsername: user.username, action: 'auth.totp_enrol_confirm', result: 'failure', requestId: meta.requestId, ip: meta.ip });
      throw new AuthException(AuthErrorCode.TOTP_INVALID);
    }
    await this.repo.setTotpSecret(user.id, user.totp_secret, true);
    await this.audit.record({ actorId: user.id, actorUsername: user.username, actorRole: user.role, action: 'auth.totp_enrol_confirm', result: 'success', requestId: meta.requestId, ip: meta.ip });
    return this.issueSession({ ...user, totp_enabled: true }, this.tokens.newFamilyId());
  }

  async changePassword(principal: Principal, current: string, next: string, meta: RequestMeta): Promise<void> {
    const user = await this.repo.findById(principal.id);
    if (!user || !(await this.passwords.verify(user.password_hash, current))) {
      await this.audit.record({ actorId: principal.id, action: 'auth.password_change', result: 'failure', requestId: meta.requestId, ip: meta.ip });
      throw new AuthException(AuthErrorCode.INVALID_CREDENTIALS);
    }
    this.passwords.assertAcceptable(next, user.username);
    await this.repo.setPassword(user.id, await this.passwords.hash(next));
    await this.repo.revokeAllForUser(user.id);
    await this.audit.record({ actorId: user.id, actorUsername: user.username, actorRole: user.role, action: 'auth.password_change', result: 'success', requestId: meta.requestId, ip: meta.ip });
  }

  /**
   * Requires (or stops requiring) TOTP for every user of a role. A role policy applies to the whole city,
   * so an admin scoped to a district may not set it (as with the catalogue, CITY_SCOPE_REQUIRED).
   */
  async setRolePolicy(principal: Principal, role: Role, totpRequired: boolean, meta: RequestMeta): Promise<{ role: Role; totpRequired: boolean }> {
    if (!hasCityScope(principal)) throw new AuthException(AuthErrorCode.CITY_SCOPE_REQUIRED);
    await this.repo.setRolePolicy(role, totpRequired);
    await this.audit.record({ actorId: principal.id, actorUsername: principal.username, actorRole: principal.role, action: 'security.role_policy', target: role,
      result: 'success', requestId: meta.requestId, ip: meta.ip, details: { totpRequired } });
    return { role, totpRequired };
  }

  /** Demo accounts (`is_demo`) exist for `npm run demo` and the tests; in production they cannot sign in. */
  private refusedDemo(user: AuthUserRow): boolean {
    return user.is_demo && this.config.mode === 'production';
  }

  private totpValid(user: AuthUserRow, code: string): boolean {
    if (!user.totp_secret) return false;
    try {
      return verifySync({ secret: this.cipher.decrypt(user.totp_secret), token: code, epochTolerance: 30 }).valid;
    } catch {
      return false;
    }
  }

  private async issueSession(user: AuthUserRow, familyId: string): Promise<SessionResponse> {
    const refresh = this.tokens.newRefreshToken();
    await this.repo.insertRefresh(user.id, familyId, refresh.hash, this.config.jwt.refreshTtlSeconds);
    return this.sessionFor(user, refresh.token);
  }

  private sessionFor(user: AuthUserRow, refreshToken: string): SessionResponse {
    const view = this.userView(user);
    const accessToken = this.tokens.signAccess(
      { id: user.id, username: user.username, role: user.role, scopeNodeId: user.scope_node_id, scopePath: user.scope_path, unitId: user.unit_id },
      view.totpEnrolmentRequired,
    );
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.config.jwt.accessTtlSeconds, user: view };
  }

  private userView(user: AuthUserRow): SessionUserResponse {
    return {
      id: user.id, username: user.username, displayName: user.display_name, role: user.role,
      scopeNodeId: user.scope_node_id, scopeNodeName: user.scope_name, unitId: user.unit_id, unitName: user.unit_name_zh,
      totpEnabled: user.totp_enabled, totpEnrolmentRequired: user.totp_required && !user.totp_enabled,
    };
  }
}
