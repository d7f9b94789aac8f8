import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditRepository, type AuditEntry } from './audit.repository';

/** Records security events and state-changing requests. A failed audit write is logged, never swallowed silently. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(private readonly repo: AuditRepository) {}

  /**
   * Writes `entry`; inside a transaction when `m` is given, so that a change and its audit entry commit (or roll
   * back) together.
   */
  async record(entry: AuditEntry, m?: EntityManager): Promise<void> {
    try {
      await this.repo.insert(entry, m);
    } catch (err) {
      this.logger.error(`audit write failed for ${entry.action}: ${(err as Error).message}`);
      throw err;
    }
  }
}
