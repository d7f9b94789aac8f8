import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttachmentOrphanSweepJob, recentFolders } from '../../src/modules/tickets/attachment-orphan-sweep.job';
import { createApiTestApp, type ApiTestApp } from '../support/api-test-app';
import { JPEG, MANHOLE, fileTicket } from '../support/tickets';

/** The orphan sweep removes attachment files no row refers to, and nothing else. */
describe('attachment orphan sweep 孤立附件清理', () => {
  let t: ApiTestApp;
  let dir: string;
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fx-attachments-'));
    t = await createApiTestApp({ env: { STORAGE_DIR: dir } });
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('removes old files without a row and partial writes; keeps attachments, young files and files not its own', async () => {
    const grid = await t.login('demo.grid');
    const filed = await fileTicket(t, grid, { ...MANHOLE, title: '孤立附件清理测试' });
    const upload = await t.request('POST', `/api/v1/tickets/${filed.body.id}/attachments`, { token: grid, raw: JPEG, headers: { 'content-type': 'image/jpeg' } });
    expect(upload.status).toBe(201);
    const [{ storage_key: kept }] = await t.ds.query(`SELECT storage_key FROM attachments WHERE id = $1`, [upload.body.id]);

    const [lastMonth, thisMonth] = recentFolders(new Date());
    const file = async (rel: string, old: boolean) => {
      const path = join(dir, rel);
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, JPEG);
      if (old) await utimes(path, twoHoursAgo, twoHoursAgo);
      return path;
    };
    await utimes(join(dir, kept), twoHoursAgo, twoHoursAgo);
    const orphan = await file(`${thisMonth}/${randomUUID()}`, true);
    const partial = await file(`${thisMonth}/${randomUUID()}.tmp`, true);
    const previous = await file(`${lastMonth}/${randomUUID()}`, true);
    const young = await file(`${thisMonth}/${randomUUID()}`, false);
    const foreign = await file(`${thisMonth}/README.txt`, true);

    const job = t.app.get(AttachmentOrphanSweepJob);
    expect(await job.handle()).toEqual({ examined: 4, removed: 3 });
    expect([orphan, partial, previous, young, foreign, join(dir, kept)].map((p) => existsSync(p))).toEqual([false, false, false, true, true, true]);
    const download = await t.request('GET', `/api/v1/tickets/${filed.body.id}/attachments/${upload.body.id}`, { token: grid });
    expect(download.status).toBe(200);
    // Idempotent: a second run finds nothing more.
    expect(await job.handle()).toEqual({ examined: 1, removed: 0 });
  });

  it('looks at this month and the one before, across a year boundary', () => {
    expect(recentFolders(new Date('2027-01-15T00:00:00Z'))).toEqual(['2026/12', '2027/01']);
    expect(recentFolders(new Date('2026-03-31T23:59:59Z'))).toEqual(['2026/02', '2026/03']);
  });
});
