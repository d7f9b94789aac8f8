import ExcelJS from 'exceljs';
import { PassThrough, Readable } from 'node:stream';

/**
 * Columns whose value may be null in one row and an object in another (the 环比/同比 comparison of a group with
 * no data in that period) take the shape of a sibling that is always present: `{ mom: 'metrics' }` gives a null
 * `mom` the columns of `metrics`, empty. Without it a row whose comparison is null would have one `mom` column where
 * the others have one per metric.
 */
export type ShapeOf = Readonly<Record<string, string>>;

/** Flattens nested report rows into columns (`metrics.fileToClose.p95Seconds`). */
export function flatten(row: unknown, prefix = '', out: Record<string, string | number | null> = {}, shapeOf: ShapeOf = {}): Record<string, string | number | null> {
  if (row !== null && typeof row === 'object' && !Array.isArray(row)) {
    const fields = row as Record<string, unknown>;
    for (const [k, v] of Object.entries(fields)) {
      const path = prefix ? `${prefix}.${k}` : k;
      const sibling = prefix === '' && v === null && shapeOf[k] !== undefined ? fields[shapeOf[k]] : undefined;
      if (sibling !== null && typeof sibling === 'object') flatten(emptied(sibling), path, out);
      else flatten(v, path, out);
    }
  } else if (prefix) {
    out[prefix] = row === undefined ? null : (row as string | number | null);
  }
  return out;
}

/**
 * The columns of a report: those of a row of its shape (`template`, e.g. a group with no data), flattened. The header
 * comes from them, not from the first row, so an empty report still has its header line.
 */
export function columnsOf(template: unknown, shapeOf: ShapeOf = {}): string[] {
  return Object.keys(flatten(template, '', {}, shapeOf));
}

/** The same shape with every leaf null. */
function emptied(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, emptied(x)]));
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // Quote when needed; a leading =, +, -, @, tab or carriage return is neutralised so spreadsheets do not run it as
  // a formula (OWASP's list).
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * Streams rows as CSV (UTF-8 with BOM, so Excel shows Chinese): one line at a time, pulled by the reader. The header
 * is `columns` (the report's, see `columnsOf`), also when there is no row; without them, the first row's columns (every
 * row of a report has the same shape, given `shapeOf`).
 */
export function csvStream(rows: Iterable<unknown>, shapeOf: ShapeOf = {}, columns?: readonly string[]): Readable {
  function* lines(): Generator<string> {
    let header: readonly string[] | null = null;
    const head = (h: readonly string[]) => `\uFEFF${h.map(csvCell).join(',')}\r\n`;
    if (columns) {
      header = columns;
      yield head(header);
    }
    for (const row of rows) {
      const flat = flatten(row, '', {}, shapeOf);
      if (!header) {
        header = Object.keys(flat);
        yield head(header);
      }
      yield `${header.map((h) => csvCell(flat[h] ?? null)).join(',')}\r\n`;
    }
    if (!header) yield '\uFEFF\r\n';
  }
  return Readable.from(lines());
}

/**
 * Streams rows as XLSX through exceljs's streaming writer, each row committed as it goes and pulled at the reader's
 * pace: after each row the writer lets the zip pipeline run, and while the output holds what the reader has not taken
 * (its writable side asks for a drain) it takes no further row. A slow client so holds back the rows instead of the
 * whole workbook piling up in memory. A reader that goes away stops the export. The header row is `columns` when
 * given (also with no rows), else the first row's columns, as for CSV.
 */
export function xlsxStream(
  rows: Iterable<unknown>, sheetName: string, shapeOf: ShapeOf = {}, highWaterMark?: number, columns?: readonly string[],
): Readable {
  const out = new PassThrough(highWaterMark === undefined ? {} : { highWaterMark });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
  const sheet = workbook.addWorksheet(sheetName);
  void (async () => {
    let header: readonly string[] | null = null;
    if (columns) {
      header = columns;
      sheet.addRow([...header]).commit();
    }
    for (const row of rows) {
      const flat = flatten(row, '', {}, shapeOf);
      if (!header) {
        header = Object.keys(flat);
        sheet.addRow([...header]).commit();
      }
      sheet.addRow(header.map((h) => flat[h] ?? null)).commit();
      if (!(await readerCaughtUp(out))) return;
    }
    sheet.commit();
    await workbook.commit();
  })().catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}

/**
 * Lets the pipeline behind `out` (sheet → zip → deflate → `out`) move what was just written, then waits while `out`
 * is full until the reader takes some. False when the reader has gone (the stream closed or failed).
 */
async function readerCaughtUp(out: PassThrough): Promise<boolean> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  while (out.writableNeedDrain && !out.destroyed) {
    await new Promise<void>((resolve) => {
      const done = (): void => { out.off('drain', done); out.off('close', done); resolve(); };
      out.on('drain', done);
      out.on('close', done);
    });
  }
  return !out.destroyed;
}
