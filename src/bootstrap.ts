import 'reflect-metadata';
import { ValidationPipe, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { HttpErrorCode, HttpProblem } from './common/http.exception';
import { PinoNestLogger, createLogger } from './common/logger';
import { ProblemFilter, sendProblem } from './common/problem.filter';
import { answerClientError } from './common/client-error';
import type { Socket } from 'node:net';
import { parse as parseForm } from 'node:querystring';
import { refuseUnsupportedMediaTypes } from './common/media-type';
import { assertSafeValue, decodeUtf8, parseSafeJson } from './common/safe-json';
import { validationProblems } from './common/validation-messages';
import type { AppConfig } from './config/app-config';
import type { Runtime } from './core.module';
import { createDataSource, runMigrations } from './database/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './database/embedded-postgres';
import { ApiModule } from './api.module';
import { WorkerModule } from './worker.module';
import { AuditService } from './modules/audit/audit.service';
import { OPEN311_PREFIX } from './modules/open311/open311-error-hook';
import { sendOpen311Errors } from './modules/open311/open311.filter';
import { MetricsService } from './modules/health/metrics.service';
import type { Principal } from './modules/auth/principal';
import openApiMetadata from './openapi.metadata';

export interface ResolvedRuntime extends Runtime {
  embedded?: EmbeddedPostgresHandle;
}

/** Finds the database: DATABASE_URL, or an embedded Postgres managed by this process. Then migrates. */
export async function resolveRuntime(config: AppConfig, logger: Logger, databaseName = 'fuxin'): Promise<ResolvedRuntime> {
  let databaseUrl = config.databaseUrl;
  let embedded: EmbeddedPostgresHandle | undefined;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.embeddedPg.dataDir,
      port: config.embeddedPg.port,
      // Not in the terminal's process group: Ctrl-C reaches the process runner only, which stops Postgres after the
      // apps have closed (else Postgres would end the pool's connections under the draining app).
      ownProcessGroup: true,
      log: (line) => logger.debug({ component: 'postgres' }, line),
    });
    await embedded.createDatabase(databaseName);
    databaseUrl = embedded.url(databaseName);
    logger.info({ port: config.embeddedPg.port, dataDir: config.embeddedPg.dataDir }, 'embedded postgres ready');
  }
  if (config.runMigrations) {
    const ds = await createDataSource(databaseUrl, 2).initialize();
    try {
      await runMigrations(ds);
    } finally {
      await ds.destroy();
    }
  }
  return { config, databaseUrl, embedded };
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const AUDITED_ELSEWHERE = new Set(['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout']);

