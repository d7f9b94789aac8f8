import { randomUUID } from 'node:crypto';
import { STATUS_CODES, maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { HttpErrorCode, HttpProblem } from './http.exception';
import { problemDocument } from './problem.filter';
import type { Bilingual } from './problem';

/** What Node's HTTP server passes to `clientError`: its parser's code (llhttp `HPE_*`) or a timeout. */
interface ClientError extends Error {
  code?: string;
}

/** A more precise `detail` for the parser errors clients meet most; any other `HPE_*` code has none. */
const DETAILS: Readonly<Record<string, Bilingual>> = {
  HPE_INVALID_HEADER_TOKEN: { en: 'A header line is malformed', zh: '某个请求头格式错误' },
  HPE_INVALID_CONTENT_LENGTH: { en: 'Content-Length is not a valid number', zh: 'Content-Length 请求头不是有效的数字' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { en: 'Content-Length must not be sent together with Transfer-Encoding: chunked', zh: 'Content-Length 不能与 Transfer-Encoding: chunked 同时使用' },
  HPE_INVALID_TRANSFER_ENCODING: { en: 'Transfer-Encoding is not valid', zh: 'Transfer-Encoding 请求头无效' },
  HPE_INVALID_CHUNK_SIZE: { en: 'A chunk size of the chunked body is not valid', zh: '分块请求体的块长度无效' },
  HPE_INVALID_METHOD: { en: 'The request method is not valid', zh: '请求方法无效' },
  HPE_INVALID_URL: { en: 'The request target is not a valid URL', zh: '请求地址无效' },
  HPE_INVALID_VERSION: { en: 'The HTTP version is not valid', zh: 'HTTP 版本无效' },
  HPE_LF_EXPECTED: { en: 'A line is not terminated by CRLF', zh: '请求行或请求头未以 CRLF 结尾' },
  HPE_CR_EXPECTED: { en: 'A line is not terminated by CRLF', zh: '请求行或请求头未以 CRLF 结尾' },
};

/** The problem for a `clientError`: 431 HEADERS_TOO_LARGE, 408 REQUEST_TIMEOUT, else 400 MALFORMED_REQUEST. */
export function clientErrorProblem(err: ClientError): HttpProblem {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HttpProblem(HttpErrorCode.HEADERS_TOO_LARGE, {
        en: `The request line and headers together exceed ${maxHeaderSize} bytes; shorten the URL or the headers`,
        zh: `请求行和请求头合计超过 ${maxHeaderSize} 字节，请缩短请求地址或请求头`,
      });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return new HttpProblem(HttpErrorCode.REQUEST_TIMEOUT);
    default:
      return new HttpProblem(HttpErrorCode.MALFORMED_REQUEST, DETAILS[err.code ?? '']);
  }
}

/**
 * Fastify's `clientErrorHandler` (src/bootstrap.ts): Node's HTTP parser refused the bytes before any request
 * existed (headers over the size limit, a malformed header line, `Content-Length: abc`, a request not received in
 * time), so neither the router nor the exception filter runs. The answer is still application/problem+json with a
 * stable code (docs/errors.md), written raw on the socket as a complete HTTP/1.1 response that closes the
 * connection (the parser cannot continue on it). Nothing is written when the socket is no longer writable or a
 * response on it has already begun (a pipelined request): then the connection is only closed.
 */
export function answerClientError(err: ClientError, socket: Socket, logger: Logger): void {
  // A connection reset by the client: nothing to answer (as Fastify's default handler).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const problem = clientErrorProblem(err);
  const requestId = randomUUID();
  logger.info({ requestId, code: problem.code, parserCode: err.code, status: problem.status, remoteAddress: socket.remoteAddress }, 'malformed request refused');
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  // No `instance`: the parser gave us no trustworthy request path.
  const body = JSON.stringify(problemDocument(problem, undefined, requestId));
  const head = [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    `x-request-id: ${requestId}`,
    'x-content-type-options: nosniff',
  ];
  // end() flushes the answer before closing; destroy() then frees the socket whatever the client still sends.
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}
