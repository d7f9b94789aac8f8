import type { DataSource } from 'typeorm';
import type { FieldCipher } from '../common/field-cipher';

/** Every column holding a `FieldCipher` value, by table and (uuid) primary key. */
export const ENCRYPTED_COLUMNS: ReadonlyArray<{ table: string; key: string; columns: readonly string[] }> = [
  { table: 'tickets', key: 'id', columns: ['reporter_name_enc', 'reporter_phone_enc', 'personal_enc'] },
  { table: 'open311_requests', key: 'ticket_id', columns: ['email_enc', 'device_id_enc'] },
  { table: 'users', key: 'id', columns: ['totp_secret'] },
];

export interface RotationReport {
  /** Values re-encrypted (or, in a dry run, that would be), per `table.column`. */
  rotated: Record<string, number>;
  /** Values that no configured key decrypts (left as they are), per `table.column`. */
  undecryptable: Record<string, number>;
  /** Values changed by someone else between the read and the write (left to them). */
  skipped: number;
}

/**
 * Re-encrypts, under the current `PII_KEY`, every stored personal value written with an older key
 * (`PII_PREVIOUS_KEYS`), so the old keys can then be retired (docs/operations.md, key rotation). Walks each
 * table in primary-key order, `batch` rows a transaction; each value is written back only if it is still the
 * one read (a concurrent write, such as a TOTP re-enrolment, wins). Plaintext never leaves this process and is
 * never logged. Idempotent: a second run finds nothing to do.
 */
export async function rotatePersonalData(
  ds: DataSource, cipher: FieldCipher, opts: { batch?: number; dryRun?: boolean; onProgress?: (line: string) => void } = {},
): Promise<RotationReport> {
  const batch = opts.batch ?? 1000;
  const report: RotationReport = { rotated: {}, undecryptable: {}, skipped: 0 };
  for (const { table, key, columns } of ENCRYPTED_COLUMNS) {
    for (const c of columns) {
      report.rotated[`${table}.${c}`] = 0;
      report.undecryptable[`${table}.${c}`] = 0;
    }
    const stale = columns.map((c) => `(${c} IS NOT NULL AND split_part(${c}, '.', 2) <> $1)`).join(' OR ');
    let after: string | null = null;
    for (;;) {
      // Identifiers come from the constant list above, never from input.
      const rows: Array<Record<string, string | null>> = await ds.query(
        `SELECT ${key}::text AS k, ${columns.join(', ')} FROM ${table}
          WHERE (${stale}) ${after === null ? '' : `AND ${key} > $3::uuid`}
          ORDER BY ${key} LIMIT $2`,
        after === null ? [cipher.currentKeyId, batch] : [cipher.currentKeyId, batch, after]);
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.k!;
      const writes: Array<{ k: string; column: string; from: string; to: string }> = [];
      for (const row of rows) {
        for (const c of columns) {
          const stored = row[c];
          if (stored === null || stored === undefined || !cipher.needsRotation(stored)) continue;
          let plain: string;
          try {
            plain = cipher.decrypt(stored);
          } catch {
            report.undecryptable[`${table}.${c}`]! += 1;
            continue;
          }
          writes.push({ k: row.k!, column: c, from: stored, to: cipher.encrypt(plain) });
        }
      }
      if (!opts.dryRun) {
        await ds.transaction(async (m) => {
          for (const c of columns) {
            const mine = writes.filter((w) => w.column === c);
            if (mine.length === 0) continue;
            const done: Array<{ n: number }> = await m.query(
              `WITH u AS (
                 UPDATE ${table} t SET ${c} = v.to_value FROM unnest($1::text[], $2::text[], $3::text[]) AS v(k, from_value, to_value)
                  WHERE t.${key}::text = v.k AND t.${c} = v.from_value RETURNING 1)
               SELECT count(*)::int AS n FROM u`,
              [mine.map((w) => w.k), mine.map((w) => w.from), mine.map((w) => w.to)]);
            report.rotated[`${table}.${c}`]! += done[0]!.n;
            report.skipped += mine.length - done[0]!.n;
          }
        });
      } else {
        for (const w of writes) report.rotated[`${table}.${w.column}`]! += 1;
      }
      opts.onProgress?.(`${table}: up to ${after}, ${writes.length} values in this batch`);
      if (rows.length < batch) break;
    }
  }
  return report;
}
