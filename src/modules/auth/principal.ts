import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Role } from './roles';

/** The authenticated staff user, as carried by the access token. */
export interface Principal {
  id: string;
  username: string;
  role: Role;
  scopeNodeId: string;
  /** ltree path of the scope node: every query is limited to `path <@ scopePath`. */
  scopePath: string;
  unitId: string | null;
  mfaPending: boolean;
  /** When the access token this principal came from expires (ms since the epoch); long-lived streams end then. */
  expiresAt?: number;
}

/** True when the user's scope is the root of the grid tree (the city): its ltree path has a single label. */
export function hasCityScope(p: Pick<Principal, 'scopePath'>): boolean {
  return !p.scopePath.includes('.');
}

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  return req.principal!;
});
