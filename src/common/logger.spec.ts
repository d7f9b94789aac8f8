import Fastify from 'fastify';
import { createLogger, maskSecrets } from './logger';

/** A logger writing into an array, one parsed JSON object per line. */
function capture(level = 'info') {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (s: string) => { lines.push(s); } });
  return { logger, lines, text: () => lines.join('') };
}

const URL_WITH_KEY = '/open311/v2/services.json?jurisdiction_id=210900&api_key=secret';

function expectMasked(text: string): void {
  expect(text).not.toContain('api_key=secret');
  expect(text).not.toMatch(/secret/);
  expect(text).toContain('api_key=[redacted]');
}

describe('maskSecrets', () => {
  it('masks every credential query parameter, leaving the others', () => {
    expect(maskSecrets('/x?api_key=abc&service_code=0101&token=t1#frag')).toBe('/x?api_key=[redacted]&service_code=0101&token=[redacted]#frag');
    expect(maskSecrets('/x?APIKEY=abc&access_token=a.b.c&refresh_token=r&password=p%40ss'))
      .toBe('/x?APIKEY=[redacted]&access_token=[redacted]&refresh_token=[redacted]&password=[redacted]');
    expect(maskSecrets('api_key=first-in-a-form-body&x=1')).toBe('api_key=[redacted]&x=1');
    // Inside an encoded URL (e.g. a redirect parameter), and inside a quoted string.
    expect(maskSecrets('/r?next=%2Fx%3Fapi_key%3Dabc%26y%3D1')).toBe('/r?next=%2Fx%3Fapi_key%3D[redacted]%26y%3D1');
    expect(maskSecrets('GET "/x?token=abc" failed')).toBe('GET "/x?token=[redacted]" failed');
  });

  it('masks query parameters that may carry personal data: a search, Open311 contact fields', () => {
    expect(maskSecrets('/api/v1/tickets?q=%E6%AC%A7%E9%98%B3&status=reported')).toBe('/api/v1/tickets?q=[redacted]&status=reported');
    expect(maskSecrets('/open311/v2/requests.json?email=a%40b.cn&phone=13912345678&first_name=x&last_name=y&device_id=d&service_code=0101'))
      .toBe('/open311/v2/requests.json?email=[redacted]&phone=[redacted]&first_name=[redacted]&last_name=[redacted]&device_id=[redacted]&service_code=0101');
    expect(maskSecrets('/x?seq=3&faq=1')).toBe('/x?seq=3&faq=1');
  });

  it('leaves names that merely end in a secret name, and text without parameters', () => {
    expect(maskSecrets('/x?csrf_token=abc&tokens=2&page_token=z')).toBe('/x?csrf_token=abc&tokens=2&page_token=z');
    expect(maskSecrets('api_key missing / 缺少 api_key')).toBe('api_key missing / 缺少 api_key');
  });
});

