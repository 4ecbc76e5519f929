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
 * Once the whole body has arrived, the form parser has this long to finish; a form that ends inside a part (no
 * closing boundary) otherwise leaves it waiting for bytes that will never come. Parsing is synchronous once the
 * bytes are there, so a complete form needs far less, ms.
 */
const FORM_END_GRACE_MS = 500;

/** The file of field `image`; other parts are drained and ignored. */
async function readMultipartImage(request: FastifyRequest, deadline: BodyDeadline): Promise<Uint8Array> {
  let image: Buffer | undefined;
  const unfinished = unfinishedForm(request);
  const read = <T>(work: Promise<T>): Promise<T> => deadline.within(Promise.race([work, unfinished.failed]));
  try {
    const parts = request.parts()[Symbol.asyncIterator]();
    for (;;) {
      const next = await read(parts.next());
      if (next.done === true) break;
      const part = next.value;
      if (part.type !== 'file') continue;
      const data = await read(part.toBuffer());
      if (part.fieldname === IMAGE_FIELD) image = data;
    }
  } catch (e) {
    throw multipartError(e);
  } finally {
    unfinished.stop();
  }
  if (image === undefined)
    throw new HttpError(400, 'bad_request', `the multipart form has no file in field '${IMAGE_FIELD}'`);
  if (image.length === 0)
    throw new HttpError(400, 'bad_request', `zero-byte body: the file in field '${IMAGE_FIELD}' is empty`);
  return new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
}

/** How often the arrival of the whole body is checked, ms. */
const FORM_END_POLL_MS = 50;

/**
 * Fails with 400 'malformed_multipart' when the form is still unread {@link FORM_END_GRACE_MS} after the whole body
 * has arrived (`complete`: set by the HTTP parser whether or not the bytes were consumed yet).
 */
function unfinishedForm(request: FastifyRequest): { failed: Promise<never>; stop: () => void } {
  let completeSince: number | undefined;
  let poll: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    poll = setInterval(() => {
      if (!request.raw.complete) return;
      completeSince ??= performance.now();
      if (performance.now() - completeSince < FORM_END_GRACE_MS) return;
      clearInterval(poll);
      reject(
        new HttpError(
          400,
          'malformed_multipart',
          `the multipart form ended inside a part (no closing boundary); send the whole form with the file in field '${IMAGE_FIELD}'`,
        ),
      );
    }, FORM_END_POLL_MS);
  });
  failed.catch(() => undefined);
  return { failed, stop: () => clearInterval(poll) };
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
