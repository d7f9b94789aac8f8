import type { Satisfaction } from '../../../libs/workflow';
import { isMediaUrl } from '../../common/media-url';
import type { AttributeSpec } from '../platforms/platform.types';
import { iso8601, parseIsoDate } from './open311-format';
import { CASE_STANDARD_ATTRIBUTE } from './open311.mapper';

/** A POST requests body (form fields, or the query string for the ones clients put there), read and checked. */
export interface Open311Post {
  apiKey: string | undefined;
  jurisdictionId: string | undefined;
  serviceCode: string;
  lat: number | undefined;
  lng: number | undefined;
  addressString: string | undefined;
  description: string;
  /** attribute[code] → value(s), still as text. */
  attributes: Record<string, string | string[]>;
  /** The client's own URL of a photo or other media (GeoReport `media_url`); never fetched by us. */
  mediaUrl: string | undefined;
  /** Personal data (个人信息): encrypted at rest, never in any output. */
  personal: { firstName?: string; lastName?: string; phone?: string; email?: string; deviceId?: string };
}

type FieldError = { field: string; message: string };

/** Every field GeoReport v2 defines for POST requests; anything else is refused. */
const KNOWN = new Set([
  'api_key', 'jurisdiction_id', 'service_code', 'lat', 'long', 'address_string', 'address_id', 'email', 'device_id',
  'account_id', 'first_name', 'last_name', 'phone', 'description', 'media_url',
]);
const ATTRIBUTE_KEY = /^attribute\[([A-Za-z0-9_]{1,40})\](\[\])?$/;
// No control characters (tab and newline allowed in the description), no lone surrogates.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const CONTROL_LINE = /\p{Cc}/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NUMBER = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{2,63}$/;
const PHONE = /^[0-9+\- ]{5,20}$/;
const CODE = /^[0-9A-Za-z_]{1,40}$/;

function single(source: Record<string, unknown>, key: string, errors: FieldError[]): string | undefined {
  const v = source[key];
  if (v === undefined) return undefined;
  // A JSON body may carry numbers (lat, long); form bodies carry text only.
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') {
    errors.push({ field: key, message: 'must be given once, as text / 只能提供一个文本值' });
    return undefined;
  }
  return v;
}

function text(source: Record<string, unknown>, key: string, max: number, errors: FieldError[], multiline = false): string | undefined {
  const v = single(source, key, errors);
  if (v === undefined) return undefined;
  if ((multiline ? CONTROL : CONTROL_LINE).test(v) || LONE_SURROGATE.test(v)) {
    errors.push({ field: key, message: 'must not contain control characters / 不能包含控制字符' });
    return undefined;
  }
  const s = v.trim();
  if ([...s].length > max) {
    errors.push({ field: key, message: `at most ${max} characters / 最多 ${max} 个字符` });
    return undefined;
  }
  return s === '' ? undefined : s;
}

function coordinate(source: Record<string, unknown>, key: string, limit: number, errors: FieldError[]): number | undefined {
  const v = single(source, key, errors);
  if (v === undefined || v.trim() === '') return undefined;
  const n = NUMBER.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n) || Math.abs(n) > limit) {
    errors.push({ field: key, message: `must be a number between -${limit} and ${limit} / 必须是 -${limit} 到 ${limit} 之间的数字` });
    return undefined;
  }
  return n;
}

/**
 * The fields of a POST form: the body's, plus any field given in the query string that the body does not have.
 * The official description declares every POST parameter `in: query`, the wiki and most clients send a form body;
 * both work, and so do the two mixed (the body wins). A body that is not a set of fields is an error.
 */
function formSource(body: unknown, query: unknown, errors: FieldError[]): Record<string, unknown> {
  const b = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const q = query !== null && typeof query === 'object' && !Array.isArray(query) ? (query as Record<string, unknown>) : {};
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    errors.push({ field: 'body', message: 'send application/x-www-form-urlencoded fields / 请以表单格式提交' });
  }
  // No prototype: a `__proto__` field is a field like any other (and refused as unknown), never a prototype.
  const source: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(q)) if (v !== undefined && !Object.prototype.hasOwnProperty.call(b, k)) source[k] = v;
  return Object.assign(source, b);
}

