import { Body, Controller, Get, HttpCode, Param, ParseEnumPipe, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthRepository } from './auth.repository';
import { AuthService, type RequestMeta } from './auth.service';
import { ChangePasswordRequest, LoginRequest, RefreshRequest, RolePolicyRequest, TotpConfirmRequest } from './dto/login.request.dto';
import type { SessionResponse, SessionUserResponse } from './dto/session.response.dto';
import { AllowPendingMfa, Public, RequirePermission } from './permission.decorator';
import { CurrentUser, type Principal } from './principal';
import { Meta } from './request-meta';
import { Permission, Role } from './roles';

@ApiTags('auth 认证')
@Controller('api/v1')
export class AuthController {
  constructor(private readonly auth: AuthService, private readonly repo: AuthRepository) {}

  @Post('auth/login')
  @Public()
  @HttpCode(200)
  login(@Body() body: LoginRequest, @Meta() meta: RequestMeta): Promise<SessionResponse> {
    return this.auth.login(body.username, body.password, body.totpCode, meta);
  }

  @Post('auth/refresh')
  @Public()
  @HttpCode(200)
  refresh(@Body() body: RefreshRequest, @Meta() meta: RequestMeta): Promise<SessionResponse> {
    return this.auth.refresh(body.refreshToken, meta);
  }

  /** Revokes the refresh token's whole family (this device's session). */
  @Post('auth/logout')
  @Public()
  @HttpCode(204)
  async logout(@Body() body: RefreshRequest, @Meta() meta: RequestMeta): Promise<void> {
    await this.auth.logout(body.refreshToken, meta);
  }

  @Get('auth/me')
  @RequirePermission(Permission.SelfRead)
  @AllowPendingMfa()
  me(@CurrentUser() user: Principal): Promise<SessionUserResponse> {
    return this.auth.me(user);
  }

  @Post('auth/totp/enrol')
  @RequirePermission(Permission.SelfRead)
  @AllowPendingMfa()
  @HttpCode(200)
  startTotp(@CurrentUser() user: Principal): Promise<{ secret: string; otpauthUrl: string }> {
    return this.auth.startTotp(user);
  }

  @Post('auth/totp/confirm')
  @RequirePermission(Permission.SelfRead)
  @AllowPendingMfa()
  @HttpCode(200)
  confirmTotp(@CurrentUser() user: Principal, @Body() body: TotpConfirmRequest, @Meta() meta: RequestMeta): Promise<SessionResponse> {
    return this.auth.confirmTotp(user, body.code, meta);
  }

  @Post('auth/password')
  @RequirePermission(Permission.SelfRead)
  @HttpCode(204)
  async changePassword(@CurrentUser() user: Principal, @Body() body: ChangePasswordRequest, @Meta() meta: RequestMeta): Promise<void> {
    await this.auth.changePassword(user, body.currentPassword, body.newPassword, meta);
  }

  @Get('admin/role-policies')
  @RequirePermission(Permission.SecurityManage)
  async rolePolicies(): Promise<Array<{ role: Role; totpRequired: boolean }>> {
    return (await this.repo.listRolePolicies()).map((r) => ({ role: r.role, totpRequired: r.totp_required }));
  }

  /** Requires (or stops requiring) a TOTP second factor for every user of a role, city-wide: city-level admins only. */
  @Put('admin/role-policies/:role')
  @RequirePermission(Permission.SecurityManage)
  setRolePolicy(
    // Typed as string: swc would emit the enum object as the parameter's metatype, which ValidationPipe cannot use.
    @Param('role', new ParseEnumPipe(Role)) roleParam: string,
    @Body() body: RolePolicyRequest,
    @CurrentUser() user: Principal,
    @Meta() meta: RequestMeta,
  ): Promise<{ role: Role; totpRequired: boolean }> {
    return this.auth.setRolePolicy(user, roleParam as Role, body.totpRequired, meta);
  }
}
