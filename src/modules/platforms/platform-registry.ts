import { COMMUNITY_GOVERNANCE, COMMUNITY_GOVERNANCE_CATEGORIES } from './community-governance/community-governance.platform';
import { CONVENIENCE_SERVICES, CONVENIENCE_SERVICES_CATEGORIES } from './convenience-services/convenience-services.platform';
import { DISPUTE_RESOLUTION, DISPUTE_RESOLUTION_CATEGORIES } from './dispute-resolution/dispute-resolution.platform';
import { PARTY_BUILDING, PARTY_BUILDING_CATEGORIES } from './party-building/party-building.platform';
import type { CategorySeed } from './platform-seed.types';
import { PLATFORM_CODES, type AttributeCheck, type AttributeSpec, type PlatformCode, type PlatformDefinition } from './platform.types';
import { REQUEST_HANDLING, REQUEST_HANDLING_CATEGORIES } from './request-handling/request-handling.platform';

/** The five platforms in their display order (SPEC §4). */
export const PLATFORM_DEFINITIONS: readonly PlatformDefinition[] = [
  COMMUNITY_GOVERNANCE, DISPUTE_RESOLUTION, REQUEST_HANDLING, CONVENIENCE_SERVICES, PARTY_BUILDING,
];

/** Each platform's demo categories, seeded by src/database/seeds/demo-catalogue.ts. */
export const PLATFORM_DEMO_CATEGORIES: Readonly<Record<PlatformCode, readonly CategorySeed[]>> = {
  community_governance: COMMUNITY_GOVERNANCE_CATEGORIES,
  dispute_resolution: DISPUTE_RESOLUTION_CATEGORIES,
  request_handling: REQUEST_HANDLING_CATEGORIES,
  convenience_services: CONVENIENCE_SERVICES_CATEGORIES,
  party_building: PARTY_BUILDING_CATEGORIES,
};

const BY_CODE = new Map<string, PlatformDefinition>(PLATFORM_DEFINITIONS.map((p) => [p.code, p]));

export function isPlatformCode(code: unknown): code is PlatformCode {
  return typeof code === 'string' && (PLATFORM_CODES as readonly string[]).includes(code);
}

/** The definition of a platform, or undefined for an unknown code. */
export function platformDefinition(code: string): PlatformDefinition | undefined {
  return BY_CODE.get(code);
}

const DEFAULT_MAX_LENGTH = 200;
const DEFAULT_MAX_LIST = 50;
const DEFAULT_MAX_PARTIES = 20;
// Control characters (NUL included) and lone surrogates: Postgres text and the masking code cannot hold them.
const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PHONE = /^\+?[0-9][0-9-]{2,19}$/;
// 居民身份证号码 (GB 11643): 17 digits and a check character.
const ID_NUMBER = /^[0-9]{17}[0-9X]$/;
const PARTY_ROLES = ['applicant', 'respondent'] as const;
const PARTY_KEYS = new Set(['role', 'name', 'phone', 'idNumber']);

type Errors = AttributeCheck['errors'];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCalendarDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** A trimmed, non-empty text within maxLength and free of control characters; or an error message. */
function checkText(v: unknown, maxLength: number): string | { error: string } {
  if (typeof v !== 'string') return { error: 'must be a string / 必须是字符串' };
  if (CONTROL.test(v) || LONE_SURROGATE.test(v)) return { error: 'must not contain control characters / 不能包含控制字符' };
  const s = v.trim();
  if (s.length === 0) return { error: 'must not be empty / 不能为空' };
  if ([...s].length > maxLength) return { error: `at most ${maxLength} characters / 最多 ${maxLength} 个字符` };
  return s;
}

function checkParties(field: string, v: unknown, spec: AttributeSpec, errors: Errors): unknown {
  if (!Array.isArray(v)) {
    errors.push({ field, message: 'must be a list of parties / 必须是当事人列表' });
    return undefined;
  }
  const max = spec.maxItems ?? DEFAULT_MAX_PARTIES;
  if (v.length > max) {
    errors.push({ field, message: `at most ${max} parties / 最多 ${max} 个当事人` });
    return undefined;
  }
  const out: Array<Record<string, string>> = [];
  const before = errors.length;
  v.forEach((p: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(p)) {
      errors.push({ field: at, message: 'must be an object / 必须是对象' });
      return;
    }
    for (const key of Object.keys(p)) {
      if (!PARTY_KEYS.has(key)) errors.push({ field: `${at}.${key}`, message: 'unknown field / 未知字段' });
    }
    const party: Record<string, string> = {};
    if (!(PARTY_ROLES as readonly unknown[]).includes(p.role)) {
      errors.push({ field: `${at}.role`, message: `must be one of ${PARTY_ROLES.join(', ')} / 必须是申请人或被申请人` });
    } else party.role = p.role as string;
    const name = checkText(p.name, spec.maxLength ?? DEFAULT_MAX_LENGTH);
    if (typeof name !== 'string') errors.push({ field: `${at}.name`, message: name.error });
    else party.name = name;
    if (p.phone !== undefined) {
      const phone = checkText(p.phone, 20);
      if (typeof phone !== 'string' || !PHONE.test(phone)) errors.push({ field: `${at}.phone`, message: 'must be a phone number / 电话号码格式不正确' });
      else party.phone = phone;
    }
    if (p.idNumber !== undefined) {
      const id = checkText(p.idNumber, 18);
      const upper = typeof id === 'string' ? id.toUpperCase() : '';
      if (!ID_NUMBER.test(upper)) errors.push({ field: `${at}.idNumber`, message: 'must be an 18-character ID number / 身份证号码格式不正确' });
      else party.idNumber = upper;
    }
    out.push(party);
  });
  if (errors.length > before) return undefined;
  if (!out.some((p) => p.role === 'applicant') || !out.some((p) => p.role === 'respondent')) {
    errors.push({ field, message: 'at least one applicant and one respondent / 至少需要一名申请人和一名被申请人' });
    return undefined;
  }
  return out;
}

