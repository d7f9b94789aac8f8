import ExcelJS from 'exceljs';
import type { Readable } from 'node:stream';
import { csvStream, flatten, xlsxStream } from './report-export';

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

  it('neutralises spreadsheet formulas and quotes separators', async () => {
    const out = await text(csvStream([{ group: '=1+1', label: 'a,"b"' }]));
    expect(out.replace(/^\uFEFF/, '').trim().split('\r\n')[1]).toBe(`'=1+1,"a,""b"""`);
  });

  it('flatten without a shape keeps a null as one column', () => {
    expect(flatten({ a: null, b: { c: 1 } })).toEqual({ a: null, 'b.c': 1 });
  });
});
