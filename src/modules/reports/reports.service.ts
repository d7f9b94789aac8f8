import { Injectable } from '@nestjs/common';
import { hasCityScope, type Principal } from '../auth/principal';
import type {
  BacklogComparison, BacklogResponse, BacklogRow, DurationMetrics, DurationRow, DurationsResponse, RankingRow, RankingsResponse, RateRow, RatesResponse, ReportMeta,
  ScoreVersionResponse,
} from './dto/report.response.dto';
import type { CreateScoreVersionRequest, ReportQueryRequest } from './dto/report.request.dto';
import { HistogramMerger, MAX_RELATIVE_ERROR } from './histogram';
import { DURATION_METRICS, zeroCounts } from './report-metrics';
import { computeRates, namingList, type Rates, type ScoreVersion } from './report-rates';
import { ReportException, ReportErrorCode } from './reports.exception';
import { PATH_DEPTH, ReportsRepository, TIME_GROUPS, type GroupBy, type GroupCounts, type ReportFilter } from './reports.repository';
import { ROLLUP_PATH_DEPTH } from './ticket-facts';

const RANKABLE = new Set<GroupBy>(['district', 'street', 'community', 'grid', 'unit']);
const MAX_SPAN_DAYS = 3660;

/** A real YYYY-MM-DD date from 1900 on (before it, `Date.UTC` would read a two-digit year as 19xx). */
function validDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && s >= '1900-01-01' && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Shifts a YYYY-MM-DD date by whole months, clamping to the month's last day (3-31 − 1 month → 2-28/29). */
export function shiftMonths(s: string, months: number): string {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  const monthEnd = new Date(Date.UTC(y, m, 0)).getUTCDate() === d;
  // A month end stays a month end (06-30 − 1 month → 05-31), so whole months compare with whole months.
  first.setUTCDate(monthEnd ? last : Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

/**
 * The group of a time grouping (day `YYYY-MM-DD`, week of its Monday, month `YYYY-MM`) a comparison `months` away
 * reads, one to one: a month the same month then; a day the same day of that month (clamped: 03-31 − 1 → 02-28;
 * 2025-02-28 − 12 → 2024-02-28, not the leap day — the month-end rule is for whole periods only); a week the week a
 * whole number of weeks before (− 1 month → 4 weeks, − 12 months → 52), so that no two weeks compare with one.
 */
export function shiftGroup(groupBy: GroupBy, group: string, months: number): string {
  switch (groupBy) {
    case 'month': return shiftMonths(`${group}-01`, months).slice(0, 7);
    case 'day': {
      const [y, m, d] = group.split('-').map(Number) as [number, number, number];
      const first = new Date(Date.UTC(y, m - 1 + months, 1));
      const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
      first.setUTCDate(Math.min(d, last));
      return first.toISOString().slice(0, 10);
    }
    case 'week': {
      const d = new Date(`${group}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() + 7 * Math.round((months * 365.2425) / 12 / 7));
      return d.toISOString().slice(0, 10);
    }
    default: return group;
  }
}

/**
 * Reports for officials (SPEC §8), answered from the rollups: exact counts and rates, percentiles from
 * log-bucket histograms (≤ 1 % relative error), scoped to the caller's subtree, with their staleness.
 */
@Injectable()
export class ReportsService {
  constructor(private readonly repo: ReportsRepository) {}

  async durations(p: Principal, q: ReportQueryRequest): Promise<DurationsResponse> {
    const f = await this.filter(p, q, 'street');
    const [meta, current, mom, yoy] = await Promise.all([
      this.meta(f), this.durationsOf(f), this.compare(f, -1, (g) => this.durationsOf(g)), this.compare(f, -12, (g) => this.durationsOf(g)),
    ]);
    const labels = await this.repo.labels(f.groupBy, [...current.keys()]);
    return {
      ...meta, maxRelativeError: MAX_RELATIVE_ERROR,
      rows: [...current.entries()].map(([group, metrics]) => ({
        group, label: labels.get(group) ?? null, metrics, mom: mom(group) ?? null, yoy: yoy(group) ?? null,
      })),
    };
  }

  async rates(p: Principal, q: ReportQueryRequest): Promise<RatesResponse> {
    const f = await this.filter(p, q, 'street');
    const version = await this.repo.scoreVersion(f.from);
    const [meta, current, mom, yoy] = await Promise.all([
      // Each comparison period is scored with the version in force then; each time row (month, week, day) with the
      // version in force at its own start.
      this.meta(f), this.ratesOf(f, await this.versionsOf(f, version)),
      this.compare(f, -1, async (g) => this.ratesOf(g, await this.versionsOf(g))),
      this.compare(f, -12, async (g) => this.ratesOf(g, await this.versionsOf(g))),
    ]);
    const labels = await this.repo.labels(f.groupBy, [...current.keys()]);
    return {
      ...meta, scoreVersion: versionView(version),
      // `label` second, as in the other reports (and their CSV / XLSX columns).
      rows: [...current.values()].map((r) => ({
        group: r.group, label: labels.get(r.group) ?? null, counts: r.counts, rates: r.rates, mom: mom(r.group)?.rates ?? null, yoy: yoy(r.group)?.rates ?? null,
      })),
    };
  }

  async rankings(p: Principal, q: ReportQueryRequest): Promise<RankingsResponse> {
    const f = await this.filter(p, q, 'street');
    if (!RANKABLE.has(f.groupBy)) throw new ReportException(ReportErrorCode.GROUP_NOT_RANKABLE);
    const r = await this.rates(p, { ...q, groupBy: f.groupBy, from: f.from, to: f.to });
    // Only groups of the ranked level: not tickets filed above it (at a district itself, in a street ranking),
    // nor tickets without a unit in a unit ranking. Those still count in the district's and city's own figures.
    const depth = PATH_DEPTH[f.groupBy];
    const rankable = r.rows.filter((row) => (depth ? row.group.split('.').length === depth : row.group !== ''));
    const sorted = [...rankable].sort((a, b) => (b.rates.score ?? -1) - (a.rates.score ?? -1) || a.group.localeCompare(b.group));
    let rank = 0;
    let prev: number | null | undefined;
    const rows = sorted.map((row, i) => {
      // Competition ranking (1, 2, 2, 4): equal scores share a rank.
      if (row.rates.score !== prev) { rank = i + 1; prev = row.rates.score; }
      return {
        rank, group: row.group, label: row.label, score: row.rates.score, list: namingList(row.rates.score, r.scoreVersion),
        valid: row.counts.valid, rates: row.rates, scoreMom: row.mom?.score ?? null, scoreYoy: row.yoy?.score ?? null,
      };
    });
    return { ...r, rows };
  }

  async backlog(p: Principal, q: ReportQueryRequest): Promise<BacklogResponse> {
    const today = await this.repo.today();
    const f = await this.filter(p, { ...q, from: q.from ?? '2000-01-01', to: q.to ?? today }, 'street', true);
    // 环比 / 同比 of a stock: the backlog as it stood one month and one year before now, over the filing period shifted alike.
    const then = (months: number) => this.repo.backlogAt({ ...f, from: shiftMonths(f.from, -months), to: shiftMonths(f.to, -months) }, months);
    const [meta, rows, mom, yoy] = await Promise.all([this.meta(f), this.repo.backlog(f), then(1), then(12)]);
    const byGroup = new Map<string, { open: number; byAge: Record<string, number>; byColour: Record<string, number> }>();
    const current = (group: string) => {
      const g = byGroup.get(group) ?? { open: 0, byAge: ageBuckets(), byColour: colourBuckets() };
      byGroup.set(group, g);
      return g;
    };
    for (const r of rows) {
      const g = current(r.group);
      g.open += r.n;
      g.byAge[r.age] = (g.byAge[r.age] ?? 0) + r.n;
      g.byColour[r.colour] = (g.byColour[r.colour] ?? 0) + r.n;
    }
    const momOf = comparisonOf(mom.rows);
    const yoyOf = comparisonOf(yoy.rows);
    // A group whose backlog is cleared now still shows what it had then; time groups compare with their own period shifted.
    if (!TIME_GROUPS.has(f.groupBy)) for (const r of [...mom.rows, ...yoy.rows]) current(r.group);
    const shifted = (group: string, months: number): string => (TIME_GROUPS.has(f.groupBy) ? shiftGroup(f.groupBy, group, -months) : group);
    const groups = [...byGroup.keys()].sort();
    const labels = await this.repo.labels(f.groupBy, groups);
    return {
      ...meta, momAt: mom.at.toISOString(), yoyAt: yoy.at.toISOString(),
      rows: groups.map((group) => ({
        group, label: labels.get(group) ?? null, ...byGroup.get(group)!, mom: momOf(shifted(group, 1)), yoy: yoyOf(shifted(group, 12)),
      })),
    };
  }

  private async durationsOf(f: ReportFilter): Promise<Map<string, DurationMetrics>> {
    const out = new Map<string, DurationMetrics>();
    const merger = new HistogramMerger();
    for (const g of await this.repo.rollup(f, true)) {
      out.set(g.group, Object.fromEntries(DURATION_METRICS.map((name, i) => [name, merger.summarise(g.hists![i]!, g.durN[i]!, g.durSumMs[i]!)])) as DurationMetrics);
    }
    return out;
  }

  /** The composite-score versions (考核方案), oldest first. */
  /** The read replica's delay behind the primary in ms (0 when reports read the primary), for the metrics. */
  replicaLagMs(): Promise<number> {
    return this.repo.replicaLagMs();
  }

  async scoreVersions(): Promise<ScoreVersionResponse[]> {
    return (await this.repo.scoreVersions()).map((v) => ({ ...versionView(v), note: v.note }));
  }

  /** Adds a score version for a coming evaluation period (city-level admins; never re-scores a closed period). */
  async addScoreVersion(p: Principal, body: CreateScoreVersionRequest): Promise<ScoreVersionResponse> {
    if (!hasCityScope(p)) throw new ReportException(ReportErrorCode.CITY_SCOPE_REQUIRED);
    if (!validDate(body.effectiveFrom)) {
      throw new ReportException(ReportErrorCode.SCORE_VERSION_INVALID, { en: 'effectiveFrom must be a real date', zh: '生效日期须为有效日期' });
    }
    const weights = Object.fromEntries(Object.entries(body.weights).filter(([, w]) => w !== undefined && w !== null)) as ScoreVersion['weights'];
    if (!Object.values(weights).some((w) => (w ?? 0) > 0)) {
      throw new ReportException(ReportErrorCode.SCORE_VERSION_INVALID, { en: 'at least one weight must be above 0', zh: '至少一项权重须大于 0' });
    }
    if (!(body.redBelow < body.commendFrom)) {
      throw new ReportException(ReportErrorCode.SCORE_VERSION_INVALID, { en: 'redBelow must be below commendFrom', zh: '通报线须低于表扬线' });
    }
    const version: ScoreVersion = {
      effectiveFrom: body.effectiveFrom, weights, basicSatisfiedWeight: body.basicSatisfiedWeight, redBelow: body.redBelow, commendFrom: body.commendFrom,
    };
    const outcome = await this.repo.insertScoreVersion({ ...version, note: body.note ?? null });
    if (outcome === 'exists') throw new ReportException(ReportErrorCode.SCORE_VERSION_EXISTS);
    if (outcome === 'past') {
      throw new ReportException(ReportErrorCode.SCORE_VERSION_INVALID, { en: 'effectiveFrom must be today or later: closed periods keep their scores', zh: '生效日期不得早于今天：已结束的考核期不重新计分' });
    }
    return { ...versionView(version), note: body.note ?? null };
  }

  private async ratesOf(f: ReportFilter, versionOf: (group: string) => ScoreVersion): Promise<Map<string, Omit<RateRow, 'label' | 'mom' | 'yoy'>>> {
    const [counts, open] = await Promise.all([this.repo.rollup(f, false), this.repo.openOverdue(f)]);
    const out = new Map<string, Omit<RateRow, 'label' | 'mom' | 'yoy'>>();
    const perUnit = f.groupBy === 'unit' || f.unitId !== undefined;
    for (const g of counts) out.set(g.group, rateRow(g, open.get(g.group)?.overdue ?? 0, versionOf(g.group), perUnit));
    return out;
  }

  /**
   * The score version of each row: the one in force at `from` — or, for a time grouping, the one in force at the
   * row's own start (a month, a week's Monday, a day; not before `from`), so a period keeps the score it was judged by.
   */
  private async versionsOf(f: ReportFilter, atFrom?: ScoreVersion): Promise<(group: string) => ScoreVersion> {
    const first = atFrom ?? await this.repo.scoreVersion(f.from);
    if (!TIME_GROUPS.has(f.groupBy)) return () => first;
    const later = (await this.repo.scoreVersions()).filter((v) => v.effectiveFrom > f.from && v.effectiveFrom <= f.to);
    if (later.length === 0) return () => first;
    return (group) => {
      const start = f.groupBy === 'month' ? `${group}-01` : group;
      const day = start < f.from ? f.from : start;
      let version = first;
      for (const v of later) if (v.effectiveFrom <= day) version = v;
      return version;
    };
  }

  /**
   * The same report over the period shifted by whole months (环比 −1, 同比 −12), as a lookup by the current
   * row's group. For time groupings a row's comparison is its own period shifted: month 2026-10 → 2026-09 and
   * 2025-10, day 10-15 → 09-15, the week of a day → the week of that day shifted.
   */
  private async compare<V>(f: ReportFilter, months: number, run: (f: ReportFilter) => Promise<Map<string, V>>): Promise<(group: string) => V | undefined> {
    const shifted = await run({ ...f, from: shiftMonths(f.from, months), to: shiftMonths(f.to, months) });
    return TIME_GROUPS.has(f.groupBy) ? (g) => shifted.get(shiftGroup(f.groupBy, g, months)) : (g) => shifted.get(g);
  }

  private async meta(f: ReportFilter): Promise<ReportMeta> {
    const s = await this.repo.staleness(f.scopePath);
    return {
      from: f.from, to: f.to, groupBy: f.groupBy, rollupLagMs: s.lagMs, replicaLagMs: s.replicaLagMs, asOf: s.asOf.toISOString(),
      quarantinedTickets: s.quarantined,
    };
  }

  private async filter(p: Principal, q: ReportQueryRequest, defaultGroup: GroupBy, longSpan = false): Promise<ReportFilter> {
    const to = q.to ?? (await this.repo.today());
    const from = q.from ?? `${to.slice(0, 8)}01`;
    if (!validDate(from) || !validDate(to) || from > to) {
      throw new ReportException(ReportErrorCode.INVALID_PERIOD, { en: 'from and to must be real dates with from ≤ to', zh: '起止日期须为有效日期且起始不晚于截止' });
    }
    const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
    if (!longSpan && span > MAX_SPAN_DAYS) throw new ReportException(ReportErrorCode.INVALID_PERIOD, { en: 'at most ten years', zh: '统计时段最长十年' });
    let gridPath: string | undefined;
    if (q.gridNodeId) {
      gridPath = await this.repo.gridPath(p.scopePath, q.gridNodeId);
      if (!gridPath) throw new ReportException(ReportErrorCode.NODE_OUT_OF_SCOPE);
    }
    // The rollups keep the grid path down to the grid (网格); a building below it, as a filter or as the caller's
    // scope, is a question they cannot answer.
    for (const path of [gridPath, p.scopePath]) {
      if (path !== undefined && path.split('.').length > ROLLUP_PATH_DEPTH) throw new ReportException(ReportErrorCode.BELOW_GRID);
    }
    let categoryCodes: string[] | undefined;
    if (q.categoryCode) {
      categoryCodes = await this.repo.categorySubtree(q.categoryCode);
      if (categoryCodes.length === 0) throw new ReportException(ReportErrorCode.CATEGORY_NOT_FOUND);
    }
    return {
      scopePath: p.scopePath, from, to, groupBy: (q.groupBy as GroupBy | undefined) ?? defaultGroup,
      platform: q.platform, categoryCode: q.categoryCode, categoryCodes, channel: q.channel, unitId: q.unitId, gridPath,
    };
  }
}

function rateRow(g: GroupCounts, overdueOpen: number, version: ScoreVersion, perUnit: boolean): Omit<RateRow, 'label' | 'mom' | 'yoy'> {
  const rates: Rates = computeRates(g.counts, overdueOpen, version, perUnit);
  return { group: g.group, counts: { ...zeroCounts(), ...g.counts, overdueOpen }, rates };
}

export type ReportName = 'durations' | 'rates' | 'backlog' | 'rankings';

/**
 * A row of each report with every column and no data (a group with nothing in it, no comparison), in the order the
 * reports build theirs: what the CSV / XLSX header is made from (`columnsOf`), so an empty report still has one.
 */
export function reportTemplateRow(report: ReportName): DurationRow | RateRow | BacklogRow | RankingRow {
  const rates = computeRates(zeroCounts(), 0, { weights: {}, basicSatisfiedWeight: 1 });
  switch (report) {
    case 'durations': {
      const merger = new HistogramMerger();
      const metrics = Object.fromEntries(DURATION_METRICS.map((name) => [name, merger.summarise([], 0, 0)])) as DurationMetrics;
      return { group: '', label: null, metrics, mom: null, yoy: null };
    }
    case 'rates': return { group: '', label: null, counts: { ...zeroCounts(), overdueOpen: 0 }, rates, mom: null, yoy: null };
    case 'backlog': return { group: '', label: null, open: 0, byAge: ageBuckets(), byColour: colourBuckets(), mom: { open: 0, byAge: ageBuckets() }, yoy: { open: 0, byAge: ageBuckets() } };
    case 'rankings': return { rank: 0, group: '', label: null, score: null, list: null, valid: 0, rates, scoreMom: null, scoreYoy: null };
  }
}

function colourBuckets(): Record<string, number> {
  return { green: 0, blue: 0, yellow: 0, red: 0, none: 0 };
}

function ageBuckets(): Record<string, number> {
  return { lt1d: 0, '1to3d': 0, '3to7d': 0, '7to30d': 0, ge30d: 0 };
}

/** Per group, the open count and age buckets of an earlier backlog (zero for a group with nothing open then). */
function comparisonOf(rows: Array<{ group: string; age: string; n: number }>): (group: string) => BacklogComparison {
  const out = new Map<string, BacklogComparison>();
  for (const r of rows) {
    const c = out.get(r.group) ?? { open: 0, byAge: ageBuckets() };
    c.open += r.n;
    c.byAge[r.age] = (c.byAge[r.age] ?? 0) + r.n;
    out.set(r.group, c);
  }
  return (group) => out.get(group) ?? { open: 0, byAge: ageBuckets() };
}

function versionView(v: ScoreVersion): ScoreVersionResponse {
  return { effectiveFrom: v.effectiveFrom, weights: { ...v.weights } as Record<string, number>, basicSatisfiedWeight: v.basicSatisfiedWeight, redBelow: v.redBelow, commendFrom: v.commendFrom };
}
