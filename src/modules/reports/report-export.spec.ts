import ExcelJS from 'exceljs';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { columnsOf, csvStream, flatten, xlsxStream } from './report-export';
import { reportTemplateRow } from './reports.service';

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

// The first group has no data in the comparison period (mom null), the second has.
const rows = [
  { group: 'a', label: '站前街道', metrics: { fileToClose: { count: 2, p50Seconds: 60 } }, mom: null, yoy: null },
  { group: 'b', label: null, metrics: { fileToClose: { count: 1, p50Seconds: 30 } }, mom: { fileToClose: { count: 4, p50Seconds: 90 } }, yoy: null },
];
const shapeOf = { mom: 'metrics', yoy: 'metrics' };

describe('report exports 报表导出', () => {
  it('a null comparison takes the columns of what it compares, so later rows keep theirs', async () => {
    const lines = (await text(csvStream(rows, shapeOf))).replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('group,label,metrics.fileToClose.count,metrics.fileToClose.p50Seconds,mom.fileToClose.count,mom.fileToClose.p50Seconds,yoy.fileToClose.count,yoy.fileToClose.p50Seconds');
    expect(lines[1]).toBe('a,站前街道,2,60,,,,');
    expect(lines[2]).toBe('b,,1,30,4,90,,');
  });

  it('XLSX has the same header and cells', async () => {
    const wb = new ExcelJS.Workbook();
    const buf = Buffer.from(await (async () => {
      const chunks: Buffer[] = [];
      for await (const c of xlsxStream(rows, 'durations', shapeOf)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    })());
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toContain('mom.fileToClose.p50Seconds');
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(sheet.getRow(3).getCell(header.indexOf('mom.fileToClose.p50Seconds') + 1).value).toBe(90);
  });

  it('an empty report still has its header line: the columns come from the report, not from a first row', async () => {
    const columns = columnsOf(rows[0], shapeOf);
    expect(columns.slice(0, 4)).toEqual(['group', 'label', 'metrics.fileToClose.count', 'metrics.fileToClose.p50Seconds']);
    expect(columns).toContain('yoy.fileToClose.p50Seconds');
    expect(await text(csvStream([], shapeOf, columns))).toBe(`\uFEFF${columns.join(',')}\r\n`);
    // With rows, the same header and the rows in its order.
    const lines = (await text(csvStream(rows, shapeOf, columns))).replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines).toEqual([columns.join(','), 'a,站前街道,2,60,,,,', 'b,,1,30,4,90,,']);
    // Without columns (and without rows) there is nothing to take a header from.
    expect(await text(csvStream([], shapeOf))).toBe('\uFEFF\r\n');

    const chunks: Buffer[] = [];
    for await (const c of xlsxStream([], 'backlog', shapeOf, undefined, columns)) chunks.push(c as Buffer);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    expect(sheet.rowCount).toBe(1);
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(columns);
  });

  it('every report\'s columns: group and label first, the comparisons last (rates: label no longer after rates.*)', () => {
    const rates = columnsOf(reportTemplateRow('rates'), { mom: 'rates', yoy: 'rates' });
    expect(rates.slice(0, 3)).toEqual(['group', 'label', 'counts.filed']);
    expect(rates).toEqual(expect.arrayContaining(['counts.overdueOpen', 'rates.closeRate', 'rates.score', 'mom.closeRate', 'yoy.score']));
    expect(rates.indexOf('rates.score')).toBeLessThan(rates.indexOf('mom.closeRate'));
    const durations = columnsOf(reportTemplateRow('durations'), { mom: 'metrics', yoy: 'metrics' });
    expect(durations.slice(0, 3)).toEqual(['group', 'label', 'metrics.fileToDispatch.count']);
    expect(durations).toEqual(expect.arrayContaining(['metrics.fileToCloseBusiness.p95Seconds', 'mom.fileToClose.maxSeconds', 'yoy.fileToClose.meanSeconds']));
    expect(columnsOf(reportTemplateRow('backlog'))).toEqual([
      'group', 'label', 'open', 'byAge.lt1d', 'byAge.1to3d', 'byAge.3to7d', 'byAge.7to30d', 'byAge.ge30d',
      'byColour.green', 'byColour.blue', 'byColour.yellow', 'byColour.red', 'byColour.none',
      'mom.open', 'mom.byAge.lt1d', 'mom.byAge.1to3d', 'mom.byAge.3to7d', 'mom.byAge.7to30d', 'mom.byAge.ge30d',
      'yoy.open', 'yoy.byAge.lt1d', 'yoy.byAge.1to3d', 'yoy.byAge.3to7d', 'yoy.byAge.7to30d', 'yoy.byAge.ge30d',
    ]);
    expect(columnsOf(reportTemplateRow('rankings')).slice(0, 6)).toEqual(['rank', 'group', 'label', 'score', 'list', 'valid']);
  });

  it('neutralises spreadsheet formulas and quotes separators', async () => {
    const out = await text(csvStream([{ group: '=1+1', label: 'a,"b"' }]));
    expect(out.replace(/^\uFEFF/, '').trim().split('\r\n')[1]).toBe(`'=1+1,"a,""b"""`);
    const hidden = await text(csvStream([{ group: '\t=cmd', label: '\r=cmd' }]));
    expect(hidden.replace(/^\uFEFF/, '').split('\r\n')[1]).toBe(`'\t=cmd,"'\r=cmd"`);
  });

  it('flatten without a shape keeps a null as one column', () => {
    expect(flatten({ a: null, b: { c: 1 } })).toEqual({ a: null, 'b.c': 1 });
  });

  it('XLSX rows are pulled at the reader\'s pace: an idle reader holds them back, a slow one still gets every row', async () => {
    const total = 20_000;
    let pulled = 0;
    // Incompressible labels, so the deflated output fills the stream's buffer quickly.
    function* many(): Generator<{ group: string; label: string }> {
      for (let i = 0; i < total; i++) { pulled += 1; yield { group: `g${i}`, label: randomBytes(48).toString('hex') }; }
    }
    const stream = xlsxStream(many(), 'rates', {}, 16 * 1024);
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // Nobody reads: the writer stops once the output is full (the old loop had drained all 20 000 rows by now). On a
    // loaded machine the compressor's buffers fill in bursts: wait until the count holds still for 300 ms (at most 5 s).
    let idle = -1;
    for (let waited = 0; waited < 5000 && pulled !== idle; waited += 300) {
      idle = pulled;
      await pause(300);
    }
    expect(pulled).toBe(idle);
    expect(idle).toBeGreaterThan(0);
    expect(idle).toBeLessThan(total / 10);
    // A slow reader: each chunk lets a few more rows through, never the whole report ahead of it.
    const chunks: Buffer[] = [];
    const ahead: number[] = [];
    for await (const c of stream) {
      chunks.push(c as Buffer);
      if (chunks.length % 5 === 0) { ahead.push(pulled); await pause(1); }
    }
    expect(ahead.some((n) => n > idle && n < total)).toBe(true);
    expect(pulled).toBe(total);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    expect(sheet.rowCount).toBe(total + 1);
    expect(sheet.getRow(total + 1).getCell(1).value).toBe(`g${total - 1}`);
  });

  it('XLSX stops taking rows when the reader goes away', async () => {
    let pulled = 0;
    const total = 50_000;
    function* many(): Generator<{ group: string; label: string }> {
      for (let i = 0; i < total; i++) { pulled += 1; yield { group: `g${i}`, label: randomBytes(48).toString('hex') }; }
    }
    const stream = xlsxStream(many(), 'rates', {}, 16 * 1024);
    await new Promise((resolve) => setTimeout(resolve, 100));
    stream.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = pulled;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pulled).toBe(after);
    expect(after).toBeLessThan(total);
  });
});