/**
 * Reads a POST requests form. Fields may come in the body or in the query string (the body wins). Returns the
 * errors instead when anything is wrong.
 */
export function parsePostForm(body: unknown, query: unknown): { ok: true; value: Open311Post } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const source = formSource(body, query, errors);

  const attributes: Record<string, string | string[]> = {};
  for (const [key, v] of Object.entries(source)) {
    const attr = ATTRIBUTE_KEY.exec(key);
    if (attr) {
      const values = Array.isArray(v) ? v : [v];
      if (!values.every((x): x is string => typeof x === 'string' && !CONTROL_LINE.test(x) && !LONE_SURROGATE.test(x) && [...x].length <= 1000)) {
        errors.push({ field: key, message: 'must be text without control characters, at most 1000 characters / 必须是不超过 1000 字的文本' });
        continue;
      }
      attributes[attr[1]!] = attr[2] || values.length > 1 ? values : values[0]!;
    } else if (!KNOWN.has(key)) {
      errors.push({ field: key, message: 'unknown field / 未知字段' });
    }
  }

  const apiKey = single(source, 'api_key', errors);
  const jurisdictionId = text(source, 'jurisdiction_id', 40, errors);
  if (jurisdictionId !== undefined && !CODE.test(jurisdictionId)) errors.push({ field: 'jurisdiction_id', message: 'must be a grid node code / 必须是网格编码' });
  const serviceCode = text(source, 'service_code', 40, errors);
  if (serviceCode === undefined) errors.push({ field: 'service_code', message: 'required / 必填' });
  else if (!CODE.test(serviceCode)) errors.push({ field: 'service_code', message: 'must be a service code / 服务编码格式不正确' });
  const lat = coordinate(source, 'lat', 90, errors);
  const lng = coordinate(source, 'long', 180, errors);
  if ((lat === undefined) !== (lng === undefined)) errors.push({ field: lat === undefined ? 'lat' : 'long', message: 'lat and long go together / lat 与 long 必须同时提供' });
  const addressString = text(source, 'address_string', 300, errors);
  if (lat === undefined && lng === undefined && addressString === undefined) {
    errors.push({
      field: 'lat', message: source.address_id !== undefined
        ? 'address_id is not supported here: send lat/long or address_string / 不支持 address_id，请提供经纬度或地址'
        : 'a location is required: lat/long or address_string / 需要提供位置（经纬度或地址）',
    });
  }
  const description = text(source, 'description', 5000, errors, true) ?? '';
  const firstName = text(source, 'first_name', 25, errors);
  const lastName = text(source, 'last_name', 25, errors);
  const phone = text(source, 'phone', 20, errors);
  if (phone !== undefined && !PHONE.test(phone)) errors.push({ field: 'phone', message: 'must be a phone number / 电话号码格式不正确' });
  const email = text(source, 'email', 254, errors);
  if (email !== undefined && !EMAIL.test(email)) errors.push({ field: 'email', message: 'must be an e-mail address / 电子邮箱格式不正确' });
  const deviceId = text(source, 'device_id', 100, errors);
  text(source, 'account_id', 100, errors);
  const mediaUrl = text(source, 'media_url', 2000, errors);
  if (mediaUrl !== undefined && !isMediaUrl(mediaUrl)) {
    errors.push({ field: 'media_url', message: 'must be an http or https URL without user name, password or personal data (phone, ID number, e-mail) / 必须是不含用户名、密码和个人信息（电话、身份证号、邮箱）的 http(s) 网址' });
  }
  text(source, 'address_id', 100, errors);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      apiKey, jurisdictionId, serviceCode: serviceCode!, lat, lng, addressString, description, attributes, mediaUrl,
      personal: { firstName, lastName, phone, email, deviceId },
    },
  };
}

/**
 * Turns attribute[code] texts into the typed values the platform schema checks (numbers, booleans, lists).
 * Values that do not convert are passed on as text, so the platform's validator names the field. The case
 * standard choice is taken out.
 */
