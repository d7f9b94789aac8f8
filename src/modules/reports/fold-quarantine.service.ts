import { Injectable } from '@nestjs/common';
import { hasCityScope, type Principal } from '../auth/principal';
import { sqlState } from './fold-quarantine';
import type { RefoldRequest } from './dto/report.request.dto';
import type { FoldQuarantineResponse, FoldRetryResponse, RefoldResponse } from './dto/report.response.dto';
import { ReportErrorCode, ReportException } from './reports.exception';
import { RollupRepository } from './rollup.repository';
import { RollupService } from './rollup.service';

/** Quarantined tickets refolded by one retry call; the least recently tried go first, so calls go round them all. */
const MAX_RETRY = 10_000;
/** A refold request waits this long for a batch being folded, then answers 503 REPORT_FOLD_BUSY. */
const REFOLD_LOCK_WAIT_MS = 20_000;

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

  /**
   * 重新汇总: folds every event from a day on again (after a calendar change, a fix of the fold's rules), by rewinding the
   * cursor; the worker does the work in the background and `rollupLagMs` shows the progress. City-wide, so city-level
   * admins only.
   */
  async refold(p: Principal, body: RefoldRequest): Promise<RefoldResponse> {
    if (!hasCityScope(p)) throw new ReportException(ReportErrorCode.REFOLD_CITY_SCOPE_REQUIRED);
    let from: Date | null = null;
    if (body.from !== undefined) {
      from = new Date(`${body.from}T00:00:00+08:00`);
      if (Number.isNaN(from.getTime()) || new Date(from.getTime() + 8 * 3600_000).toISOString().slice(0, 10) !== body.from) {
        throw new ReportException(ReportErrorCode.INVALID_PERIOD, { en: 'from must be a real date', zh: '起始日期须为有效日期' });
      }
    }
    let moved: { previous: Date | null; now: Date | null };
    try {
      moved = await this.repo.rewindCursor(from, REFOLD_LOCK_WAIT_MS);
    } catch (err) {
      if (sqlState(err) === '55P03') throw new ReportException(ReportErrorCode.FOLD_BUSY);
      throw err;
    }
    return {
      cursorAt: moved.now?.toISOString() ?? null, previousCursorAt: moved.previous?.toISOString() ?? null,
      rewound: moved.now?.getTime() !== moved.previous?.getTime(),
    };
  }

  /** Refolds the quarantined tickets of the caller's subtree now, under the cursor lock. */
  async retry(p: Principal): Promise<FoldRetryResponse> {
    return this.folder.retryQuarantined(await this.repo.quarantinedIds(p.scopePath, MAX_RETRY));
  }
}
