import { createConnection } from 'node:net';
import { createTestApp, type TestApp } from '../support/test-app';

const CHINESE = /[\u3400-\u9fff]/;
const ENGLISH = /^[\x20-\x7e]+$/;

interface RawResponse { status: number; headers: Record<string, string>; body: string; closed: boolean }

/**
 * What Node's HTTP parser refuses before a request exists (docs/errors.md): headers over the size limit, a malformed
 * header line, `Content-Length: abc`. No route or filter runs for these, so the app answers them from Fastify's
 * `clientErrorHandler` (src/common/client-error.ts), still as problem+json with a stable code. Sent on raw sockets:
 * an HTTP client would refuse to send most of them.
 */
describe('client errors 非法 HTTP 请求', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({ seed: false });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as { port: number }).port;
  });
  afterAll(async () => { await t.close(); });

  /** Writes `request` on a fresh connection and reads until the server closes it (at most 10 s). */
  function raw(request: string): Promise<RawResponse> {
    return new Promise((done, fail) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => { socket.destroy(); fail(new Error(`no close within 10 s; got ${Buffer.concat(chunks).toString()}`)); }, 10_000);
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.on('error', () => undefined); // a reset after the answer: what was read counts
      socket.on('close', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const [head = '', body = ''] = text.split(/\r\n\r\n(.*)/s);
        const [statusLine = '', ...lines] = head.split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines) { const i = l.indexOf(':'); headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim(); }
        done({ status: Number(statusLine.split(' ')[1]), headers, body, closed: true });
      });
      socket.write(request);
    });
  }

  const cases: Array<[string, number, string, () => string]> = [
    // The audit's request: 5000 × 井 in the query, percent-encoded (45 kB), over Node's 16 KiB header limit.
    ['a query string over the header size limit', 431, 'HEADERS_TOO_LARGE', () => `GET /api/v1/tickets?q=${encodeURIComponent('井'.repeat(5000))} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a header over the size limit', 431, 'HEADERS_TOO_LARGE', () => `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
    ['a header line without a colon', 400, 'MALFORMED_REQUEST', () => 'GET /api/v1/tickets HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n'],
    ['a header name with a space', 400, 'MALFORMED_REQUEST', () => 'GET /api/v1/tickets HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n'],
    ['Content-Length: abc', 400, 'MALFORMED_REQUEST', () => 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}'],
    ['not HTTP at all', 400, 'MALFORMED_REQUEST', () => 'HELLO\r\n\r\n'],
  ];

  it.each(cases)('%s: %i %s as problem+json in English and Chinese, connection closed', async (_name, status, code, request) => {
    const res = await raw(request());
    expect({ status: res.status, type: res.headers['content-type'], connection: res.headers.connection })
      .toEqual({ status, type: 'application/problem+json; charset=utf-8', connection: 'close' });
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const doc = JSON.parse(res.body) as Record<string, unknown>;
    expect(doc).toMatchObject({
      status, code, type: `https://github.com/fuxin-grid/fuxin-grid-cases/blob/main/docs/errors.md#${code.toLowerCase().replace(/_/g, '-')}`,
      requestId: res.headers['x-request-id'],
    });
    expect(doc.title).toMatch(ENGLISH);
    expect(doc.titleZh).toMatch(CHINESE);
    if (doc.detail !== undefined) {
      expect(doc.detail).toMatch(ENGLISH);
      expect(doc.detailZh).toMatch(CHINESE);
    }
    expect(res.closed).toBe(true);
  });

  it('names the broken header and the bad Content-Length in detail', async () => {
    const header = JSON.parse((await raw('GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n')).body);
    expect([header.detail, header.detailZh]).toEqual(['A header line is malformed', '某个请求头格式错误']);
    const length = JSON.parse((await raw('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n')).body);
    expect([length.detail, length.detailZh]).toEqual(['Content-Length is not a valid number', 'Content-Length 请求头不是有效的数字']);
  });

  it('still serves well-formed requests afterwards', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health/live`);
    expect(res.status).toBe(200);
  });
});
