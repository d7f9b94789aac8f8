import { Injectable } from '@nestjs/common';
import { FieldCipher } from '../../common/field-cipher';
import type { TicketRow } from './tickets.repository';

export interface OpenedPersonalData {
  reporterName: string | null;
  reporterPhone: string | null;
  /** Personal platform attributes (e.g. dispute parties), decrypted. */
  attributes: Record<string, unknown>;
}

/** Seals personal data into encrypted columns on write and opens it for masking or an audited reveal. */
@Injectable()
export class TicketPersonalService {
  constructor(private readonly cipher: FieldCipher) {}

  seal(reporter: { name: string; phone: string } | undefined, personalAttributes: Record<string, unknown>): Record<string, string | null> {
    return {
      reporter_name_enc: reporter ? this.cipher.encrypt(reporter.name) : null,
      reporter_phone_enc: reporter ? this.cipher.encrypt(reporter.phone) : null,
      personal_enc: Object.keys(personalAttributes).length > 0 ? this.cipher.encrypt(JSON.stringify(personalAttributes)) : null,
    };
  }

  open(t: Pick<TicketRow, 'reporter_name_enc' | 'reporter_phone_enc' | 'personal_enc'>): OpenedPersonalData {
    return {
      reporterName: t.reporter_name_enc ? this.cipher.decrypt(t.reporter_name_enc) : null,
      reporterPhone: t.reporter_phone_enc ? this.cipher.decrypt(t.reporter_phone_enc) : null,
      attributes: t.personal_enc ? (JSON.parse(this.cipher.decrypt(t.personal_enc)) as Record<string, unknown>) : {},
    };
  }
}
