import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** A file in a storage folder: a stored attachment, or the partial file of a write that never finished. */
export interface StoredFile {
  key: string;
  partial: boolean;
  modifiedAt: Date;
}

/**
 * Where attachment bytes live: outside the database, addressed by a storage key `YYYY/MM/<uuid>` (the month of
 * the upload, UTC). `list` and `remove` serve the orphan sweep (attachment-orphan-sweep.job.ts).
 */
export interface AttachmentStorage {
  put(key: string, bytes: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** The files of one month's folder (`YYYY/MM`); none when the folder does not exist. */
  list(folder: string): Promise<StoredFile[]>;
  /** Removes a file; a file already gone is not an error. */
  remove(file: Pick<StoredFile, 'key' | 'partial'>): Promise<void>;
}

const KEY = /^[0-9]{4}\/[0-9]{2}\/[0-9a-f-]{36}$/;
const FOLDER = /^[0-9]{4}\/[0-9]{2}$/;
const NAME = /^([0-9a-f-]{36})(\.tmp)?$/;

export const ATTACHMENT_STORAGE = Symbol('ATTACHMENT_STORAGE');

/** Local-disk driver: writes to a temporary file and renames it, so a crash never leaves half a photo. */
export class LocalDiskStorage implements AttachmentStorage {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid storage key ${key}`);
    return join(this.root, key);
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp`;
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, path);
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  async list(folder: string): Promise<StoredFile[]> {
    if (!FOLDER.test(folder)) throw new Error(`invalid storage folder ${folder}`);
    let names: string[];
    try {
      names = await readdir(join(this.root, folder));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const files: StoredFile[] = [];
    for (const name of names) {
      const m = NAME.exec(name);
      if (!m) continue; // not ours: left alone
      const info = await stat(join(this.root, folder, name)).catch(() => undefined);
      if (info?.isFile()) files.push({ key: `${folder}/${m[1]}`, partial: m[2] !== undefined, modifiedAt: info.mtime });
    }
    return files;
  }

  async remove(file: Pick<StoredFile, 'key' | 'partial'>): Promise<void> {
    await rm(`${this.pathOf(file.key)}${file.partial ? '.tmp' : ''}`, { force: true });
  }
}

/** Recognises the accepted formats by their first bytes, not by the declared content type. */
export function sniffContentType(bytes: Buffer): string | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  if (bytes.length >= 5 && bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  return undefined;
}
