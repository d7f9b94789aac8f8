import { Injectable } from '@nestjs/common';
import { AuthRepository } from './auth.repository';

/** What other modules may do to sessions: end all of a user's sessions (role, scope or password changed). */
@Injectable()
export class SessionService {
  constructor(private readonly repo: AuthRepository) {}

  async revokeAllForUser(userId: string): Promise<void> {
    await this.repo.revokeAllForUser(userId);
  }
}
