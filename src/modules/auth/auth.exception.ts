import { AppException, type Bilingual } from '../../common/problem';

export enum AuthErrorCode {
  INVALID_CREDENTIALS = 'INVALID_CREDENTIALS',
  ACCOUNT_LOCKED = 'ACCOUNT_LOCKED',
  TOTP_REQUIRED = 'TOTP_REQUIRED',
  TOTP_INVALID = 'TOTP_INVALID',
  TOTP_ENROLMENT_REQUIRED = 'TOTP_ENROLMENT_REQUIRED',
  TOTP_NOT_STARTED = 'TOTP_NOT_STARTED',
  INVALID_TOKEN = 'INVALID_TOKEN',
  REFRESH_INVALID = 'REFRESH_INVALID',
  REFRESH_REUSED = 'REFRESH_REUSED',
  PASSWORD_TOO_WEAK = 'PASSWORD_TOO_WEAK',
  PERMISSION_DENIED = 'PERMISSION_DENIED',
  NO_PERMISSION_DECLARED = 'NO_PERMISSION_DECLARED',
  /** The same code as the catalogue's: city-wide settings need an admin scoped to the root of the grid tree. */
  CITY_SCOPE_REQUIRED = 'CITY_SCOPE_REQUIRED',
}

function describe(code: AuthErrorCode): { status: number; text: Bilingual } {
  switch (code) {
    case AuthErrorCode.INVALID_CREDENTIALS:
      return { status: 401, text: { en: 'Wrong username or password', zh: '用户名或密码错误' } };
    case AuthErrorCode.ACCOUNT_LOCKED:
      return { status: 423, text: { en: 'Account locked after repeated failures; try again later', zh: '多次登录失败，账号已锁定，请稍后再试' } };
    case AuthErrorCode.TOTP_REQUIRED:
      return { status: 401, text: { en: 'A one-time code from your authenticator is required', zh: '需要输入动态验证码' } };
    case AuthErrorCode.TOTP_INVALID:
      return { status: 401, text: { en: 'The one-time code is wrong', zh: '动态验证码错误' } };
    case AuthErrorCode.TOTP_ENROLMENT_REQUIRED:
      return { status: 403, text: { en: 'Set up two-factor authentication first', zh: '请先绑定双因素认证' } };
    case AuthErrorCode.TOTP_NOT_STARTED:
      return { status: 409, text: { en: 'Start TOTP enrolment first', zh: '请先开始绑定动态验证码' } };
    case AuthErrorCode.INVALID_TOKEN:
      return { status: 401, text: { en: 'The access token is missing, invalid or expired', zh: '访问令牌缺失、无效或已过期' } };
    case AuthErrorCode.REFRESH_INVALID:
      return { status: 401, text: { en: 'The refresh token is invalid, expired or revoked', zh: '刷新令牌无效、过期或已吊销' } };
    case AuthErrorCode.REFRESH_REUSED:
      return { status: 401, text: { en: 'Refresh token reuse detected; the session was revoked', zh: '检测到刷新令牌被重复使用，会话已吊销' } };
    case AuthErrorCode.PASSWORD_TOO_WEAK:
      return { status: 400, text: { en: 'The password does not meet the password rules', zh: '密码不符合密码规则' } };
    case AuthErrorCode.PERMISSION_DENIED:
      return { status: 403, text: { en: 'Your role does not allow this action', zh: '您的角色无权执行此操作' } };
    case AuthErrorCode.NO_PERMISSION_DECLARED:
      return { status: 403, text: { en: 'This endpoint declares no permission and is denied by default', zh: '该接口未声明权限，默认拒绝' } };
    case AuthErrorCode.CITY_SCOPE_REQUIRED:
      return { status: 403, text: { en: 'Security policies are city-wide: only a city-level administrator may change them', zh: '安全策略全市通用，仅市级管理员可修改' } };
  }
}

export class AuthException extends AppException {
  constructor(readonly authCode: AuthErrorCode, detail?: Bilingual) {
    const d = describe(authCode);
    super(d.status, authCode, d.text, detail);
  }
}
