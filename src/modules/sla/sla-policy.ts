import type { ClockLimit } from '../../../libs/sla-calendar';

/** 特急 / 紧急 / 一般 */
export type SlaPriority = 'extra_urgent' | 'urgent' | 'normal';
export const SLA_PRIORITIES: readonly SlaPriority[] = ['extra_urgent', 'urgent', 'normal'];
export const SLA_STAGES = ['register', 'sign', 'resolve', 'verify', 'callback', 'mediation'] as const;
export type SlaStage = (typeof SLA_STAGES)[number];

/** A warning threshold: a share of the limit (催办 blue at 0.5, 预警 yellow at 0.8, 超期 red at 1). */
export interface ThresholdRule {
  code: string;
  fraction: number;
  kind: 'remind' | 'warning' | 'breach';
  level: 'blue' | 'yellow' | 'red';
  nameZh: string;
  nameEn: string;
}

/** A step of the escalation ladder after a breach: 督办 (supervision) or 通报 (public notice). */
export interface LadderStep {
  code: string;
  afterBreachSeconds: number;
  kind: 'supervise' | 'notice';
  /** Who is told: the district or the city command centre. */
  target: 'district' | 'city';
  nameZh: string;
  nameEn: string;
}

/**
 * The limit of a stage other than the handling stage: one limit for every priority, or one per priority
 * (`byPriority`), so that a 特急 case is signed for in minutes of natural time and a 一般 one in working hours.
 */
export type StageLimit = ClockLimit | { byPriority: Record<SlaPriority, ClockLimit> };

/**
 * One version of an SLA policy (时限策略). The limit of a handling clock (处置, 调解) is the case standard's limit
 * × factor(ticket priority) / factor(standard priority) × the unit override, when there is one; the other stages
 * take `stageLimits` as they are (no factor applies to them).
 */
export interface PolicyDefinition {
  priorityFactors: Record<SlaPriority, number>;
  unitOverrides: Array<{ unitId: string; factor: number }>;
  /** Limits for stages other than the handling stage (which takes the case standard's limit); none = no deadline. */
  stageLimits: Partial<Record<SlaStage, StageLimit>>;
  thresholds: ThresholdRule[];
  ladder: LadderStep[];
}

const MINUTE = 60;
const HOUR = 3600;

/**
 * The default policy. SPEC §7 sets no values for 立案 and 签收; these follow the usual practice of city command
 * centres (数字城管): a 特急 case is registered and signed for within 15 minutes and a 紧急 one within 30, in
 * natural time, day and night; a 一般 case is registered within one working hour and signed for within two.
 * Their deadlines order the triage queue and the unit inboxes. Verification (核查) and callback (回访) have no
 * default limit.
 */
export const DEFAULT_POLICY: PolicyDefinition = {
  priorityFactors: { extra_urgent: 0.5, urgent: 0.75, normal: 1 },
  unitOverrides: [],
  stageLimits: {
    register: { byPriority: {
      extra_urgent: { type: 'natural', seconds: 15 * MINUTE },
      urgent: { type: 'natural', seconds: 30 * MINUTE },
      normal: { type: 'working_hours', seconds: HOUR },
    } },
    sign: { byPriority: {
      extra_urgent: { type: 'natural', seconds: 15 * MINUTE },
      urgent: { type: 'natural', seconds: 30 * MINUTE },
      normal: { type: 'working_hours', seconds: 2 * HOUR },
    } },
  },
  thresholds: [
    { code: 'remind', fraction: 0.5, kind: 'remind', level: 'blue', nameZh: '催办', nameEn: 'Reminder' },
    { code: 'warning', fraction: 0.8, kind: 'warning', level: 'yellow', nameZh: '预警', nameEn: 'Warning' },
    { code: 'breach', fraction: 1, kind: 'breach', level: 'red', nameZh: '超期', nameEn: 'Breach' },
  ],
  ladder: [
    { code: 'supervise_district', afterBreachSeconds: 2 * 3600, kind: 'supervise', target: 'district', nameZh: '区级督办', nameEn: 'District supervision' },
    { code: 'notice', afterBreachSeconds: 24 * 3600, kind: 'notice', target: 'city', nameZh: '通报', nameEn: 'Public notice' },
  ],
};

const CODE = /^[a-z0-9_]{1,40}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= max;
}

/**
 * A limit as the calendar library reads it (libs/sla-calendar `normaliseLimit`): natural and working-hours limits in
 * `seconds`, working-day limits in `days`, the other field absent, above zero. Anything else would be read as a zero
 * limit, and the clock breach the moment it starts.
 */
function validLimit(v: unknown): v is ClockLimit {
  if (!isRecord(v)) return false;
  const okKeys = Object.keys(v).every((k) => ['type', 'seconds', 'days', 'startNextWorkingDay'].includes(k));
  const positive = (x: unknown, max: number) => typeof x === 'number' && Number.isFinite(x) && x > 0 && x <= max;
  const amount = v.type === 'working_days'
    ? v.seconds === undefined && positive(v.days, 10 * 365)
    : ['natural', 'working_hours'].includes(v.type as string) && v.days === undefined && positive(v.seconds, 10 * 365 * 86400);
  return okKeys && amount && (v.startNextWorkingDay === undefined || typeof v.startNextWorkingDay === 'boolean');
}

function validStageLimit(v: unknown): v is StageLimit {
  if (!isRecord(v) || !('byPriority' in v)) return validLimit(v);
  const by = v.byPriority;
  return Object.keys(v).length === 1 && isRecord(by) && Object.keys(by).length === SLA_PRIORITIES.length
    && SLA_PRIORITIES.every((p) => validLimit(by[p]));
}

