import type { Role } from '../roles';

export class SessionUserResponse {
  id!: string;
  username!: string;
  displayName!: string;
  role!: Role;
  scopeNodeId!: string;
  scopeNodeName!: string;
  unitId!: string | null;
  unitName!: string | null;
  totpEnabled!: boolean;
  /** True when the role requires a second factor that is not set up yet: only TOTP enrolment is allowed. */
  totpEnrolmentRequired!: boolean;
}

export class SessionResponse {
  accessToken!: string;
  refreshToken!: string;
  tokenType!: 'Bearer';
  expiresIn!: number;
  user!: SessionUserResponse;
}
