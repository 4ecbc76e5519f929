/**
 * The image bytes of a `POST /v1/segment` request: a raw body (parsed by Fastify as bytes) or the file of field
 * `image` of a multipart form, read here under the request's body deadline. A malformed form (no boundary, a
 * truncated or garbled part) is the client's error: 400 'malformed_multipart'; a second file is 400 'bad_request'.
 */
import type { FastifyRequest } from 'fastify';
import type { BodyDeadline } from './body-deadline.js';
import { HttpError, unsupportedMessage } from './errors.js';

/** Raw-body content types of the route. */
export const IMAGE_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;

/** The multipart field that holds the image. */
export const IMAGE_FIELD = 'image';

/** The image bytes of a raw or multipart request. */
export async function readImageBytes(request: FastifyRequest, deadline: BodyDeadline): Promise<Uint8Array> {
  if (request.isMultipart()) return readMultipartImage(request, deadline);
  const body = request.body;
  if (body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0)) {
    throw new HttpError(
      400,
      'bad_request',
      `zero-byte body: send the image bytes (${IMAGE_CONTENT_TYPES.join(', ')}) or a multipart form with the file in field '${IMAGE_FIELD}'`,
    );
  }
  if (!Buffer.isBuffer(body))
    throw new HttpError(415, 'unsupported_media_type', unsupportedMessage(request.headers['content-type']));
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * The file of field `image`; other parts are drained and ignored. At the body deadline the form parser is failed (an
 * 'error' on the request, which the parser listens to) and the 408 is the answer.
 */
async function readMultipartImage(request: FastifyRequest, deadline: BodyDeadline): Promise<Uint8Array> {
  let image: Buffer | undefined;
  let failure: HttpError | undefined;
  const fail = (e: HttpError): void => {
    failure ??= e;
    if (request.raw.listenerCount('error') > 0) request.raw.emit('error', e);
  };
  deadline.onExpire(fail);
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      const data = await part.toBuffer();
      if (part.fieldname === IMAGE_FIELD) image = data;
    }
  } catch (e) {
    throw failure ?? multipartError(e);
  }
  if (failure) throw failure;
  if (image === undefined)
    throw new HttpError(400, 'bad_request', `the multipart form has no file in field '${IMAGE_FIELD}'`);
  if (image.length === 0)
    throw new HttpError(400, 'bad_request', `zero-byte body: the file in field '${IMAGE_FIELD}' is empty`);
  return new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
}

/**
 * What a failure while reading a form answers: our own errors and the plugin's limit errors (FST_… codes, mapped by
 * errors.ts) as they are; anything else is the form parser refusing the bytes.
 */
function multipartError(e: unknown): unknown {
  if (e instanceof HttpError) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('FST_')) return e;
  const reason = e instanceof Error ? e.message.slice(0, 200) : 'unreadable form';
  return new HttpError(
    400,
    'malformed_multipart',
    `the multipart form is malformed (${reason}); send multipart/form-data with its boundary and the file in field '${IMAGE_FIELD}'`,
  );
}