/** The limit a stage other than the handling stage has for a ticket of this priority under the policy; null = none. */
export function stageLimitFor(policy: PolicyDefinition, stage: string, priority: string): ClockLimit | null {
  const limit = policy.stageLimits[stage as SlaStage];
  if (!limit) return null;
  if (!('byPriority' in limit)) return { ...limit };
  const own = (SLA_PRIORITIES as readonly string[]).includes(priority) ? limit.byPriority[priority as SlaPriority] : limit.byPriority.normal;
  return { ...own };
}

/** Checks a policy definition from an admin; returns every problem found (empty when valid). */
export function policyProblems(v: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(v)) return ['definition must be an object'];
  const allowed = ['priorityFactors', 'unitOverrides', 'stageLimits', 'thresholds', 'ladder'];
  for (const k of Object.keys(v)) if (!allowed.includes(k)) problems.push(`unknown field ${k}`);
  const factors = v.priorityFactors;
  if (!isRecord(factors)) problems.push('priorityFactors must be an object');
  else for (const p of SLA_PRIORITIES) {
    const f = factors[p];
    if (typeof f !== 'number' || !(f > 0 && f <= 10)) problems.push(`priorityFactors.${p} must be a number in (0, 10]`);
  }
  if (isRecord(factors)) for (const k of Object.keys(factors)) if (!(SLA_PRIORITIES as readonly string[]).includes(k)) problems.push(`unknown priority ${k}`);
  if (!Array.isArray(v.unitOverrides)) problems.push('unitOverrides must be an array');
  else v.unitOverrides.forEach((o, i) => {
    if (!isRecord(o) || typeof o.unitId !== 'string' || !UUID.test(o.unitId) || typeof o.factor !== 'number' || !(o.factor > 0 && o.factor <= 10)) {
      problems.push(`unitOverrides[${i}] needs a unitId (uuid) and a factor in (0, 10]`);
    }
  });
  if (!isRecord(v.stageLimits)) problems.push('stageLimits must be an object');
  else for (const [stage, limit] of Object.entries(v.stageLimits)) {
    if (!(SLA_STAGES as readonly string[]).includes(stage)) problems.push(`stageLimits: unknown stage ${stage}`);
    else if (!validStageLimit(limit)) {
      problems.push(`stageLimits.${stage} must be { type, seconds?, days?, startNextWorkingDay? } or { byPriority: { extra_urgent, urgent, normal } } of those`);
    }
  }
  const codes = new Set<string>();
  if (!Array.isArray(v.thresholds) || v.thresholds.length > 10) problems.push('thresholds must be an array of at most 10');
  else v.thresholds.forEach((t, i) => {
    if (!isRecord(t) || !text(t.code, 40) || !CODE.test(t.code) || typeof t.fraction !== 'number' || !(t.fraction > 0 && t.fraction <= 1)
      || !['remind', 'warning', 'breach'].includes(t.kind as string) || !['blue', 'yellow', 'red'].includes(t.level as string)
      || !text(t.nameZh, 40) || !text(t.nameEn, 80)) {
      problems.push(`thresholds[${i}] needs code, fraction in (0, 1], kind, level, nameZh, nameEn`);
    } else if (codes.has(t.code)) problems.push(`thresholds[${i}]: code ${t.code} repeated`);
    else codes.add(t.code);
  });
  if (Array.isArray(v.thresholds) && !v.thresholds.some((t) => isRecord(t) && t.kind === 'breach' && t.fraction === 1)) {
    problems.push('thresholds must contain the breach (kind breach, fraction 1)');
  }
  if (!Array.isArray(v.ladder) || v.ladder.length > 10) problems.push('ladder must be an array of at most 10');
  else v.ladder.forEach((s, i) => {
    if (!isRecord(s) || !text(s.code, 40) || !CODE.test(s.code) || typeof s.afterBreachSeconds !== 'number' || !Number.isInteger(s.afterBreachSeconds)
      || s.afterBreachSeconds < 1 || s.afterBreachSeconds > 365 * 86400 || !['supervise', 'notice'].includes(s.kind as string)
      || !['district', 'city'].includes(s.target as string) || !text(s.nameZh, 40) || !text(s.nameEn, 80)) {
      problems.push(`ladder[${i}] needs code, afterBreachSeconds (1 s … 1 year), kind, target, nameZh, nameEn`);
    } else if (codes.has(s.code)) problems.push(`ladder[${i}]: code ${s.code} repeated`);
    else codes.add(s.code);
  });
  return problems;
}

/** Scales a case standard's limit for the ticket's priority and unit. Days keep fractions; seconds round up. */
export function scaleLimit(base: ClockLimit, policy: PolicyDefinition, ticketPriority: SlaPriority, standardPriority: SlaPriority, unitId: string | null): ClockLimit {
  const unit = unitId ? policy.unitOverrides.find((o) => o.unitId === unitId)?.factor ?? 1 : 1;
  const factor = (policy.priorityFactors[ticketPriority] / policy.priorityFactors[standardPriority]) * unit;
  if (factor === 1) return { ...base };
  return {
    ...base,
    ...(base.seconds !== undefined ? { seconds: Math.ceil(base.seconds * factor) } : {}),
    ...(base.days !== undefined ? { days: Math.round(base.days * factor * 1e6) / 1e6 } : {}),
  };
}
