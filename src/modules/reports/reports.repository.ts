import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { REPORTS_DATA_SOURCE } from '../../database/reports-data-source';
import { smallestGrain, type Grain } from './grains';
import { COUNTERS, DURATION_METRICS, zeroCounts, type Counts } from './report-metrics';
import type { ScoreVersion } from './report-rates';

export const GROUP_BYS = ['platform', 'category', 'district', 'street', 'community', 'grid', 'unit', 'channel', 'day', 'week', 'month'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];
export const TIME_GROUPS = new Set<GroupBy>(['day', 'week', 'month']);
export const PATH_DEPTH: Partial<Record<GroupBy, number>> = { district: 2, street: 3, community: 4, grid: 5 };

/** The label of the unit group of tickets without a handling unit. */
export const NO_UNIT_LABEL = '未派遣 (no unit)';

/** Display names of the filing channels (受理渠道), SPEC §5. */
const CHANNEL_LABELS: Readonly<Record<string, string>> = {
  patrol: '网格巡查', hotline: '12345热线', app: '移动应用', web: '网站', walk_in: '窗口来访', open311: 'Open311', referral: '上级交办',
};

/** Whitelisted SQL for each grouping over `report_keys k` (never built from user text). */
function groupExpr(g: GroupBy): string {
  const depth = PATH_DEPTH[g];
  if (depth) return `(CASE WHEN nlevel(k.path) >= ${depth} THEN subpath(k.path, 0, ${depth}) ELSE k.path END)::text`;
  switch (g) {
    case 'platform': return 'k.platform';
    case 'category': return 'k.category_code';
    case 'channel': return 'k.channel';
    case 'unit': return `(CASE WHEN k.unit_id = '00000000-0000-0000-0000-000000000000' THEN '' ELSE k.unit_id::text END)`;
    case 'day': return `to_char(k.day, 'YYYY-MM-DD')`;
    case 'week': return `to_char(date_trunc('week', k.day), 'YYYY-MM-DD')`;
    case 'month': return `to_char(k.day, 'YYYY-MM')`;
    default: return 'k.platform';
  }
}

export interface ReportFilter {
  scopePath: string;
  from: string;
  to: string;
  groupBy: GroupBy;
  platform?: string;
  categoryCode?: string;
  /** The category and every category below it (any version), resolved from `categoryCode`. */
  categoryCodes?: string[];
  channel?: string;
  unitId?: string;
  /** ltree path of a grid node inside the caller's scope. */
  gridPath?: string;
}

export interface GroupCounts {
  group: string;
  counts: Counts;
  durN: number[];
  durSumMs: number[];
  /** Per metric, the sparse pair lists of the group's rollup rows (only when asked for). */
  hists?: number[][][];
}

