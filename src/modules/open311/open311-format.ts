import { XMLBuilder } from 'fast-xml-parser';

/** The two response formats of GeoReport v2, chosen by the path's extension (`services.json`, `services.xml`). */
export type Open311Format = 'json' | 'xml';

export const OPEN311_FORMATS: readonly Open311Format[] = ['json', 'xml'];

export const CONTENT_TYPES: Record<Open311Format, string> = {
  json: 'application/json; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
};

/** Splits `name.ext` into its name and a known format, or undefined when the extension is not json/xml. */
export function splitFormat(segment: string): { name: string; format: Open311Format } | undefined {
  const dot = segment.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ext = segment.slice(dot + 1).toLowerCase();
  if (ext !== 'json' && ext !== 'xml') return undefined;
  return { name: segment.slice(0, dot), format: ext };
}

/** The format an error on this path should use: the path's extension if it names one, else JSON. */
export function formatOfPath(url: string): Open311Format {
  const path = url.split('?')[0] ?? '';
  return /\.xml$/i.test(path) ? 'xml' : 'json';
}

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/** ISO 8601 with the Asia/Shanghai offset (China has no daylight saving), e.g. `2026-11-27T14:05:09+08:00`. */
export function iso8601(d: Date): string {
  return new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19) + '+08:00';
}

// The zone may also come as ` 08:00`: a `+` sent unencoded in a query string arrives as a space.
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?( \d{2}:?\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses an ISO 8601 date or date-time. Without a zone it is read as Asia/Shanghai time (the city's);
 * undefined when malformed or not a real calendar date. A zone written ` 08:00` after the time is `+08:00`
 * whose `+` was not URL-encoded (many hand-built clients send it so).
 */
export function parseIsoDate(s: string): Date | undefined {
  const m = ISO_DATETIME.exec(s.trim());
  if (!m) return undefined;
  const [y, mo, d, h = '00', mi = '00', sec = '00', frac = '0', spaced, signed] = m.slice(1);
  if (spaced && signed) return undefined;
  const zone = signed ?? (spaced ? `+${spaced.slice(1)}` : undefined);
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), Math.floor(Number(`0.${frac}`) * 1000));
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined;
  let offsetMs = SHANGHAI_OFFSET_MS;
  if (zone === 'Z') offsetMs = 0;
  else if (zone) {
    const z = zone.replace(':', '');
    const sign = z.startsWith('-') ? -1 : 1;
    offsetMs = sign * (Number(z.slice(1, 3)) * 3600 + Number(z.slice(3, 5)) * 60) * 1000;
  }
  return new Date(base - offsetMs);
}

/** Element names for list members in XML (GeoReport v2 and its service discovery). */
const XML_MEMBER: Record<string, string> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  attributes: 'attribute',
  values: 'value',
  endpoints: 'endpoint',
  formats: 'format',
};

// XML 1.0 cannot carry most control characters; they never enter through intake, but old data may have them.
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function toXmlValue(key: string, v: unknown): unknown {
  if (Array.isArray(v)) {
    const member = XML_MEMBER[key];
    if (!member) throw new Error(`no XML member name for list ${key}`);
    return { [member]: v.map((item) => toXmlValue(member, item)) };
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      if (child === null || child === undefined) continue;
      out[k] = toXmlValue(k, child);
    }
    return out;
  }
  if (typeof v === 'string') return v.replace(XML_FORBIDDEN, '');
  return v;
}

const builder = new XMLBuilder({ ignoreAttributes: true, format: false, processEntities: true });

/**
 * Renders a document: JSON as given (null fields dropped), XML with `root` as the root element and every
 * list written as repeated member elements (`<services><service>…</service></services>`).
 */
export function render(format: Open311Format, root: string, doc: unknown): string {
  if (format === 'json') return JSON.stringify(doc, (_k, v: unknown) => (v === null ? undefined : v));
  const body = builder.build({ [root]: toXmlValue(root, doc) }) as string;
  return `<?xml version="1.0" encoding="utf-8"?>${body}`;
}

/** A GeoReport error list: `[{code, description}]` / `<errors><error><code/><description/></error></errors>`. */
export function renderErrors(format: Open311Format, errors: Array<{ code: number; description: string }>): string {
  return render(format, 'errors', errors);
}
