import { HttpErrorCode, HttpProblem } from './http.exception';

/** Limits for request bodies beyond the byte limit: nesting depth and number of values. */
export const JSON_MAX_DEPTH = 32;
export const JSON_MAX_NODES = 20_000;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// Fatal: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD. A BOM is kept (JSON.parse refuses it, as before).
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A text body's bytes as a string; 400 `INVALID_UNICODE` when they are not well-formed UTF-8 (`\xff\xfe`, truncated sequences, …). */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new HttpProblem(HttpErrorCode.INVALID_UNICODE, {
      en: 'The body is not valid UTF-8 (it contains a byte sequence that is not UTF-8)',
      zh: '请求体不是有效的 UTF-8 编码（含有无效的字节序列）',
    });
  }
}

/**
 * Parses a JSON request body defensively: depth is checked on the raw text before parsing (so a deeply
 * nested body never reaches a recursive walk), then every key and string is checked for prototype
 * pollution keys, NUL characters (Postgres text cannot hold them) and lone surrogates.
 */
export function parseSafeJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > JSON_MAX_DEPTH) {
        throw new HttpProblem(HttpErrorCode.JSON_TOO_DEEP, {
          en: `Nesting deeper than ${JSON_MAX_DEPTH} levels is refused`,
          zh: `JSON 嵌套不能超过 ${JSON_MAX_DEPTH} 层`,
        });
      }
    } else if (c === 125 || c === 93) depth--;
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new HttpProblem(HttpErrorCode.INVALID_JSON, { en: (err as Error).message, zh: 'JSON 语法错误' });
  }
  assertSafeValue(value);
  return value;
}

/** Checks an already parsed value (query strings, form bodies) with the same rules. */
export function assertSafeValue(value: unknown): void {
  let nodes = 0;
  const stack: Array<{ v: unknown; path: string }> = [{ v: value, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (++nodes > JSON_MAX_NODES) {
      throw new HttpProblem(HttpErrorCode.VALIDATION_FAILED, {
        en: `The body has more than ${JSON_MAX_NODES} values`,
        zh: `请求体的值超过 ${JSON_MAX_NODES} 个`,
      });
    }
    if (typeof v === 'string') checkString(v, path);
    else if (Array.isArray(v)) v.forEach((item, i) => stack.push({ v: item, path: `${path}[${i}]` }));
    else if (v !== null && typeof v === 'object') {
      for (const key of Object.keys(v)) {
        if (key === '__proto__' || key === 'prototype' || (key === 'constructor' && typeof (v as Record<string, unknown>)[key] === 'object')) {
          throw new HttpProblem(HttpErrorCode.FORBIDDEN_KEY, { en: `Key "${key}" is not allowed`, zh: `不允许使用键名 "${key}"` });
        }
        checkString(key, path);
        stack.push({ v: (v as Record<string, unknown>)[key], path: path ? `${path}.${key}` : key });
      }
    }
  }
}

function checkString(s: string, path: string): void {
  if (s.includes('\u0000')) {
    throw new HttpProblem(HttpErrorCode.NUL_BYTE, { en: `NUL character in ${path || 'body'}`, zh: `${path || '请求体'} 中含有 NUL 字符` });
  }
  if (LONE_SURROGATE.test(s)) {
    throw new HttpProblem(HttpErrorCode.INVALID_UNICODE, { en: `Lone surrogate in ${path || 'body'}`, zh: `${path || '请求体'} 中含有无效的代理字符` });
  }
}