function checkValue(spec: AttributeSpec, v: unknown, errors: Errors): unknown {
  const field = spec.code;
  const fail = (message: string) => {
    errors.push({ field, message });
    return undefined;
  };
  switch (spec.type) {
    case 'string': {
      const s = checkText(v, spec.maxLength ?? DEFAULT_MAX_LENGTH);
      if (typeof s !== 'string') return fail(s.error);
      if (spec.format === 'date' && !isCalendarDate(s)) return fail('must be a date YYYY-MM-DD / 日期格式应为 YYYY-MM-DD');
      return s;
    }
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return fail('must be a number / 必须是数字');
      if (spec.integer && !Number.isInteger(v)) return fail('must be a whole number / 必须是整数');
      if (spec.min !== undefined && v < spec.min) return fail(`must be at least ${spec.min} / 不能小于 ${spec.min}`);
      if (spec.max !== undefined && v > spec.max) return fail(`must be at most ${spec.max} / 不能大于 ${spec.max}`);
      return v;
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : fail('must be true or false / 必须是布尔值');
    case 'enum': {
      const codes = (spec.options ?? []).map((o) => o.code);
      return typeof v === 'string' && codes.includes(v) ? v : fail(`must be one of ${codes.join(', ')} / 取值无效`);
    }
    case 'string_list': {
      const max = spec.maxItems ?? DEFAULT_MAX_LIST;
      if (!Array.isArray(v)) return fail('must be a list of strings / 必须是字符串列表');
      if (v.length > max) return fail(`at most ${max} items / 最多 ${max} 项`);
      const out: string[] = [];
      for (const [i, item] of v.entries()) {
        const s = checkText(item, spec.maxLength ?? DEFAULT_MAX_LENGTH);
        if (typeof s !== 'string') errors.push({ field: `${field}[${i}]`, message: s.error });
        else out.push(s);
      }
      return out.length === v.length ? out : undefined;
    }
    case 'parties':
      return checkParties(field, v, spec, errors);
  }
}

/**
 * Checks the platform-specific attributes of a ticket (pure). Refuses unknown keys, wrong types, values
 * outside enum options, over-long or control-character text; `value` holds only declared keys, with text
 * trimmed. `undefined` input is treated as no attributes given.
 */
export function validatePlatformAttributes(platform: string, input: unknown): AttributeCheck {
  const def = platformDefinition(platform);
  if (!def) return { ok: false, value: {}, errors: [{ field: 'platform', message: 'unknown platform / 未知平台' }] };
  const given = input === undefined ? {} : input;
  if (!isPlainObject(given)) return { ok: false, value: {}, errors: [{ field: 'attributes', message: 'must be an object / 必须是对象' }] };
  const errors: Errors = [];
  const specs = new Map(def.attributes.map((a) => [a.code, a]));
  for (const key of Object.keys(given)) {
    if (!specs.has(key)) errors.push({ field: key, message: 'unknown attribute / 未知属性' });
  }
  const value: Record<string, unknown> = {};
  for (const spec of def.attributes) {
    const v = Object.prototype.hasOwnProperty.call(given, spec.code) ? given[spec.code] : undefined;
    if (v === undefined || v === null) {
      if (spec.required) errors.push({ field: spec.code, message: 'required / 必填' });
      continue;
    }
    const checked = checkValue(spec, v, errors);
    if (checked !== undefined) value[spec.code] = checked;
  }
  return errors.length > 0 ? { ok: false, value: {}, errors } : { ok: true, value, errors: [] };
}

/**
 * The top-level attribute codes of a platform that hold personal data (e.g. `parties`): their whole value is
 * encrypted at rest and masked in responses. Inside a list of parties, `role` stays readable after masking.
 */
export function personalAttributePaths(platform: string): string[] {
  const def = platformDefinition(platform);
  if (!def) return [];
  return def.attributes.filter((a) => a.personal).map((a) => a.code);
}
