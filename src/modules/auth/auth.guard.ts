import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuthErrorCode, AuthException } from './auth.exception';
import { ALLOW_PENDING_MFA_KEY, PERMISSION_KEY, PUBLIC_KEY } from './permission.decorator';
import type { Principal } from './principal';
import { roleHas, type Permission } from './roles';
import { TokenService } from './token.service';

/**
 * Global guard, deny by default: an endpoint is reachable only if it is marked @Public() or declares a
 * permission that the caller's role holds. Endpoints that declare nothing are refused for everyone.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector, private readonly tokens: TokenService) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const header = req.headers.authorization;
    if (!header || !header.startsWith('Bearer ')) throw new AuthException(AuthErrorCode.INVALID_TOKEN);
    const principal = this.tokens.verifyAccess(header.slice(7).trim());
    req.principal = principal;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    if (!permission) throw new AuthException(AuthErrorCode.NO_PERMISSION_DECLARED);
    if (principal.mfaPending && !this.reflector.getAllAndOverride<boolean>(ALLOW_PENDING_MFA_KEY, targets)) {
      throw new AuthException(AuthErrorCode.TOTP_ENROLMENT_REQUIRED);
    }
    if (!roleHas(principal.role, permission)) throw new AuthException(AuthErrorCode.PERMISSION_DENIED);
    return true;
  }
}
