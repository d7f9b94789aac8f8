import { Inject, Injectable, Logger } from '@nestjs/common';
import type { JobHandler } from '../../queue/worker.service';
import { ATTACHMENT_STORAGE, type AttachmentStorage, type StoredFile } from './storage/attachment-storage';
import { TicketsRepository } from './tickets.repository';

/**
 * A file must be this old before it counts as an orphan: an upload writes its bytes first and its row right after,
 * so a young file without a row may be an upload in flight.
 */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

/** The storage folders (`YYYY/MM`, UTC) an upload at `now` or in the month before could have written to. */
export function recentFolders(now: Date): string[] {
  const folder = (d: Date) => `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  return [folder(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))), folder(now)];
}

/**
 * Removes attachment files that no row refers to: the bytes of an upload whose row was never written (a crash
 * between the two, or the ticket closing meanwhile) and partial files of writes that never finished. Only this
 * month's and last month's folders are looked at (orphans arise at upload time, and keys carry the upload month),
 * only files older than an hour, and a file is removed only after the database says no row has its key.
 * Idempotent; safe beside uploads in progress and beside other workers running it.
 */
@Injectable()
export class AttachmentOrphanSweepJob implements JobHandler<'attachments.orphan-sweep'> {
  readonly jobName = 'attachments.orphan-sweep' as const;
  private readonly logger = new Logger('AttachmentOrphanSweep');

  constructor(private readonly repo: TicketsRepository, @Inject(ATTACHMENT_STORAGE) private readonly storage: AttachmentStorage) {}

  async handle(): Promise<{ examined: number; removed: number }> {
    const now = new Date();
    let examined = 0;
    let removed = 0;
    for (const folder of recentFolders(now)) {
      const old = (await this.storage.list(folder)).filter((f) => now.getTime() - f.modifiedAt.getTime() > ORPHAN_GRACE_MS);
      examined += old.length;
      const known = await this.repo.existingStorageKeys(old.filter((f) => !f.partial).map((f) => f.key));
      const orphans: StoredFile[] = old.filter((f) => f.partial || !known.has(f.key));
      for (const f of orphans) await this.storage.remove(f);
      removed += orphans.length;
    }
    if (removed > 0) this.logger.log(`removed ${removed} orphaned attachment file(s)`);
    return { examined, removed };
  }
}
