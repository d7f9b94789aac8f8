import { IsBoolean, IsOptional, IsString, Length, Matches } from 'class-validator';

export class LoginRequest {
  @IsString() @Length(1, 64) username!: string;
  @IsString() @Length(1, 256) password!: string;
  /** Six-digit code from the authenticator app, when the account has a second factor. */
  @IsOptional() @Matches(/^[0-9]{6}$/) totpCode?: string;
}

export class RefreshRequest {
  @IsString() @Length(20, 200) refreshToken!: string;
}

export class TotpConfirmRequest {
  @Matches(/^[0-9]{6}$/) code!: string;
}

export class ChangePasswordRequest {
  @IsString() @Length(1, 256) currentPassword!: string;
  @IsString() @Length(1, 256) newPassword!: string;
}

export class RolePolicyRequest {
  /** Every user of the role must have a TOTP second factor. */
  @IsBoolean() totpRequired!: boolean;
}
