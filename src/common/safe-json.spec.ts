import { HttpProblem } from './http.exception';
import { JSON_MAX_DEPTH, decodeUtf8, parseSafeJson } from './safe-json';

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

describe('decodeUtf8', () => {
  const decodeCode = (bytes: number[] | Buffer): string => {
    try {
      decodeUtf8(Buffer.from(bytes));
      return 'ok';
    } catch (err) {
      return (err as HttpProblem).code;
    }
  };
  it('decodes UTF-8: Chinese, emoji, NUL (refused later by parseSafeJson) and a BOM kept as it is', () => {
    expect(decodeUtf8(Buffer.from('{"t":"井盖 🚧"}'))).toBe('{"t":"井盖 🚧"}');
    expect(decodeUtf8(Buffer.from([0x61, 0x00]))).toBe('a\u0000');
    expect(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe('\ufeff{}');
  });
  it('refuses byte sequences that are not UTF-8 instead of replacing them with U+FFFD', () => {
    expect(decodeCode([0x22, 0xff, 0xfe, 0x22])).toBe('INVALID_UNICODE'); // bytes never valid in UTF-8
    expect(decodeCode(Buffer.from('井').subarray(0, 2))).toBe('INVALID_UNICODE'); // truncated sequence
    expect(decodeCode([0xc0, 0xaf])).toBe('INVALID_UNICODE'); // overlong encoding of "/"
    expect(decodeCode([0xed, 0xa0, 0x80])).toBe('INVALID_UNICODE'); // an encoded surrogate (CESU-8)
    expect(decodeCode([0xf4, 0x90, 0x80, 0x80])).toBe('INVALID_UNICODE'); // above U+10FFFF
    expect(decodeCode([0x80])).toBe('INVALID_UNICODE'); // a lone continuation byte
    expect(decodeCode(Buffer.from('\ufffd'))).toBe('ok'); // U+FFFD itself, sent as UTF-8, is text
  });
  it('says so in English and Chinese', () => {
    try {
      decodeUtf8(Buffer.from([0xff]));
      throw new Error('not refused');
    } catch (err) {
      const p = err as HttpProblem;
      expect([p.status, p.code]).toEqual([400, 'INVALID_UNICODE']);
      expect(p.detail).toEqual({ en: expect.stringContaining('not valid UTF-8'), zh: expect.stringContaining('UTF-8 编码') });
    }
  });
});
