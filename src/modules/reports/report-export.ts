import ExcelJS from 'exceljs';
import { PassThrough, Readable } from 'node:stream';

/** Flattens nested report rows into columns (`metrics.fileToClose.p95Seconds`). */
export function flatten(row: unknown, prefix = '', out: Record<string, string | number | null> = {}): Record<string, string | number | null> {
  if (row !== null && typeof row === 'object' && !Array.isArray(row)) {
    for (const [k, v] of Object.entries(row as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = row === undefined ? null : (row as string | number | null);
  }
  return out;
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // Quote when needed; a leading =, +, - or @ is neutralised so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * Streams rows as CSV (UTF-8 with BOM, so Excel shows Chinese): one line at a time, pulled by the
 * reader. Columns come from the first row (every row of a report has the same shape).
 */
export function csvStream(rows: Iterable<unknown>): Readable {
  function* lines(): Generator<string> {
    let header: string[] | null = null;
    for (const row of rows) {
      const flat = flatten(row);
      if (!header) {
        header = Object.keys(flat);
        yield `\uFEFF${header.map(csvCell).join(',')}\r\n`;
      }
      yield `${header.map((h) => csvCell(flat[h] ?? null)).join(',')}\r\n`;
    }
    if (!header) yield '\uFEFF\r\n';
  }
  return Readable.from(lines());
}

/** Streams rows as XLSX through exceljs's streaming writer: each row is committed and flushed as it goes. */
export function xlsxStream(rows: Iterable<unknown>, sheetName: string): Readable {
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
  const sheet = workbook.addWorksheet(sheetName);
  void (async () => {
    let header: string[] | null = null;
    for (const row of rows) {
      const flat = flatten(row);
      if (!header) {
        header = Object.keys(flat);
        sheet.addRow(header).commit();
      }
      sheet.addRow(header.map((h) => flat[h] ?? null)).commit();
    }
    sheet.commit();
    await workbook.commit();
  })().catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}
