import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/** One JSON logger for the process: Fastify logs requests through it, Nest logs through the adapter below. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'fuxin-grid-cases', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Personal data and credentials never reach the logs.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.accessToken', '*.phone', '*.idNumber'],
      censor: '[redacted]',
    },
  });
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
