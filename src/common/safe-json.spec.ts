import { HttpProblem } from './http.exception';
import { JSON_MAX_DEPTH, parseSafeJson } from './safe-json';

const codeOf = (raw: string): string => {
  try {
    parseSafeJson(raw);
    return 'ok';
  } catch (err) {
    return (err as HttpProblem).code;
  }
};

describe('parseSafeJson', () => {
  it('parses ordinary JSON, Chinese and emoji included', () => {
    expect(parseSafeJson('{"name":"井盖缺失 🚧","n":[1,{"a":null}]}')).toEqual({ name: '井盖缺失 🚧', n: [1, { a: null }] });
  });
  it('counts depth on the raw text, ignoring brackets inside strings', () => {
    expect(codeOf('['.repeat(JSON_MAX_DEPTH) + ']'.repeat(JSON_MAX_DEPTH))).toBe('ok');
    expect(codeOf('['.repeat(JSON_MAX_DEPTH + 1) + ']'.repeat(JSON_MAX_DEPTH + 1))).toBe('JSON_TOO_DEEP');
    expect(codeOf(JSON.stringify({ s: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"' }))).toBe('ok');
  });
  it('refuses prototype keys, NUL and lone surrogates anywhere', () => {
    expect(codeOf('{"a":{"__proto__":{}}}')).toBe('FORBIDDEN_KEY');
    expect(codeOf('{"constructor":{"prototype":1}}')).toBe('FORBIDDEN_KEY');
    expect(codeOf('{"a":["x\\u0000"]}')).toBe('NUL_BYTE');
    expect(codeOf('{"k\\u0000":1}')).toBe('NUL_BYTE');
    expect(codeOf('{"a":"\\ud83d"}')).toBe('INVALID_UNICODE');
    expect(codeOf('{"a":"\\udc00x"}')).toBe('INVALID_UNICODE');
    expect(codeOf('{"a":"\\ud83d\\ude00"}')).toBe('ok');
    expect(codeOf('{"a":')).toBe('INVALID_JSON');
  });
});
