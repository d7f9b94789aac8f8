import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { Principal } from '../auth/principal';
import type { AttachmentResponse } from './dto/ticket.response.dto';
import { ATTACHMENT_STORAGE, sniffContentType, type AttachmentStorage } from './storage/attachment-storage';
import { assertMayChangeContent } from './ticket-content-guard';
import { contentRestricted } from './ticket.mapper';
import { TicketQueryService } from './ticket-query.service';
import { ticketScope } from './ticket-scope';
import { TicketErrorCode, TicketException, TicketPathNotFound } from './tickets.exception';
import { TicketsRepository } from './tickets.repository';


/** Photos and documents on a ticket: size and type checked, bytes on disk, metadata in Postgres. */
@Injectable()
export class AttachmentsService {
  constructor(
    private readonly repo: TicketsRepository,
    private readonly query: TicketQueryService,
    @Inject(ATTACHMENT_STORAGE) private readonly storage: AttachmentStorage,
  ) {}

  async upload(p: Principal, ticketId: string, declaredType: string | undefined, body: unknown): Promise<AttachmentResponse> {
    const t = await this.repo.findVisible(ticketScope(p, await this.query.unitTypeOf(p)), ticketId);
    if (!t) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
    assertMayChangeContent(p, t, 'attachment');
    if (!Buffer.isBuffer(body) || body.length === 0) throw new TicketException(TicketErrorCode.ATTACHMENT_TYPE);
    const sniffed = sniffContentType(body);
    if (!sniffed || sniffed !== declaredType?.split(';')[0]?.trim()) throw new TicketException(TicketErrorCode.ATTACHMENT_TYPE);
    const now = new Date();
    const key = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${randomUUID()}`;
    const sha256 = createHash('sha256').update(body).digest('hex');
    // Bytes first, then the row: a crash between them leaves an orphan file, never a row without bytes.
    await this.storage.put(key, body);
    const row = await this.repo.insertAttachment({ ticketId: t.id, storageKey: key, contentType: sniffed, size: body.length, sha256, uploadedBy: p.id });
    // The ticket ended while the bytes were being written: nothing is recorded, and the bytes go again (should that
    // fail, the orphan sweep removes them within the hour).
    if (row === undefined) {
      await this.storage.remove({ key, partial: false }).catch(() => undefined);
      throw new TicketException(TicketErrorCode.TICKET_NOT_OPEN);
    }
    // The stored time (RETURNING), so the answer matches the list; `now` only names the storage folder.
    return { id: row.id, contentType: sniffed, sizeBytes: body.length, sha256, eventId: null, createdAt: row.created_at.toISOString() };
  }

  /**
   * Attachments are content: a reader who may follow a dispute but not read it (its filer) is refused with 403
   * `DISPUTE_CONTENT_RESTRICTED`, and the attachments query itself applies the content rule in SQL.
   */
  async list(p: Principal, ticketId: string): Promise<AttachmentResponse[]> {
    const scope = ticketScope(p, await this.query.unitTypeOf(p));
    const t = await this.repo.findVisible(scope, ticketId);
    if (!t) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
    if (contentRestricted(t)) throw new TicketException(TicketErrorCode.DISPUTE_CONTENT_RESTRICTED);
    return (await this.repo.attachments(scope, t.id)).map((a) => ({
      id: a.id, contentType: a.content_type, sizeBytes: a.size_bytes, sha256: a.sha256, eventId: a.event_id, createdAt: a.created_at.toISOString(),
    }));
  }

  async download(p: Principal, ticketId: string, attachmentId: string): Promise<{ id: string; contentType: string; bytes: Buffer }> {
    const scope = ticketScope(p, await this.query.unitTypeOf(p));
    const t = await this.repo.findVisible(scope, ticketId);
    if (!t) throw new TicketException(TicketErrorCode.TICKET_NOT_FOUND);
    if (contentRestricted(t)) throw new TicketException(TicketErrorCode.DISPUTE_CONTENT_RESTRICTED);
    const a = (await this.repo.attachments(scope, t.id)).find((x) => x.id === attachmentId);
    if (!a) throw new TicketPathNotFound(TicketErrorCode.ATTACHMENT_NOT_FOUND);
    return { id: a.id, contentType: a.content_type, bytes: await this.storage.get(a.storage_key) };
  }
}
