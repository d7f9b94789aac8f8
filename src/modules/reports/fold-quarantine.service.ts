import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import type { FoldQuarantineResponse, FoldRetryResponse } from './dto/report.response.dto';
import { RollupRepository } from './rollup.repository';
import { RollupService } from './rollup.service';

/** Quarantined tickets refolded by one retry call; the least recently tried go first, so calls go round them all. */
const MAX_RETRY = 10_000;

/** The report fold's quarantine of poison tickets, for admins (docs/reports.md, "Poison tickets"), scoped to their subtree. */
@Injectable()
export class FoldQuarantineService {
  constructor(private readonly repo: RollupRepository, private readonly folder: RollupService) {}

  /** Quarantined tickets of the caller's subtree, most recently failed first: ids, number, error, attempts, when. */
  async list(p: Principal, limit: number): Promise<FoldQuarantineResponse[]> {
    return (await this.repo.quarantined(p.scopePath, limit)).map((q) => ({
      ticketId: q.ticketId, ticketNumber: q.number, error: q.error, attempts: q.attempts, firstAt: q.firstAt.toISOString(), lastAt: q.lastAt.toISOString(),
    }));
  }

  /** Refolds the quarantined tickets of the caller's subtree now, under the cursor lock. */
  async retry(p: Principal): Promise<FoldRetryResponse> {
    return this.folder.retryQuarantined(await this.repo.quarantinedIds(p.scopePath, MAX_RETRY));
  }
}