function lastDayOfMonth(d: string): boolean {
  const next = new Date(`${d}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.getUTCDate() === 1;
}

const labels = (path: string | undefined): number => (path === undefined ? 0 : path.split('.').length);

/**
 * The rollup grain a report reads: the smallest that keeps every dimension it groups and filters by (grains.ts).
 * Whole months by street, district, unit (also within a platform), platform, category, channel, community or grid read
 * a month grain; other periods by street, district, day, week or month read `day_street`; a combination no coarse grain
 * keeps (unit and channel together, a partial period by category, …) reads the day grain, whose size follows the
 * caller's scope.
 */
export function grainFor(f: ReportFilter): Grain {
  const g = f.groupBy;
  return smallestGrain({
    wholeMonths: g !== 'day' && g !== 'week' && f.from.endsWith('-01') && lastDayOfMonth(f.to),
    depth: Math.max(PATH_DEPTH[g] ?? 0, labels(f.scopePath), labels(f.gridPath)),
    unit: g === 'unit' || f.unitId !== undefined,
    platform: g === 'platform' || f.platform !== undefined,
    category: g === 'category' || f.categoryCodes !== undefined || f.categoryCode !== undefined,
    channel: g === 'channel' || f.channel !== undefined,
  });
}

/**
 * The open tickets filed in the period, by their filing instant (`report_ticket_facts_open_filed_idx`): the cost
 * follows the open tickets of the period, whatever the grain, joined to their day keys for grouping and filters.
 */
function openInPeriod(p: Params, f: ReportFilter): string {
  return `fa.open AND fa.filed_at >= (${p.add(f.from)}::date::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND fa.filed_at < ((${p.add(f.to)}::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')`;
}

class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function where(p: Params, f: ReportFilter, withDays = true): string {
  const w = [`k.path <@ ${p.add(f.scopePath)}::ltree`];
  if (withDays) w.push(`k.day BETWEEN ${p.add(f.from)}::date AND ${p.add(f.to)}::date`);
  if (f.gridPath) w.push(`k.path <@ ${p.add(f.gridPath)}::ltree`);
  if (f.platform) w.push(`k.platform = ${p.add(f.platform)}`);
  if (f.categoryCodes) w.push(`k.category_code = ANY(${p.add(f.categoryCodes)}::text[])`);
  if (f.channel) w.push(`k.channel = ${p.add(f.channel)}`);
  if (f.unitId) w.push(`k.unit_id = ${p.add(f.unitId)}::uuid`);
  return w.join(' AND ');
}

/**
 * The instant up to which the database the reports read holds every commit of the primary, for a primary position
 * (parameters `lsn`, its WAL location, and `at`, its clock): a replica that has replayed past it holds everything
 * until then, else it is as fresh as its last replayed commit; not a replica (or no position): now.
 */
/** Ended tickets that were open at `i.at`; the expression and predicate are those of `report_ticket_facts_span_idx`. */
const ENDED_SINCE = `NOT fa.open AND fa.key_id IS NOT NULL AND fa.ended_at IS NOT NULL AND tstzrange(fa.filed_at, fa.ended_at) @> i.at`;

const replicaAsOf = (lsn: string, at: string): string =>
  `SELECT CASE WHEN ${lsn}::pg_lsn IS NULL OR NOT pg_is_in_recovery() THEN now()
               WHEN pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn THEN least(${at}::timestamptz, now())
               ELSE least(now(), coalesce(pg_last_xact_replay_timestamp(), pg_postmaster_start_time())) END AS at`;

/** Report queries over the rollups (and, for what depends on "now", over the open tickets' facts). */
@Injectable()
export class ReportsRepository {
  /** `read` is the replica of REPORTS_DATABASE_URL when set (else the primary); `ds` the primary, for what must see its own writes. */
  constructor(private readonly ds: DataSource, @Inject(REPORTS_DATA_SOURCE) private readonly read: DataSource) {}

  /**
   * Rollup rows of the period, summed per group in SQL (counters, duration counts and sums). With `withHist`,
   * each group also carries its rows' sparse histograms (`hists[metric]` = one pair list per rollup row), merged
   * by the caller (HistogramMerger). The rows come from the smallest grain that keeps what the report asks for
   * (`grainFor`).
   */
  async rollup(f: ReportFilter, withHist: boolean): Promise<GroupCounts[]> {
    const p = new Params();
    const grain = grainFor(f);
    const metrics = DURATION_METRICS.map((_, i) => i + 1);
    // Postgres sums the arrays element by element; json_agg hands the histograms over as one JSON text per group.
    const rows: Array<Record<string, unknown>> = await this.read.query(
      `SELECT ${groupExpr(f.groupBy)} AS g, ${COUNTERS.map((c) => `sum(r.${c})::int AS ${c}`).join(', ')},
              ARRAY[${metrics.map((i) => `sum(r.dur_n[${i}])`).join(', ')}]::text AS dur_n,
              ARRAY[${metrics.map((i) => `sum(r.dur_sum_ms[${i}])`).join(', ')}]::text AS dur_sum_ms
              ${withHist ? ', json_agg(r.hist)::text AS hists' : ''}
         FROM report_keys k JOIN report_rollup r ON r.key_id = k.id
        WHERE k.grain = ${p.add(grain)} AND ${where(p, f)}
        GROUP BY 1 HAVING sum(r.filed) > 0 OR sum(r.unit_dispatched) > 0`, p.values);
    const nums = (text: unknown): number[] => String(text).slice(1, -1).split(',').map(Number);
    return rows.map((raw) => {
      const counts = zeroCounts();
      for (const c of COUNTERS) counts[c] = Number(raw[c]);
      let hists: number[][][] | undefined;
      if (withHist) {
        // One JSON.parse per group; regrouped per metric: hists[metric][row] = that row's pairs.
        const perRow = JSON.parse(String(raw.hists)) as number[][][];
        hists = DURATION_METRICS.map((_, i) => perRow.map((h) => h[i] ?? []));
      }
      return { group: String(raw.g), counts, durN: nums(raw.dur_n), durSumMs: nums(raw.dur_sum_ms), hists };
    }).sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  }

  /**
   * Open tickets filed in the period, and how many of them are late: past their resolve deadline (now, DB clock) and
   * not resolved by it — one resolved on time and waiting for verification or the callback is not late, as 按期结案率's
   * numerator (closed on time, judged by the resolve) will count it.
   */
  async openOverdue(f: ReportFilter): Promise<Map<string, { open: number; overdue: number }>> {
    const p = new Params();
    const rows: Array<{ g: string; open: number; overdue: number }> = await this.read.query(
      `SELECT ${groupExpr(f.groupBy)} AS g, count(*)::int AS open,
              count(*) FILTER (WHERE fa.resolve_deadline < now() AND coalesce((fa.contrib->'counts'->>'resolved_on_time')::int, 0) = 0)::int AS overdue
         FROM report_ticket_facts fa JOIN report_keys k ON k.id = fa.key_id
        WHERE ${openInPeriod(p, f)} AND ${where(p, f)}
        GROUP BY 1`, p.values);
    return new Map(rows.map((r) => [String(r.g), { open: r.open, overdue: r.overdue }]));
  }

  /**
   * Open tickets by age bucket and SLA colour. The colour is the SLA engine's own: the most severe level its live
   * clocks (any stage, running or paused) have reached — set as their thresholds fire, under each clock's policy
   * and calendar — and red for a running clock past its deadline whose breach is still being fired; green when a
   * live clock has a deadline and no threshold yet, none without one. Read live, so it never waits for a fold.
   */
  async backlog(f: ReportFilter): Promise<Array<{ group: string; age: string; colour: string; n: number }>> {
    const p = new Params();
    return this.read.query(
      `WITH o AS (
         SELECT ${groupExpr(f.groupBy)} AS g, now() - fa.filed_at AS age,
                CASE WHEN c.timed = 0 THEN 'none' ELSE (ARRAY['green', 'blue', 'yellow', 'red'])[c.severity + 1] END AS colour
           FROM report_ticket_facts fa JOIN report_keys k ON k.id = fa.key_id
           CROSS JOIN LATERAL (
             SELECT count(*) FILTER (WHERE c.deadline IS NOT NULL)::int AS timed,
                    coalesce(max(CASE WHEN c.state = 'running' AND c.deadline <= now() THEN 3
                                      WHEN c.level = 'red' THEN 3 WHEN c.level = 'yellow' THEN 2 WHEN c.level = 'blue' THEN 1 ELSE 0 END), 0) AS severity
               FROM ticket_clocks c WHERE c.ticket_id = fa.ticket_id AND c.state <> 'stopped') c
          WHERE ${openInPeriod(p, f)} AND ${where(p, f)})
       SELECT g AS "group",
              CASE WHEN age < interval '1 day' THEN 'lt1d' WHEN age < interval '3 days' THEN '1to3d'
                   WHEN age < interval '7 days' THEN '3to7d' WHEN age < interval '30 days' THEN '7to30d' ELSE 'ge30d' END AS age,
              colour, count(*)::int AS n
         FROM o GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, p.values);
  }

  /**
   * The backlog as it stood `monthsBack` whole months before now (Asia/Shanghai wall clock, the day clamped to the
   * month's end: 03-31 − 1 month → 02-28): tickets of the period filed by then and not yet in a terminal state, per
   * group and by their age then. Read from the facts the fold keeps: the tickets open now (partial index on
   * `filed_at WHERE open`) plus the ended tickets whose open span [filed_at, ended_at) holds that instant (GiST index
   * `report_ticket_facts_span_idx`), so the cost follows the open tickets and those open then, not the closures since.
   */
  async backlogAt(f: ReportFilter, monthsBack: number): Promise<{ at: Date; rows: Array<{ group: string; age: string; n: number }> }> {
    const p = new Params();
    const at = `((now() AT TIME ZONE 'Asia/Shanghai' - make_interval(months => ${p.add(monthsBack)}::int)) AT TIME ZONE 'Asia/Shanghai')`;
    const period = `fa.filed_at >= (${p.add(f.from)}::date::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND fa.filed_at < ((${p.add(f.to)}::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') AND fa.filed_at <= i.at`;
    const branch = (open: boolean): string =>
      `SELECT ${groupExpr(f.groupBy)} AS g, i.at - fa.filed_at AS age
         FROM i, report_ticket_facts fa JOIN report_keys k ON k.id = fa.key_id
        WHERE ${open ? 'fa.open' : ENDED_SINCE} AND ${period} AND ${where(p, f)}`;
    const rows: Array<{ at: Date; group: string | null; age: string | null; n: number }> = await this.read.query(
      `WITH i AS (SELECT ${at} AS at),
            o AS (${branch(true)} UNION ALL ${branch(false)}),
            b AS (SELECT g, CASE WHEN age < interval '1 day' THEN 'lt1d' WHEN age < interval '3 days' THEN '1to3d'
                                 WHEN age < interval '7 days' THEN '3to7d' WHEN age < interval '30 days' THEN '7to30d' ELSE 'ge30d' END AS age
                    FROM o)
       SELECT i.at, b.g AS "group", b.age, count(b.g)::int AS n
         FROM i LEFT JOIN b ON true GROUP BY 1, 2, 3 ORDER BY 2, 3`, p.values);
    return { at: rows[0]!.at, rows: rows.filter((r) => r.group !== null).map((r) => ({ group: r.group!, age: r.age!, n: r.n })) };
  }

  /** Display names of grid paths and units used as group keys. */
  /** A category code with the codes of every category below it, in any catalogue version; empty when unknown. */
  async categorySubtree(code: string): Promise<string[]> {
    const rows: Array<{ code: string }> = await this.read.query(
      `WITH RECURSIVE sub AS (
         SELECT DISTINCT code FROM categories WHERE code = $1
         UNION SELECT c.code FROM categories c JOIN sub ON c.parent_code = sub.code)
       SELECT code FROM sub ORDER BY code`, [code]);
    return rows.map((r) => r.code);
  }

  async labels(groupBy: GroupBy, keys: string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    if (groupBy === 'channel') return new Map(keys.filter((k) => k in CHANNEL_LABELS).map((k) => [k, CHANNEL_LABELS[k]!]));
    let rows: Array<{ k: string; name: string }> = [];
    if (PATH_DEPTH[groupBy]) {
      rows = await this.read.query(`SELECT path::text AS k, name FROM grid_nodes WHERE path = ANY($1::ltree[])`, [keys]);
    } else if (groupBy === 'unit') {
      rows = await this.read.query(`SELECT id::text AS k, name_zh AS name FROM units WHERE id = ANY($1::uuid[])`, [keys.filter((k) => k !== '')]);
      // Tickets never dispatched (voided, merged, still in triage) group under no unit.
      if (keys.includes('')) rows.push({ k: '', name: NO_UNIT_LABEL });
    } else if (groupBy === 'platform') {
      rows = await this.read.query(`SELECT code AS k, name_zh AS name FROM platforms WHERE code = ANY($1::text[])`, [keys]);
    } else if (groupBy === 'category') {
      // The name of the category's newest version.
      rows = await this.read.query(
        `SELECT DISTINCT ON (code) code AS k, name_zh AS name FROM categories WHERE code = ANY($1::text[]) ORDER BY code, version DESC`, [keys]);
    }
    return new Map(rows.map((r) => [r.k, r.name]));
  }

  async gridPath(scopePath: string, nodeId: string): Promise<string | undefined> {
    const rows: Array<{ path: string }> = await this.read.query(`SELECT path::text AS path FROM grid_nodes WHERE id = $1 AND path <@ $2::ltree`, [nodeId, scopePath]);
    return rows[0]?.path;
  }

  /** The score version in force on `day` (the start of the evaluation period). */
  async scoreVersion(day: string): Promise<ScoreVersion> {
    const rows: Array<{ effective_from: string; weights: ScoreVersion['weights']; basic_satisfied_weight: string; red_below: string; commend_from: string }> = await this.read.query(
      `SELECT to_char(effective_from, 'YYYY-MM-DD') AS effective_from, weights, basic_satisfied_weight, red_below, commend_from
         FROM report_score_versions WHERE effective_from <= $1::date ORDER BY effective_from DESC LIMIT 1`, [day]);
    const r = rows[0];
    if (!r) return { effectiveFrom: '2000-01-01', weights: {}, basicSatisfiedWeight: 0.9, redBelow: 60, commendFrom: 90 };
    return { effectiveFrom: r.effective_from, weights: r.weights, basicSatisfiedWeight: Number(r.basic_satisfied_weight), redBelow: Number(r.red_below), commendFrom: Number(r.commend_from) };
  }

  /** Every score version, oldest first. */
  async scoreVersions(): Promise<Array<ScoreVersion & { note: string | null; createdAt: Date }>> {
    const rows: Array<{ effective_from: string; weights: ScoreVersion['weights']; basic_satisfied_weight: string; red_below: string; commend_from: string; note: string | null; created_at: Date }> =
      await this.ds.query(`SELECT to_char(effective_from, 'YYYY-MM-DD') AS effective_from, weights, basic_satisfied_weight, red_below, commend_from, note, created_at
                             FROM report_score_versions ORDER BY effective_from`);
    return rows.map((r) => ({
      effectiveFrom: r.effective_from, weights: r.weights, basicSatisfiedWeight: Number(r.basic_satisfied_weight), redBelow: Number(r.red_below),
      commendFrom: Number(r.commend_from), note: r.note, createdAt: r.created_at,
    }));
  }

  /**
   * Adds a score version starting today or later (Asia/Shanghai), so no closed period is re-scored; false when a
   * version already starts that day or the day is past (checked in the statement, not before it).
   */
  async insertScoreVersion(v: ScoreVersion & { note: string | null }): Promise<'inserted' | 'exists' | 'past'> {
    const rows: Array<{ outcome: string }> = await this.ds.query(
      `WITH ins AS (
         INSERT INTO report_score_versions (effective_from, weights, basic_satisfied_weight, red_below, commend_from, note)
         SELECT $1::date, $2::jsonb, $3, $4, $5, $6 WHERE $1::date >= (now() AT TIME ZONE 'Asia/Shanghai')::date
         ON CONFLICT (effective_from) DO NOTHING RETURNING 1)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'inserted'
                   WHEN $1::date < (now() AT TIME ZONE 'Asia/Shanghai')::date THEN 'past' ELSE 'exists' END AS outcome`,
      [v.effectiveFrom, JSON.stringify(v.weights), v.basicSatisfiedWeight, v.redBelow, v.commendFrom, v.note]);
    return rows[0]!.outcome as 'inserted' | 'exists' | 'past';
  }

  /**
   * How fresh the figures are (数据截至), on the database the reports read. The fold: the oldest event it has not
   * taken yet. On a read replica (REPORTS_DATABASE_URL) also its replay: the primary's WAL position is read first;
   * a replica that has replayed past it holds everything committed up to that moment, otherwise it is as fresh as
   * its last replayed commit (a paused or broken replica shows its whole delay). `asOf` is the earlier of the two;
   * `replicaLagMs` is 0 on the primary. Also the tickets of the scope quarantined from the fold.
   */
  async staleness(scopePath: string): Promise<{ lagMs: number; replicaLagMs: number; asOf: Date; quarantined: number }> {
    const primary = await this.primaryPosition();
    const rows: Array<{ fold_ms: number; replica_ms: number; as_of: Date; quarantined: number }> = await this.read.query(
      `WITH o AS (SELECT min(e.at) AS at FROM ticket_events e
                   WHERE e.at >= (SELECT last_at FROM report_cursor WHERE id = 1)
                     AND (e.at, e.id) > ((SELECT last_at FROM report_cursor WHERE id = 1), (SELECT last_id FROM report_cursor WHERE id = 1))),
            r AS (${replicaAsOf('$2', '$3')})
       SELECT extract(epoch FROM now() - coalesce(o.at, now()))::float8 * 1000 AS fold_ms,
              extract(epoch FROM now() - r.at)::float8 * 1000 AS replica_ms,
              least(coalesce(o.at, now()), r.at) AS as_of,
              (SELECT count(*)::int FROM report_fold_quarantine q
                 JOIN LATERAL (SELECT grid_path FROM tickets t WHERE t.id = q.ticket_id OFFSET 0) t ON true
                WHERE t.grid_path <@ $1::ltree) AS quarantined
         FROM o, r`, [scopePath, primary?.lsn ?? null, primary?.at ?? null]);
    const row = rows[0]!;
    const replicaLagMs = Math.max(0, Math.round(Number(row.replica_ms)));
    return { lagMs: Math.max(0, Math.round(Number(row.fold_ms)), replicaLagMs), replicaLagMs, asOf: row.as_of, quarantined: row.quarantined };
  }

  /** The read replica's replay delay behind the primary in ms, as `staleness` measures it; 0 when reports read the primary. */
  async replicaLagMs(): Promise<number> {
    const primary = await this.primaryPosition();
    if (!primary) return 0;
    const rows: Array<{ ms: number }> = await this.read.query(
      `WITH r AS (${replicaAsOf('$1', '$2')}) SELECT extract(epoch FROM now() - r.at)::float8 * 1000 AS ms FROM r`, [primary.lsn, primary.at]);
    return Math.max(0, Math.round(Number(rows[0]!.ms)));
  }

  /** The primary's WAL position and clock, read before the replica is asked (undefined when reports read the primary). */
  private async primaryPosition(): Promise<{ lsn: string; at: Date } | undefined> {
    if (this.read === this.ds) return undefined;
    return (await this.ds.query(`SELECT pg_current_wal_lsn()::text AS lsn, now() AS at`))[0];
  }

  async today(): Promise<string> {
    const rows: Array<{ d: string }> = await this.read.query(`SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD') AS d`);
    return rows[0]!.d;
  }
}
