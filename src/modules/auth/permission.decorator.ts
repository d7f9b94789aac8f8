import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { Permission } from './roles';

export const PERMISSION_KEY = 'fx:permission';
export const PUBLIC_KEY = 'fx:public';
export const ALLOW_PENDING_MFA_KEY = 'fx:allow-pending-mfa';

/** The permission an endpoint needs. The global guard denies every endpoint that declares none. */
export const RequirePermission = (permission: Permission) =>
  applyDecorators(SetMetadata(PERMISSION_KEY, permission), ApiBearerAuth());

/** An endpoint anyone may call (login, health, metrics, docs). Declared explicitly, never by omission. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Reachable with a token issued before a required second factor is enrolled (TOTP enrolment only). */
export const AllowPendingMfa = () => SetMetadata(ALLOW_PENDING_MFA_KEY, true);
