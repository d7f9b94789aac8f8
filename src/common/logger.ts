import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type LogFn, type Logger } from 'pino';

/**
 * Query parameters whose values are credentials or may be personal data, masked wherever a URL is logged
 * ("incoming request", error lines, "Route … not found"): Open311 clients may send `api_key`, `email`,
 * `phone`, names and a device id in the query string, and a staff search `q` may be a resident's name.
 */
export const SECRET_QUERY_PARAMS = [
  'api_key', 'apikey', 'access_token', 'refresh_token', 'token', 'password',
  'q', 'email', 'phone', 'first_name', 'last_name', 'device_id',
] as const;

// `name=` (or `name%3D`, inside an encoded URL) not preceded by a letter, digit or `_` (except as the `%3F` or
// `%26` before it); the value runs to the next `&`, `#`, `%26`, `%23`, whitespace, quote, backslash (JSON
// escapes) or angle bracket.
const SECRET_IN_TEXT = new RegExp(`(?:(?<![A-Za-z0-9_])|(?<=%(?:3F|26)))((?:${SECRET_QUERY_PARAMS.join('|')})(?:=|%3D))(?:[^&#\\s"'\\\\<>%]|%(?!26|23))*`, 'gi');
const CENSOR = '[redacted]';

/** The text with the value of every credential query parameter replaced by `[redacted]`. */
export function maskSecrets(text: string): string {
  return text.replace(SECRET_IN_TEXT, `$1${CENSOR}`);
}

/** Masks string values (recursively, a few levels deep) of a serialized error or a log object; others untouched. */
function maskDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return maskSecrets(value) as T;
  if (depth > 3 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => maskDeep(v, depth + 1)) as T;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const m = maskDeep(v, depth + 1);
    if (m !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = m;
  }
  return (out ?? value) as T;
}

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, string | string[] | undefined>;
  socket?: { remotePort?: number; remoteAddress?: string };
}

/** Fastify's own request serializer (method, url, version, host, remoteAddress, remotePort), with the URL masked. */
function serializeRequest(req: RequestLike): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? maskSecrets(req.url) : req.url,
    version: req.headers?.['accept-version'],
    host: req.host ?? req.headers?.host,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}

function serializeError(err: unknown): unknown {
  return maskDeep(pino.stdSerializers.err(err as Error));
}

/**
 * Masks the message arguments and the first level of a merge object before pino formats them. An error
 * logged without a message gives pino its message: that is masked here too (the `err` itself goes through
 * the `err` serializer).
 */
function maskLogArguments(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  const masked: unknown[] = args.map((a, i) => (typeof a === 'string' ? maskSecrets(a) : i === 0 ? maskMergeObject(a) : a));
  const first = args[0] as unknown;
  if (args.length === 1 && first !== null && typeof first === 'object') {
    const err = first instanceof Error ? first : (first as { err?: unknown }).err;
    if (err instanceof Error && typeof err.message === 'string') masked.push(maskSecrets(err.message));
  }
  method.apply(this, masked as Parameters<LogFn>);
}

function maskMergeObject(o: unknown): unknown {
  if (o === null || typeof o !== 'object' || o instanceof Error || Array.isArray(o)) return o;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'string') continue;
    const m = maskSecrets(v);
    if (m !== v) (out ??= { ...(o as Record<string, unknown>) })[k] = m;
  }
  return out ?? o;
}

/** Keys whose values are personal data: censored whole in log objects (how deep: see `redact` below). */
const PERSONAL_FIELDS = ['reporter', 'parties', 'phone', 'idNumber', 'email', 'first_name', 'last_name', 'device_id'] as const;

/**
 * One JSON logger for the process: Fastify logs requests through it, Nest logs through the adapter below.
 * `destination` defaults to stdout (tests pass a capture stream).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'fuxin-grid-cases', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Personal data and credentials never reach the logs. Personal fields (a reporter, dispute parties, phones, ID
    // numbers, e-mails, Open311 name / device fields) are censored whole at the top level and one level down
    // (`{ reporter }`, `{ body: { reporter } }`, `{ err: { email } }`), and a ticket's or filing's parties
    // (`{ body: { attributes: { parties } } }`). No `*.*.x` paths: they make pino throw on a Buffer one level
    // down (`{ body: <Buffer> }`), and every wildcard costs every log line.
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.accessToken',
        ...PERSONAL_FIELDS.flatMap((f) => [f, `*.${f}`]), '*.attributes.parties',
      ],
      censor: CENSOR,
    },
    // Credentials in query strings (Open311 `api_key`): masked in the request URL, in errors and in messages.
    serializers: { req: serializeRequest, err: serializeError },
    hooks: { logMethod: maskLogArguments },
  };
  return destination ? pino(options, destination) : pino(options);
}

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  // Nest's start-up chatter (modules loaded, routes mapped) goes to debug so the info log stays readable.
  private static readonly QUIET = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);
  log(message: unknown, context?: string): void {
    if (context && PinoNestLogger.QUIET.has(context)) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void { this.logger.error({ context, trace }, String(message)); }
  warn(message: unknown, context?: string): void { this.logger.warn({ context }, String(message)); }
  debug(message: unknown, context?: string): void { this.logger.debug({ context }, String(message)); }
  verbose(message: unknown, context?: string): void { this.logger.trace({ context }, String(message)); }
}
