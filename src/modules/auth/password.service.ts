import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import { AuthErrorCode, AuthException } from './auth.exception';

// OWASP's argon2id baseline (m=19 MiB, t=2, p=1).
const ARGON_OPTIONS = { algorithm: 2 /* Algorithm.Argon2id (an ambient const enum) */, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes with argon2id; usable outside Nest (seeds, CLI). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON_OPTIONS);
}

/** Password rules: at least 10 characters, 3 of 4 character classes, not containing the username. */
export function passwordProblems(password: string, username: string): string[] {
  const problems: string[] = [];
  if (password.length < 10) problems.push('at least 10 characters / 至少 10 个字符');
  if (password.length > 128) problems.push('at most 128 characters / 最多 128 个字符');
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  if (classes < 3) problems.push('3 of: lower case, upper case, digit, symbol / 需包含小写、大写、数字、符号中的三类');
  if (username && password.toLowerCase().includes(username.toLowerCase())) problems.push('must not contain the username / 不能包含用户名');
  return problems;
}

@Injectable()
export class PasswordService {
  // Verified against when the username is unknown, so timing does not reveal which accounts exist.
  private readonly dummyHash = hash('not-a-real-password-Xy1!', ARGON_OPTIONS);

  async hash(password: string): Promise<string> {
    return hashPassword(password);
  }

  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    try {
      return await verify(storedHash ?? (await this.dummyHash), password);
    } catch {
      return false;
    }
  }

  assertAcceptable(password: string, username: string): void {
    const problems = passwordProblems(password, username);
    if (problems.length > 0) {
      throw new AuthException(AuthErrorCode.PASSWORD_TOO_WEAK, { en: problems.join('; '), zh: problems.join('；') });
    }
  }
}
