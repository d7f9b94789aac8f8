import { Injectable, Logger } from '@nestjs/common';
import { AuditRepository, type AuditEntry } from './audit.repository';

/** Records security events and state-changing requests. A failed audit write is logged, never swallowed silently. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(private readonly repo: AuditRepository) {}

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.repo.insert(entry);
    } catch (err) {
      this.logger.error(`audit write failed for ${entry.action}: ${(err as Error).message}`);
      throw err;
    }
  }
}
