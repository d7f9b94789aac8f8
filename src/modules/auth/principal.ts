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
}

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  return req.principal!;
});
