import type { DurationSummary } from '../histogram';
import type { DurationMetric } from '../report-metrics';
import type { Counts } from '../report-metrics';
import type { Rates } from '../report-rates';

/** Every report says how fresh its rollups are (数据截至). */
export class ReportMeta {
  from!: string;
  to!: string;
  groupBy!: string;
  /** How old the oldest change not in the figures may be: the fold's lag or, on a read replica, its replay delay if larger. */
  rollupLagMs!: number;
  /** The read replica's replay delay behind the primary (REPORTS_DATABASE_URL); 0 when reports read the primary. */
  replicaLagMs!: number;
  /** The figures include every change up to this instant. */
  asOf!: string;
  /**
   * Tickets in the caller's scope quarantined from the fold (docs/reports.md, "Poison tickets"): their latest
   * changes are left out of the figures (each still counts as it stood before). Normally 0.
   */
  quarantinedTickets!: number;
}

export type DurationMetrics = Record<DurationMetric, DurationSummary>;

export class DurationRow {
  group!: string;
  label!: string | null;
  metrics!: DurationMetrics;
  mom!: DurationMetrics | null;
  yoy!: DurationMetrics | null;
}

export class DurationsResponse extends ReportMeta {
  maxRelativeError!: number;
  rows!: DurationRow[];
}

export class RateRow {
  group!: string;
  label!: string | null;
  counts!: Counts & { overdueOpen: number };
  rates!: Rates;
  mom!: Rates | null;
  yoy!: Rates | null;
}

export class ScoreVersionResponse {
  effectiveFrom!: string;
  weights!: Record<string, number>;
  basicSatisfiedWeight!: number;
  redBelow!: number;
  commendFrom!: number;
  note?: string | null;
}

export class RatesResponse extends ReportMeta {
  scoreVersion!: ScoreVersionResponse;
  rows!: RateRow[];
}

/**
 * The backlog of a group as it stood at an earlier instant (环比: one month before now, 同比: one year), over the
 * filing period shifted alike: open tickets then, by their age then. No SLA colours: those are the live clocks' levels,
 * which the rollups do not keep through time.
 */
export class BacklogComparison {
  open!: number;
  byAge!: Record<string, number>;
}

export class BacklogRow {
  group!: string;
  label!: string | null;
  open!: number;
  byAge!: Record<string, number>;
  byColour!: Record<string, number>;
  /** As of `momAt` (a stock: 0 when nothing was open then, never null). */
  mom!: BacklogComparison;
  /** As of `yoyAt`. */
  yoy!: BacklogComparison;
}

export class BacklogResponse extends ReportMeta {
  /** The instant the 环比 figures describe: now one month earlier (Asia/Shanghai calendar). */
  momAt!: string;
  /** The instant the 同比 figures describe: now one year earlier. */
  yoyAt!: string;
  rows!: BacklogRow[];
}

export class RankingRow {
  rank!: number;
  group!: string;
  label!: string | null;
  score!: number | null;
  list!: 'red' | 'commended' | null;
  valid!: number;
  rates!: Rates;
  scoreMom!: number | null;
  scoreYoy!: number | null;
}

export class RankingsResponse extends ReportMeta {
  scoreVersion!: ScoreVersionResponse;
  rows!: RankingRow[];
}

/** A ticket quarantined from the report fold: ids, the error and when; nothing of the ticket's content. */
export class FoldQuarantineResponse {
  ticketId!: string;
  ticketNumber!: string;
  error!: string;
  attempts!: number;
  firstAt!: string;
  lastAt!: string;
}

export class FoldRetryResponse {
  /** Quarantined tickets in the caller's scope refolded now (at most 10 000 a call, least recently tried first). */
  retried!: number;
  /** Of those, refolded and out of the quarantine. */
  recovered!: number;
  /** Of those, still failing (one attempt more). */
  stillQuarantined!: number;
}

/** What a refold request did to the fold's cursor. */
export class RefoldResponse {
  /** The cursor now: events after it are folded (again) by the worker; null = the start of the log. */
  cursorAt!: string | null;
  /** The cursor before the request. */
  previousCursorAt!: string | null;
  /** False when the cursor was already at or before that point (nothing to rewind). */
  rewound!: boolean;
}
