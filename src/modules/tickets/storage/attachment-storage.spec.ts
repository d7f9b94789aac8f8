import { sniffContentType } from './attachment-storage';

/** The attachment type check reads the first bytes only; these are the signatures it must (and must not) accept. */
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'latin1');

const JPEG = hex('ffd8ffe000104a46494600010100000100010000ffd9'); // SOI, APP0 (JFIF), EOI
const PNG = hex('89504e470d0a1a0a 0000000d49484452'); // signature, then the IHDR chunk header
const WEBP = Buffer.concat([ascii('RIFF'), hex('1a000000'), ascii('WEBPVP8 ')]);
const PDF = ascii('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');

describe('sniffContentType: the accepted formats by their signatures', () => {
  it.each([
    ['JPEG (JFIF)', JPEG, 'image/jpeg'],
    ['JPEG (Exif APP1)', hex('ffd8ffe1 0018 45786966'), 'image/jpeg'],
    ['JPEG, the three signature bytes alone', hex('ffd8ff'), 'image/jpeg'],
    ['PNG', PNG, 'image/png'],
    ['PNG, the eight signature bytes alone', hex('89504e470d0a1a0a'), 'image/png'],
    ['WebP (lossy)', WEBP, 'image/webp'],
    ['WebP (lossless), twelve bytes', Buffer.concat([ascii('RIFF'), hex('00000000'), ascii('WEBP')]), 'image/webp'],
    ['PDF', PDF, 'application/pdf'],
    ['PDF, the five signature bytes alone', ascii('%PDF-'), 'application/pdf'],
  ])('%s → %s', (_name, bytes, type) => {
    expect(sniffContentType(bytes)).toBe(type);
  });

  // The check looks no further than the signature: a "PDF" holding HTML after it is a PDF (docs/tickets.md,
  // Attachments: the download headers keep a browser from rendering it).
  it('judges by the signature only, whatever follows it', () => {
    expect(sniffContentType(Buffer.concat([ascii('%PDF-'), ascii('<html><script>alert(1)</script></html>')]))).toBe('application/pdf');
    expect(sniffContentType(Buffer.concat([hex('ffd8ff'), Buffer.alloc(64, 0)]))).toBe('image/jpeg');
  });
});

describe('sniffContentType: anything else is not recognised', () => {
  it.each([
    ['an empty buffer', Buffer.alloc(0)],
    ['GIF89a', Buffer.concat([ascii('GIF89a'), hex('01000100800000ffffff00000021f90401000000002c00000000010001000002024401003b')])],
    ['GIF87a', ascii('GIF87a\x01\x00\x01\x00')],
    ['HEIC (ISO-BMFF ftyp heic)', Buffer.concat([hex('00000018'), ascii('ftypheic'), hex('00000000'), ascii('mif1heic')])],
    ['AVIF', Buffer.concat([hex('0000001c'), ascii('ftypavif'), hex('00000000'), ascii('avifmif1miaf')])],
    ['BMP', ascii('BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00')],
    ['TIFF (little endian)', hex('49492a0008000000')],
    ['ZIP (also .docx, .xlsx)', hex('504b030414000600')],
    ['SVG', ascii('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['HTML', ascii('<!DOCTYPE html><html></html>')],
    ['plain text', ascii('井盖缺失'.repeat(4))],
    ['NUL bytes', Buffer.alloc(32, 0)],
    ['a RIFF file that is not WebP (WAV)', Buffer.concat([ascii('RIFF'), hex('24000000'), ascii('WAVEfmt ')])],
    ['PDF in lower case', ascii('%pdf-1.7\n')],
    ['a signature not at offset 0 (PDF after a blank)', ascii(' %PDF-1.7\n')],
    ['a signature not at offset 0 (JPEG after a byte)', Buffer.concat([hex('00'), JPEG])],
    ['PNG with one signature byte wrong (CRLF translated to LF)', hex('89504e470a1a0a0000000d')],
  ])('%s', (_name, bytes) => {
    expect(sniffContentType(bytes)).toBeUndefined();
  });

  // A signature cut short is not the format: one byte fewer than each signature needs.
  it.each([
    ['JPEG', hex('ffd8')],
    ['PNG', hex('89504e470d0a1a')],
    ['WebP', Buffer.concat([ascii('RIFF'), hex('00000000'), ascii('WEB')])],
    ['PDF', ascii('%PDF')],
    ['one byte', hex('ff')],
  ])('a truncated %s signature', (_name, bytes) => {
    expect(sniffContentType(bytes)).toBeUndefined();
  });

  it('never throws on random bytes, and answers only one of the four accepted types', () => {
    // A fixed linear congruential sequence: reproducible without a seedable RNG library.
    let x = 20261127;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    for (let n = 0; n < 500; n++) {
      const bytes = Buffer.from(Array.from({ length: n % 40 }, next));
      expect([undefined, 'image/jpeg', 'image/png', 'image/webp', 'application/pdf']).toContain(sniffContentType(bytes));
    }
  });
});
