import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiTestApp, type ApiTestApp } from '../support/api-test-app';
import { JPEG, MANHOLE, fileTicket } from '../support/tickets';

/** Attachment size and type limits (issue 3: "photos uploaded as attachments (… size and type limits …)"). */
const MAX = 2048; // ATTACHMENT_MAX_BYTES for this suite (the configuration's minimum is 1024)

/** A JPEG of exactly `size` bytes: the signature, then filler. */
const jpegOf = (size: number) => Buffer.concat([JPEG.subarray(0, 3), Buffer.alloc(size - 3, 0x20)]);
const GIF = Buffer.from('47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b', 'hex');
const HEIC = Buffer.concat([Buffer.from('00000018', 'hex'), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1')]);

/** Every file under a folder, recursively (partial `.tmp` writes included). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('attachment limits 附件大小与类型', () => {
  let t: ApiTestApp;
  let dir: string;
  let grid: string;
  let ticketId: string;

  const upload = (bytes: Buffer | string, contentType?: string) => t.request('POST', `/api/v1/tickets/${ticketId}/attachments`, {
    token: grid, raw: bytes, headers: contentType === undefined ? {} : { 'content-type': contentType },
  });
  const state = async () => (await t.ds.query(
    `SELECT (SELECT count(*) FROM attachments WHERE ticket_id = $1)::int AS attachments,
            (SELECT count(*) FROM ticket_events WHERE ticket_id = $1)::int AS events,
            (SELECT version FROM tickets WHERE id = $1) AS version`, [ticketId]))[0];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fx-attachment-limits-'));
    t = await createApiTestApp({ env: { STORAGE_DIR: dir, ATTACHMENT_MAX_BYTES: String(MAX) } });
    grid = await t.login('demo.grid');
    const filed = await fileTicket(t, grid, { ...MANHOLE, title: '附件限制测试' });
    expect(filed.status).toBe(201);
    ticketId = filed.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a body over ATTACHMENT_MAX_BYTES with 413 problem+json: no row, no file written', async () => {
    const before = await state();
    for (const size of [MAX + 1, 64 * 1024]) {
      const res = await upload(jpegOf(size), 'image/jpeg');
      expect([size, res.status, res.body.code]).toEqual([size, 413, 'BODY_TOO_LARGE']);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 413 });
    }
    expect(await state()).toEqual(before);
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('takes a body of exactly ATTACHMENT_MAX_BYTES, stored on disk with its size', async () => {
    const res = await upload(jpegOf(MAX), 'image/jpeg');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ contentType: 'image/jpeg', sizeBytes: MAX });
    const [{ storage_key: key }] = await t.ds.query(`SELECT storage_key FROM attachments WHERE id = $1`, [res.body.id]);
    expect(await filesUnder(dir)).toEqual([join(dir, key)]);
  });

  it('refuses types that are not listed, and bytes that are not what they claim, with 415: no row, no file written', async () => {
    const before = await state();
    const files = await filesUnder(dir);
    const cases: Array<[string, Buffer | string, string | undefined, string]> = [
      // Not a type the endpoint takes: refused before the handler (no parser for it, or @Consumes refuses it).
      ['GIF declared as GIF', GIF, 'image/gif', 'UNSUPPORTED_MEDIA_TYPE'],
      ['HEIC declared as HEIC', HEIC, 'image/heic', 'UNSUPPORTED_MEDIA_TYPE'],
      ['a JPEG declared as octet-stream', JPEG, 'application/octet-stream', 'UNSUPPORTED_MEDIA_TYPE'],
      ['a JSON document sent to the upload', '{"photo":"ffd8ff"}', 'application/json', 'UNSUPPORTED_MEDIA_TYPE'],
      // A listed type whose bytes are something else: the signature check (sniffContentType) refuses it.
      ['GIF bytes declared as PNG', GIF, 'image/png', 'ATTACHMENT_TYPE'],
      ['GIF bytes declared as JPEG', GIF, 'image/jpeg', 'ATTACHMENT_TYPE'],
      ['HEIC bytes declared as JPEG', HEIC, 'image/jpeg', 'ATTACHMENT_TYPE'],
      ['HTML declared as PDF', '<!DOCTYPE html><html><body>x</body></html>', 'application/pdf', 'ATTACHMENT_TYPE'],
      ['a JPEG declared as WebP', JPEG, 'image/webp', 'ATTACHMENT_TYPE'],
      // Truncated files: a signature cut short is not the format.
      ['a JPEG cut to two bytes', JPEG.subarray(0, 2), 'image/jpeg', 'ATTACHMENT_TYPE'],
      ['a PNG cut to seven bytes', Buffer.from('89504e470d0a1a', 'hex'), 'image/png', 'ATTACHMENT_TYPE'],
      ['a PDF cut to four bytes', '%PDF', 'application/pdf', 'ATTACHMENT_TYPE'],
    ];
    const got: Array<[string, number, string]> = [];
    for (const [name, bytes, type] of cases) {
      const res = await upload(bytes, type);
      expect(res.headers['content-type']).toContain('application/problem+json');
      got.push([name, res.status, res.body.code]);
    }
    expect(got).toEqual(cases.map(([name, , , code]) => [name, 415, code]));
    expect(await state()).toEqual(before);
    expect(await filesUnder(dir)).toEqual(files);
  });

  it('refuses an empty file: no row, no file written', async () => {
    const before = await state();
    const files = await filesUnder(dir);
    for (const type of ['image/jpeg', 'image/png', 'application/pdf']) {
      const res = await upload(Buffer.alloc(0), type);
      expect([type, res.status]).toEqual([type, 415]);
      expect(res.body.code).toBe('ATTACHMENT_TYPE');
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const untyped = await upload(Buffer.alloc(0));
    expect([untyped.status, untyped.body.code]).toEqual([415, 'ATTACHMENT_TYPE']);
    expect(await state()).toEqual(before);
    expect(await filesUnder(dir)).toEqual(files);
  });
});
