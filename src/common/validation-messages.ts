import { getMetadataStorage, ValidationTypes, type MetadataStorage, type ValidationError } from 'class-validator';
import type { Bilingual, FieldProblem } from './problem';

/**
 * Field-level validation messages in English and Chinese, keyed by class-validator constraint name (the keys of
 * `ValidationError.constraints`: `isUuid`, `isLength`, `whitelistValidation`, …). The ValidationPipe's
 * exceptionFactory (src/bootstrap.ts) turns class-validator's errors into `errors` entries with
 * `validationProblems()`. Every constraint a DTO uses must have an entry here: validation-messages.spec.ts walks
 * class-validator's metadata for all DTO classes and fails on a missing one.
 */

type Lang = 'en' | 'zh';
type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

/** What a message is about: the field, the decorator's arguments (`@Length(1, 100)` → `[1, 100]`), `each`. */
export interface ConstraintContext {
  /** Dotted path of the field (`standards.0.code`); empty for the whole value. */
  field: string;
  /** The decorator's arguments; undefined when its metadata could not be found. */
  args?: readonly unknown[];
  /** The decorator has `{ each: true }`: the message is about each item of an array. */
  each?: boolean;
  /** The rejected value, when known (only its length is used, never echoed). */
  value?: unknown;
}

/** Renders a message; undefined when it needs an argument the context lacks. */
export type ConstraintMessage = (c: ConstraintContext) => Bilingual | undefined;