export function convertAttributes(specs: readonly AttributeSpec[], raw: Record<string, string | string[]>): { attributes: Record<string, unknown>; standardCode: string | undefined } {
  const bySpec = new Map(specs.map((s) => [s.code, s]));
  const attributes: Record<string, unknown> = {};
  let standardCode: string | undefined;
  for (const [code, value] of Object.entries(raw)) {
    if (code === CASE_STANDARD_ATTRIBUTE) {
      standardCode = Array.isArray(value) ? value.join(',') : value;
      continue;
    }
    const spec = bySpec.get(code);
    const one = Array.isArray(value) ? undefined : value.trim();
    switch (spec?.type) {
      case 'number':
        attributes[code] = one !== undefined && NUMBER.test(one) ? Number(one) : value;
        break;
      case 'boolean':
        attributes[code] = one === 'true' ? true : one === 'false' ? false : value;
        break;
      case 'string_list':
        attributes[code] = Array.isArray(value) ? value : value.split(/\r?\n/).map((x) => x.trim()).filter((x) => x !== '');
        break;
      case 'string':
        // A `datetime` attribute (open311.mapper): a date-time is taken as its calendar date in Beijing time.
        attributes[code] = spec.format === 'date' && one !== undefined ? beijingDate(one) ?? one : one ?? value;
        break;
      case 'enum':
      case 'parties':
      case undefined:
        attributes[code] = one ?? value;
        break;
    }
  }
  return { attributes, standardCode };
}

/** The Asia/Shanghai calendar date (YYYY-MM-DD) of an ISO 8601 date or date-time; undefined when it is neither. */
function beijingDate(s: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return s;
  const d = parseIsoDate(s);
  return d ? iso8601(d).slice(0, 10) : undefined;
}

/** 姓名: Chinese names are written family name first without a space; others "first last". */
export function reporterName(first: string | undefined, last: string | undefined): string | undefined {
  if (!first && !last) return undefined;
  const cjk = /[\u3400-\u9fff]/.test(`${first ?? ''}${last ?? ''}`);
  return cjk ? `${last ?? ''}${first ?? ''}` : [first, last].filter(Boolean).join(' ');
}

/** A rating (our extension `POST requests/{id}/rating`): the resident's 回访 answer, read and checked. */
export interface Open311Rating {
  satisfaction: Satisfaction;
  /** Whether the problem is solved (解决); when the client does not ask, dissatisfied counts as not solved. */
  resolved: boolean;
  comment: string | undefined;
}

/** Open311 values (and the zh-CN words a resident's app may send) → the workflow's satisfaction (回访满意度). */
export const RATING_VALUES: Readonly<Record<string, Satisfaction>> = {
  satisfied: 'satisfied', 满意: 'satisfied',
  basically_satisfied: 'basically_satisfied', 基本满意: 'basically_satisfied',
  dissatisfied: 'dissatisfied', 不满意: 'dissatisfied',
};
const RATING_FIELDS = new Set(['api_key', 'jurisdiction_id', 'satisfaction', 'resolved', 'comment']);

/** Reads a rating form (body, or `api_key` / `jurisdiction_id` in the query string; the body wins). */
export function parseRatingForm(body: unknown, query: unknown): { ok: true; value: Open311Rating } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const source = formSource(body, query, errors);
  for (const key of Object.keys(source)) if (!RATING_FIELDS.has(key)) errors.push({ field: key, message: 'unknown field / 未知字段' });

  single(source, 'api_key', errors);
  const jurisdictionId = text(source, 'jurisdiction_id', 40, errors);
  if (jurisdictionId !== undefined && !CODE.test(jurisdictionId)) errors.push({ field: 'jurisdiction_id', message: 'must be a grid node code / 必须是网格编码' });
  const raw = text(source, 'satisfaction', 40, errors);
  const satisfaction = raw === undefined ? undefined : RATING_VALUES[raw];
  if (satisfaction === undefined && !errors.some((e) => e.field === 'satisfaction')) {
    errors.push({ field: 'satisfaction', message: 'required: satisfied, basically_satisfied or dissatisfied / 必填：满意、基本满意或不满意' });
  }
  const resolvedText = text(source, 'resolved', 5, errors);
  if (resolvedText !== undefined && resolvedText !== 'true' && resolvedText !== 'false') errors.push({ field: 'resolved', message: 'must be true or false / 只能是 true 或 false' });
  const comment = text(source, 'comment', 500, errors, true);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: { satisfaction: satisfaction!, resolved: resolvedText === undefined ? satisfaction !== 'dissatisfied' : resolvedText === 'true', comment },
  };
}
