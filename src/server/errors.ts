/**
 * JSON error replies. Every error the service sends has the body `{"error":{"code","message"}}`: a stable machine
 * code and one sentence for people that says what was wrong and what is accepted. Stack traces never leave the
 * process: unexpected errors are logged (with their stack) and answered with a generic 500.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { formatBytes } from './options.js';

/** The error codes of the API. */
export type ErrorCode =
  | 'bad_request'
  | 'malformed_multipart'
  | 'not_found'
  | 'method_not_allowed'
  | 'body_timeout'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_image'
  | 'too_many_pixels'
  | 'busy'
  | 'timeout'
  | 'shutting_down'
  | 'internal';

/** Body of an error reply. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** An error the service answers with `status` and a JSON body; thrown by route code, turned into a reply here. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The content types POST /v1/segment accepts, for 415 messages. */
export const ACCEPTED_CONTENT_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  "multipart/form-data (file in field 'image')",
] as const;

/** Sends an error reply. */
export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  return reply.code(err.status).headers(err.headers).type('application/json; charset=utf-8').send(body);
}

/**
 * Installs the error and not-found handlers on `app`: HttpErrors as they are, Fastify's own request errors
 * (body too large, unknown content type, multipart limits, malformed headers) translated to the API's codes, and anything
 * else as a logged 500.
 */
export function installErrorHandlers(app: FastifyInstance, limits: { maxBodyBytes: number }): void {
  app.setNotFoundHandler((request, reply) => {
    return sendError(
      reply,
      new HttpError(404, 'not_found', `no such resource: ${request.method} ${truncate(request.url, 200)}`),
    );
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const http = toHttpError(error, limits, request.headers['content-type']);
    if (http.code === 'internal') request.log.error({ err: error }, 'unexpected error');
    else request.log.info({ code: http.code, status: http.status }, http.message);
    return sendError(reply, http);
  });
}

/** Maps any thrown value to the reply it deserves; `contentType` (the request's) is named in 415 messages. */
export function toHttpError(error: unknown, limits: { maxBodyBytes: number }, contentType?: string): HttpError {
  if (error instanceof HttpError) return error;
  const e = error as Partial<FastifyError>;
  const tooLarge = `the request body is larger than the limit of ${formatBytes(limits.maxBodyBytes)} (${limits.maxBodyBytes} bytes)`;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new HttpError(413, 'payload_too_large', tooLarge);
    case 'FST_FILES_LIMIT':
      return new HttpError(
        400,
        'bad_request',
        "the multipart form has more than one file; send exactly one image, in the field 'image'",
      );
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new HttpError(
        413,
        'payload_too_large',
        "the multipart form has too many parts; send one file in the field 'image'",
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new HttpError(415, 'unsupported_media_type', unsupportedMessage(contentType));
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new HttpError(400, 'bad_request', `the request is malformed (${e.message ?? 'bad headers'})`);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413) return new HttpError(413, 'payload_too_large', tooLarge);
    if (e.statusCode === 415) return new HttpError(415, 'unsupported_media_type', unsupportedMessage(contentType));
    return new HttpError(
      400,
      'bad_request',
      `the request is malformed (${truncate(e.message ?? 'unknown problem', 200)})`,
    );
  }
  return new HttpError(500, 'internal', 'internal error; the service logged the details');
}

/** The 415 message, naming the content type that was sent when known. */
export function unsupportedMessage(contentType: string | undefined): string {
  const sent =
    contentType !== undefined && contentType !== ''
      ? `content type '${truncate(contentType, 100)}' is not accepted`
      : 'this content type is not accepted';
  return `${sent}; send the image as ${ACCEPTED_CONTENT_TYPES.join(', ')}`;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}…`;
}