function formatArg(value: unknown, lang: Lang): string {
  if (Array.isArray(value)) return value.map((v) => formatArg(v, lang)).join(lang === 'zh' ? '、' : ', ');
  if (value instanceof RegExp) return String(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? String(value);
}

function subject(c: ConstraintContext, lang: Lang): string {
  const field = c.field || (lang === 'zh' ? '该值' : 'the value');
  if (!c.each) return field;
  return lang === 'zh' ? `${field} 的每一项` : `each item of ${field}`;
}

/**
 * Fills `{subject}` (the field, or "each item of" it), `{field}` and `{0}`, `{1}`, … (the decorator's arguments;
 * arrays are listed, e.g. `a、b、c` in Chinese). `{0:character}` adds the English noun, plural unless the
 * argument is 1. Undefined when an argument is missing.
 */
export function interpolate(template: string, c: ConstraintContext, lang: Lang): string | undefined {
  let missing = false;
  const text = template.replace(/\{(\w+)(?::([a-z ]+))?\}/g, (whole, key: string, noun: string | undefined) => {
    if (key === 'subject') return subject(c, lang);
    if (key === 'field') return c.field;
    if (!/^\d+$/.test(key)) return whole;
    const arg = c.args?.[Number(key)];
    if (arg === undefined || arg === null) {
      missing = true;
      return whole;
    }
    const formatted = formatArg(arg, lang);
    return noun ? `${formatted} ${noun}${arg === 1 ? '' : 's'}` : formatted;
  });
  if (missing) return undefined;
  // "name 最多…" keeps the space after a Latin field name, "coUnitIds 的每一项须为…" drops it between Chinese words.
  return lang === 'zh' ? text.replace(/([\u3400-\u9fff]) (?=[\u3400-\u9fff])/g, '$1') : text;
}

/**
 * A message from templates; `without` is said when the decorator's arguments are unknown (e.g. Nest's
 * ValidationPipe has already detached an array body from its class when the error reaches the factory).
 */
function t(en: string, zh: string, without?: [en: string, zh: string]): ConstraintMessage {
  return (c) => {
    const e = interpolate(en, c, 'en');
    const z = interpolate(zh, c, 'zh');
    if (e !== undefined && z !== undefined) return { en: e, zh: z };
    return without ? t(without[0], without[1])({ ...c, args: [] }) : undefined;
  };
}

const NOT_ALLOWED: [string, string] = ['{subject} is not one of the allowed values', '{subject} 不是允许的取值'];
const atLeastChars = t('{subject} must be at least {0:character} long', '{subject} 至少 {0} 个字符', ['{subject} is too short', '{subject} 过短']);
const atMostChars = t('{subject} must be at most {0:character} long', '{subject} 最多 {0} 个字符', ['{subject} is too long', '{subject} 过长']);
const isoDate = t('{subject} must be an ISO 8601 date-time', '{subject} 须为 ISO 8601 格式的日期时间');

/** `@Length(min, max)`: says which bound the value broke when its length is known. */
const lengthMessage: ConstraintMessage = (c) => {
  const [min, max] = (c.args ?? []) as Array<number | null | undefined>;
  if (min == null && max == null) return t('{subject} has the wrong length', '{subject} 长度不符合要求')(c);
  // Code points, near enough to validator's isLength (which also counts a surrogate pair once); when the two
  // disagree about which bound was broken, neither check below holds and the message gives both bounds.
  const length = !c.each && typeof c.value === 'string' ? [...c.value].length : undefined;
  const atLeast = () => atLeastChars({ ...c, args: [min] });
  const atMost = () => atMostChars({ ...c, args: [max] });
  if (length !== undefined && min != null && length < min) return atLeast();
  if (length !== undefined && max != null && length > max) return atMost();
  if (max == null) return atLeast();
  if (min == null || min <= 0) return atMost();
  return t('{subject} must be {0} to {1} characters long', '{subject} 长度须为 {0}–{1} 个字符')(c);
};

/** `@Matches(re)`: the "no control characters" patterns get a readable message, others show the pattern. */
const matchesMessage: ConstraintMessage = (c) => {
  const pattern = c.args?.[0];
  if (pattern instanceof RegExp && pattern.source.includes('\\p{Cc}')) {
    return t('{subject} must not contain control characters', '{subject} 不能包含控制字符')(c);
  }
  return t('{subject} has an invalid format (it must match {0})', '{subject} 格式不正确（须匹配 {0}）', ['{subject} has an invalid format', '{subject} 格式不正确'])(c);
};

/** `@IsNumber(options)`: mentions `maxDecimalPlaces` when set. */
const numberMessage: ConstraintMessage = (c) => {
  const places = (c.args?.[0] as { maxDecimalPlaces?: number } | undefined)?.maxDecimalPlaces;
  return typeof places === 'number'
    ? t('{subject} must be a number with at most {0:decimal place}', '{subject} 须为数字，最多 {0} 位小数')({ ...c, args: [places] })
    : t('{subject} must be a number', '{subject} 须为数字')(c);
};

/** `@HasLettersOrDigits(min)` (validators.ts): says what does not count. */
const lettersOrDigitsMessage: ConstraintMessage = (c) => {
  const min = c.args?.[0];
  if (typeof min === 'number' && min > 1) {
    return t('{subject} must contain at least {0} letters or digits (spaces, invisible characters and punctuation do not count)',
      '{subject} 须包含至少 {0} 个文字或数字（空格、不可见字符和标点不计）')(c);
  }
  return t('{subject} must contain a letter or digit (spaces, invisible characters and punctuation alone are not text)',
    '{subject} 须包含文字或数字（不能只有空格、不可见字符或标点）')(c);
};

/** Messages by class-validator constraint name. */
export const CONSTRAINT_MESSAGES: Readonly<Record<string, ConstraintMessage>> = {
  // presence
  isDefined: t('{subject} is required', '{subject} 为必填项'),
  isNotEmpty: t('{subject} must not be empty', '{subject} 不能为空'),
  // types
  isString: t('{subject} must be a string', '{subject} 须为字符串'),
  isInt: t('{subject} must be an integer', '{subject} 须为整数'),
  isNumber: numberMessage,
  isBoolean: t('{subject} must be true or false', '{subject} 须为布尔值（true 或 false）'),
  isObject: t('{subject} must be an object', '{subject} 须为对象'),
  isArray: t('{subject} must be an array', '{subject} 须为数组'),
  isDate: t('{subject} must be a valid date', '{subject} 须为有效的日期'),
  isEnum: t('{subject} must be one of: {1}', '{subject} 须为以下值之一：{1}', NOT_ALLOWED),
  // numbers
  min: t('{subject} must not be less than {0}', '{subject} 不能小于 {0}', ['{subject} is too small', '{subject} 的值过小']),
  max: t('{subject} must not be greater than {0}', '{subject} 不能大于 {0}', ['{subject} is too large', '{subject} 的值过大']),
  isLatitude: t('{subject} must be a latitude between -90 and 90', '{subject} 须为 -90 到 90 之间的纬度'),
  isLongitude: t('{subject} must be a longitude between -180 and 180', '{subject} 须为 -180 到 180 之间的经度'),
  // strings
  minLength: atLeastChars,
  maxLength: atMostChars,
  isLength: lengthMessage,
  matches: matchesMessage,
  isIn: t('{subject} must be one of: {0}', '{subject} 须为以下值之一：{0}', NOT_ALLOWED),
  isUuid: t('{subject} must be a UUID', '{subject} 须为 UUID'),
  isEmail: t('{subject} must be an e-mail address', '{subject} 须为有效的电子邮箱地址'),
  isDateString: isoDate,
  isIso8601: isoDate,
  hasLettersOrDigits: lettersOrDigitsMessage,
  isMediaUrl: t('{subject} must be an http or https URL without user name, password or personal data (phone, ID number, e-mail)', '{subject} 须为不含用户名、密码和个人信息（电话、身份证号、邮箱）的 http(s) 网址'),
  // locations (validators.ts): reported under the missing half
  latLngTogether: t('{field} is missing: lat and lng go together', '缺少 {field}：经纬度须同时提供'),
  // arrays
  arrayMinSize: t('{subject} must contain at least {0:item}', '{subject} 至少包含 {0} 项', ['{subject} has too few items', '{subject} 的项数过少']),
  arrayMaxSize: t('{subject} must contain at most {0:item}', '{subject} 最多包含 {0} 项', ['{subject} has too many items', '{subject} 的项数过多']),
  arrayUnique: t('{subject} must not contain duplicates', '{subject} 不能包含重复项'),
  // structure
  [ValidationTypes.WHITELIST]: t('property {field} is not allowed', '属性 {field} 不允许'),
  [ValidationTypes.NESTED_VALIDATION]: t('{subject} must be an object or an array', '{subject} 须为对象或数组'),
  unknownValue: t('the value does not have the expected shape', '请求数据的结构不符合要求'),
};

/** The constraint name a metadata entry reports errors under (what ValidationError.constraints is keyed by). */
export function constraintName(meta: ValidationMetadata, storage: MetadataStorage = getMetadataStorage()): string {
  if (meta.type !== ValidationTypes.CUSTOM_VALIDATION) return meta.type;
  return storage.getTargetValidatorConstraints(meta.constraintCls)[0]?.name || meta.name || meta.type;
}

/** Metadata types that never report an error of their own (`@IsOptional`, `@ValidateIf`). */
export function reportsErrors(meta: ValidationMetadata): boolean {
  return meta.type !== ValidationTypes.CONDITIONAL_VALIDATION;
}

/** The decorator behind `constraint` on `property` of the object the error was found in (needs `target`). */
function findMetadata(target: unknown, property: string, constraint: string): ValidationMetadata | undefined {
  if (target === null || typeof target !== 'object') return undefined;
  const ctor = (target as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function' || ctor === Object || ctor === Array) return undefined;
  const storage = getMetadataStorage();
  const found = storage.getTargetValidationMetadatas(ctor, '', true, false)
    .filter((m) => m.propertyName === property && constraintName(m, storage) === constraint);
  return found[found.length - 1]; // two decorators of one kind on a property: class-validator keeps the last message too
}

/** The bilingual text for one failed constraint; falls back to class-validator's English and a generic Chinese text. */
export function constraintText(constraint: string, c: ConstraintContext, original?: string): Bilingual {
  const text = CONSTRAINT_MESSAGES[constraint]?.(c);
  if (text) return text;
  return {
    en: original || `${subject(c, 'en')} is invalid`,
    zh: `${subject(c, 'zh')} 的值不符合要求`,
  };
}

/**
 * class-validator errors → `errors` entries `{ field, constraint, en, zh, message }`, one per failed constraint,
 * nested fields as dotted paths. The decorator arguments come from class-validator's metadata, found through
 * each error's `target` (the pipe must run with `validationError: { target: true }`).
 */
export function validationProblems(errors: readonly ValidationError[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  const walk = (list: readonly ValidationError[], prefix: string) => {
    for (const e of list) {
      const property = e.property === undefined || e.property === null ? '' : String(e.property);
      const field = prefix && property ? `${prefix}.${property}` : prefix || property;
      for (const [constraint, original] of Object.entries(e.constraints ?? {})) {
        const meta = findMetadata(e.target, property, constraint);
        const target = e.target as Record<string, unknown> | undefined;
        const text = constraintText(constraint, {
          field,
          args: meta?.constraints ?? (meta ? [] : undefined),
          // A nested value that is not an object is reported at its own path (`items.0`), never "each item of" it.
          each: constraint !== ValidationTypes.NESTED_VALIDATION && (meta?.each ?? original.startsWith('each value in ')),
          value: target && typeof target === 'object' && property ? target[property] : undefined,
        }, original);
        out.push({ field, constraint, en: text.en, zh: text.zh, message: text.en });
      }
      if (e.children?.length) walk(e.children, field);
    }
  };
  walk(errors, '');
  return out;
}