/** Builds the HTTP API on Fastify with every cross-cutting concern wired. */
export async function createApiApp(runtime: Runtime, logger: Logger, options: { withWorker?: boolean } = {}): Promise<NestFastifyApplication> {
  const { config } = runtime;
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: false,
    genReqId: (req: import('node:http').IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 200 },
    // The router's own refusals (a path parameter over 200 characters, a malformed %-escape) in the documented format:
    // problem+json, or GeoReport's error list under /open311/v2/.
    frameworkErrors: (err: Error, req: FastifyRequest, reply: FastifyReply) =>
      (req.url.startsWith(OPEN311_PREFIX) ? sendOpen311Errors : sendProblem)(err, req, reply),
    // What the HTTP parser refuses before a request exists (headers too large, a malformed header line, a bad
    // Content-Length): problem+json too, written on the raw socket (src/common/client-error.ts).
    clientErrorHandler: (err: Error, socket: Socket) => answerClientError(err, socket, logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(runtime, options), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
  });

  // Fastify parses text/plain by default: a JSON document sent as text/plain would reach the endpoints as a string.
  // Without a parser it is 415, as is every type not registered below.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  // Text bodies must be well-formed UTF-8: a byte sequence that is not is 400 INVALID_UNICODE, never replaced by U+FFFD.
  app.useBodyParser('application/json', { bodyLimit: config.bodyLimitBytes }, async (_req: unknown, body: Buffer) => parseSafeJson(decodeUtf8(body)));
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit: config.bodyLimitBytes }, async (_req: unknown, body: Buffer) => {
    const form = { ...parseForm(decodeUtf8(body)) };
    assertSafeValue(form);
    return form;
  });
  app.useBodyParser('text/csv', { bodyLimit: 20 * 1024 * 1024 }, async (_req: unknown, body: Buffer) => {
    const text = decodeUtf8(body);
    if (text.includes('\u0000')) throw new HttpProblem(HttpErrorCode.NUL_BYTE);
    return text;
  });
  // Attachments arrive as the raw body, typed by Content-Type; the service checks the bytes themselves.
  app.useBodyParser(['image/jpeg', 'image/png', 'image/webp', 'application/pdf'], { bodyLimit: config.storage.maxBytes }, async (_req: unknown, body: Buffer) => body);
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    // `target` lets validationProblems() find each failed decorator's arguments (for "最多 100 个字符"); the
    // errors never leave the process with it. No `value`: nothing of the body is kept in the errors.
    validationError: { target: true, value: false },
    // Per field: { field, constraint, en, zh, message }, texts from src/common/validation-messages.ts.
    exceptionFactory: (errors) => new HttpProblem(HttpErrorCode.VALIDATION_FAILED, undefined, validationProblems(errors)),
  }));

  const fastify = app.getHttpAdapter().getInstance();
  // Each endpoint takes JSON unless it declares other types with @Consumes() (src/common/media-type.ts).
  refuseUnsupportedMediaTypes(fastify);
  const audit = app.get(AuditService);
  const metrics = app.get(MetricsService);
  fastify.addHook('onSend', async (req, reply, payload) => {
    void reply.header('x-request-id', String(req.id));
    // Browsers take every answer as the type it declares (JSON, problem+json, CSV, an attachment), never a sniffed one.
    void reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
  fastify.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (route === '/api/v1/auth/login' && (reply.statusCode === 401 || reply.statusCode === 423)) metrics.authFailures.inc();
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || AUDITED_ELSEWHERE.has(route)) return;
    const principal = (req as unknown as { principal?: Principal }).principal;
    const params = (req.params ?? {}) as Record<string, string>;
    const status = reply.statusCode;
    const entry = {
      actorId: principal?.id ?? null, actorUsername: principal?.username ?? null, actorRole: principal?.role ?? null,
      action: `http.${req.method.toLowerCase()}`, target: params.id ?? params.unitId ?? params.role ?? null,
      method: req.method, path: route, status,
      result: (status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure') as 'success' | 'denied' | 'failure',
      requestId: String(req.id), ip: req.ip,
    };
    // Written after the response; a failed write is retried once, then logged and counted
    // (`audit_write_failures_total`, docs/operations.md: alert on any).
    await audit.record(entry)
      .catch(async () => { await new Promise((r) => setTimeout(r, 200)); await audit.record(entry); })
      .catch((err: Error) => {
        metrics.auditWriteFailures.inc();
        req.log.error({ err, requestId: entry.requestId, path: route }, 'audit write failed');
      });
  });

  // The swagger plugin's metadata (scripts/openapi-metadata.js): DTO properties, query parameters, response types.
  await SwaggerModule.loadPluginMetadata(openApiMetadata);
  const doc = SwaggerModule.createDocument(app, new DocumentBuilder()
    .setTitle('Fuxin grid cases 一网五平台 API')
    .setDescription('Grassroots governance case management. Errors are application/problem+json with a stable `code`.')
    .setVersion('1')
    .addBearerAuth()
    .build());
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs-json' });

  // No enableShutdownHooks(): the process runner owns SIGTERM/SIGINT and closes the app itself (which runs the
  // same shutdown hooks). Nest's own listener would re-send the signal after closing and kill the process
  // with 143 before the runner stopped the embedded Postgres and exited 0.
  await app.init();
  return app;
}

/** Builds the worker process: queues, job handlers and job schedulers; no HTTP. */
export async function createWorkerApp(runtime: Runtime, logger: Logger): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(runtime), { logger: new PinoNestLogger(logger) });
  // Signals are the process runner's (see createApiApp).
  await app.init();
  return app;
}

export { createLogger };