describe('createLogger', () => {
  it('masks the URL of a request object and keeps the other request fields', () => {
    const { logger, lines, text } = capture();
    const req = { method: 'GET', url: URL_WITH_KEY, host: 'grid.example.cn', ip: '10.0.0.7', headers: { 'accept-version': '1' }, socket: { remotePort: 51234 } };
    logger.info({ req }, 'incoming request');
    expectMasked(text());
    expect(JSON.parse(lines[0]!).req).toEqual({
      method: 'GET', url: '/open311/v2/services.json?jurisdiction_id=210900&api_key=[redacted]', version: '1',
      host: 'grid.example.cn', remoteAddress: '10.0.0.7', remotePort: 51234,
    });
    expect(req.url).toBe(URL_WITH_KEY); // the caller's object is not changed
  });

  it('masks an error whose message holds the URL: message, stack and the derived log message', () => {
    const { logger, lines, text } = capture();
    const err = new Error(`Route GET:${URL_WITH_KEY} failed`);
    logger.error({ err }, err.message);
    logger.error({ err });
    logger.error(err);
    expectMasked(text());
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const entry = JSON.parse(line);
      expect(entry.msg).toBe('Route GET:/open311/v2/services.json?jurisdiction_id=210900&api_key=[redacted] failed');
      expect(entry.err.message).toBe(entry.msg);
      expect(entry.err.stack).toContain('api_key=[redacted]');
      expect(entry.err.type).toBe('Error');
    }
    expect(err.message).toContain('api_key=secret');
  });

  it('masks plain messages, format arguments and string fields of the merge object', () => {
    const { logger, text } = capture();
    logger.info(`Route GET:${URL_WITH_KEY} not found`);
    logger.warn('calling %s', URL_WITH_KEY);
    logger.error({ context: 'ExceptionsHandler', trace: `Error: at ${URL_WITH_KEY}` }, 'unhandled');
    expectMasked(text());
    expect(text().match(/api_key=\[redacted\]/g)).toHaveLength(3);
  });

  it('through Fastify (loggerInstance): incoming request, not found and error lines carry no key', async () => {
    const { logger, lines, text } = capture();
    const app = Fastify({ loggerInstance: logger });
    app.get('/boom', async (req) => { throw new Error(`failed for ${req.url}`); });
    try {
      expect((await app.inject({ method: 'GET', url: URL_WITH_KEY })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/boom?token=secret&api_key=secret' })).statusCode).toBe(500);
    } finally {
      await app.close();
    }
    const entries = lines.map((l) => JSON.parse(l) as { msg: string; req?: { url: string }; err?: { message: string } });
    expect(entries.find((e) => e.msg === 'incoming request')?.req?.url).toBe('/open311/v2/services.json?jurisdiction_id=210900&api_key=[redacted]');
    expect(entries.some((e) => e.msg.includes('not found') && e.msg.includes('api_key=[redacted]'))).toBe(true);
    expect(entries.find((e) => e.err)?.err?.message).toBe('failed for /boom?token=[redacted]&api_key=[redacted]');
    expect(text()).not.toMatch(/secret/);
  });
});

describe('createLogger: personal data', () => {
  const PERSONAL = ['欧阳明轩', '13912345678', '慕容雪晴', '210902198807156617', 'shangguan.ruoxi@example.cn', '若曦', '上官', 'pii-device-1'];

  it('censors reporters, parties, phones, ID numbers, e-mails and Open311 name fields at the depths request bodies have', () => {
    const { logger, lines, text } = capture();
    const reporter = { name: '欧阳明轩', phone: '13912345678' };
    const parties = [{ role: 'applicant', name: '慕容雪晴', phone: '13798761234', idNumber: '210902198807156617' }];
    logger.info({ reporter, ticketId: 't-1' }, 'filed');
    logger.info({ body: { title: '井盖缺失', reporter, attributes: { disputeType: 'neighbour', parties } } }, 'request body');
    logger.warn({ phone: '13912345678', idNumber: '210902198807156617', email: 'shangguan.ruoxi@example.cn' }, 'flat');
    logger.info({ form: { first_name: '若曦', last_name: '上官', email: 'shangguan.ruoxi@example.cn', device_id: 'pii-device-1', service_code: '0101' } }, 'open311 form');
    logger.error({ err: Object.assign(new Error('refused'), { parties, email: 'shangguan.ruoxi@example.cn' }) }, 'refused');
    logger.child({ component: 'intake' }).info({ reporter }, 'child');
    for (const value of PERSONAL) expect(text()).not.toContain(value);
    const [filed, body, flat, form, error] = lines.map((l) => JSON.parse(l));
    // Everything else stays readable.
    expect(filed).toMatchObject({ reporter: '[redacted]', ticketId: 't-1', msg: 'filed' });
    expect(body.body).toEqual({ title: '井盖缺失', reporter: '[redacted]', attributes: { disputeType: 'neighbour', parties: '[redacted]' } });
    expect(flat).toMatchObject({ phone: '[redacted]', idNumber: '[redacted]', email: '[redacted]' });
    expect(form.form).toEqual({ first_name: '[redacted]', last_name: '[redacted]', email: '[redacted]', device_id: '[redacted]', service_code: '0101' });
    expect(error.err).toMatchObject({ message: 'refused', parties: '[redacted]', email: '[redacted]' });
    expect(lines).toHaveLength(6);
    expect(reporter.phone).toBe('13912345678'); // the caller's objects are not changed
  });

  it('still logs objects holding a Buffer or typed array (an attachment body) without throwing', () => {
    const { logger, lines } = capture();
    const jpeg = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
    expect(() => logger.info({ body: jpeg }, 'upload')).not.toThrow();
    expect(() => logger.info({ upload: { body: jpeg, phone: '13912345678' } }, 'nested')).not.toThrow();
    expect(() => logger.info({ body: new Uint8Array([1, 2, 3]) }, 'bytes')).not.toThrow();
    expect(lines).toHaveLength(3);
    expect(lines.join('')).not.toContain('13912345678');
  });

  it('keeps masking credentials in URLs alongside', () => {
    const { logger, text } = capture();
    logger.info({ req: { method: 'POST', url: URL_WITH_KEY }, phone: '13912345678' }, 'incoming request');
    expectMasked(text());
    expect(text()).not.toContain('13912345678');
  });
});
