import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuthErrorCode, AuthException } from './auth.exception';
import type { Principal } from './principal';
import type { Role } from './roles';

interface AccessClaims {
  sub: string;
  usr: string;
  rol: Role;
  sn: string;
  sp: string;
  un: string | null;
  mfa?: 'pending';
}

/** Short-lived signed access tokens and opaque refresh tokens (stored only as SHA-256 hashes). */
@Injectable()
export class TokenService {
  /**
   * The HMAC key as a KeyObject: given a string, jsonwebtoken first tries (and fails) to parse it as a
   * public key on every verify, which cost a measurable share of the API's CPU (see docs/benchmarks.md).
   */
  private readonly key: KeyObject;

  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.key = createSecretKey(Buffer.from(config.jwt.secret, 'utf8'));
  }

  signAccess(p: Omit<Principal, 'mfaPending'>, mfaPending: boolean): string {
    const claims: AccessClaims = { sub: p.id, usr: p.username, rol: p.role, sn: p.scopeNodeId, sp: p.scopePath, un: p.unitId };
    if (mfaPending) claims.mfa = 'pending';
    return this.jwt.sign(claims, {
      secret: this.key as unknown as string,
      expiresIn: this.config.jwt.accessTtlSeconds,
      issuer: this.config.jwt.issuer,
      algorithm: 'HS256',
    });
  }

  verifyAccess(token: string): Principal {
    try {
      const c = this.jwt.verify<AccessClaims & { exp?: number }>(token, {
        secret: this.key as unknown as string,
        issuer: this.config.jwt.issuer,
        algorithms: ['HS256'],
      });
      return {
        id: c.sub, username: c.usr, role: c.rol, scopeNodeId: c.sn, scopePath: c.sp, unitId: c.un, mfaPending: c.mfa === 'pending',
        ...(c.exp ? { expiresAt: c.exp * 1000 } : {}),
      };
    } catch {
      throw new AuthException(AuthErrorCode.INVALID_TOKEN);
    }
  }

  newRefreshToken(): { token: string; hash: Buffer } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: TokenService.hashRefresh(token) };
  }

  newFamilyId(): string {
    return randomUUID();
  }

  static hashRefresh(token: string): Buffer {
    return createHash('sha256').update(token).digest();
  }
}
