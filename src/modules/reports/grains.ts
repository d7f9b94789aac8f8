/**
 * The rollup grains: which dimensions of a ticket's day key each one keeps. Every ticket counts into its `day` key
 * (every dimension) and into one key of each coarse grain, derived from the day key by `coarseKey`. A report reads
 * the first grain of `GRAINS` that keeps everything it groups and filters by (`grainFor`), so each view adds as few
 * rows (and their histograms) as its question allows.
 */
export type Grain = 'day' | 'month' | 'month_street' | 'month_unit' | 'month_channel' | 'month_grid' | 'month_category' | 'day_street' | 'day_unit' | 'day_category';

/** A rollup row's key: a grain and the dimensions it keeps (the others empty, or null for the unit). */
export interface RollupKey {
  grain: Grain;
  /** Filing day (Asia/Shanghai), or the first day of the filing month for the month grains. */
  day: string;
  path: string;
  unitId: string | null;
  platform: string;
  categoryCode: string;
  channel: string;
}

export interface GrainSpec {
  readonly name: Grain;
  /** Keys carry the first day of the filing month instead of the filing day. */
  readonly month: boolean;
  /** Grid path labels kept (city.district.street.community.grid = 5). */
  readonly depth: number;
  readonly unit: boolean;
  readonly platform: boolean;
  readonly category: boolean;
  readonly channel: boolean;
}

const spec = (name: Grain, month: boolean, depth: number, dims: Partial<Pick<GrainSpec, 'unit' | 'platform' | 'category' | 'channel'>> = {}): GrainSpec =>
  ({ name, month, depth, unit: false, platform: false, category: false, channel: false, ...dims });

/**
 * Smallest first, so that the first grain covering a report is also the one with the fewest rows for it (a
 * city-wide month in the ten-million benchmark: one row per street for `month_street`, a few hundred to a few
 * thousand for the others, about 270 000 for `day`; docs/reports.md). `day_unit` (filing day × district × unit ×
 * platform) and `day_category` (filing day × district × platform × category) serve periods that are not whole
 * months — this month so far — by unit and by category.
 */
export const GRAINS: readonly GrainSpec[] = [
  spec('month_street', true, 3),
  spec('month', true, 3, { platform: true }),
  spec('month_channel', true, 3, { channel: true }),
  spec('month_grid', true, 5),
  spec('month_unit', true, 3, { unit: true, platform: true }),
  spec('month_category', true, 3, { platform: true, category: true }),
  spec('day_street', false, 3),
  spec('day_unit', false, 2, { unit: true, platform: true }),
  spec('day_category', false, 2, { platform: true, category: true }),
  spec('day', false, 5, { unit: true, platform: true, category: true, channel: true }),
];

/** The coarse grains: every grain but `day`. */
export const COARSE_GRAINS: readonly GrainSpec[] = GRAINS.filter((g) => g.name !== 'day');

export function grainSpec(name: Grain): GrainSpec {
  const g = GRAINS.find((x) => x.name === name);
  if (!g) throw new Error(`unknown rollup grain ${name}`);
  return g;
}

/** The key of a coarse grain that a day-grain key counts into. */
export function coarseKey(k: RollupKey, g: GrainSpec): RollupKey {
  return {
    grain: g.name,
    day: g.month ? `${k.day.slice(0, 8)}01` : k.day,
    path: k.path.split('.').slice(0, g.depth).join('.'),
    unitId: g.unit ? k.unitId : null,
    platform: g.platform ? k.platform : '',
    categoryCode: g.category ? k.categoryCode : '',
    channel: g.channel ? k.channel : '',
  };
}

/** Every coarse key of a day-grain key, in `COARSE_GRAINS` order. */
export function coarseKeys(k: RollupKey): RollupKey[] {
  return COARSE_GRAINS.map((g) => coarseKey(k, g));
}

/** What a report needs of a grain. */
export interface GrainNeeds {
  /** The period is whole months and nothing is grouped by day or week. */
  wholeMonths: boolean;
  /** Path labels the grouping, the scope and the grid filter need. */
  depth: number;
  unit: boolean;
  platform: boolean;
  category: boolean;
  channel: boolean;
}

/** The first (smallest) grain that keeps everything a report needs; `day` keeps everything. */
export function smallestGrain(n: GrainNeeds): Grain {
  const fits = (g: GrainSpec): boolean => (!g.month || n.wholeMonths) && g.depth >= n.depth
    && (!n.unit || g.unit) && (!n.platform || g.platform) && (!n.category || g.category) && (!n.channel || g.channel);
  return GRAINS.find(fits)!.name;
}
