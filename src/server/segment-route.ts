/**
 * `POST /v1/segment?maps=classes,heat,overlay,raw&threshold=T`: the HTTP side of a segmentation — query checks,
 * reading the image from a raw body (image/png, image/jpeg, image/webp) or a multipart form (file in field
 * `image`), the header check, then the job on the bounded work queue under the request timeout.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, unsupportedMessage } from './errors.js';
import { MAP_NAMES, type MapName } from './maps.js';
import { formatBytes, type ServeOptions } from './options.js';
import {
  checkImageHeader,
  segmentImage,
  type SegmentContext,
  type SegmentRequest,
  type SegmentResponse,
} from './segment.js';
import { QueueCancelledError, QueueFullError, type WorkQueue } from './work-queue.js';

/** Raw-body content types of the route. */
export const IMAGE_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;

/** The multipart field that holds the image. */
export const IMAGE_FIELD = 'image';

const QUERY_KEYS = ['maps', 'threshold'];

/** Registers the route on `app`. */
export function registerSegmentRoute(
  app: FastifyInstance,
  ctx: SegmentContext,
  queue: WorkQueue,
  options: ServeOptions,
): void {
  app.post(
    '/v1/segment',
    { onRequest: async (request) => checkContentLength(request, options.maxBodyBytes) },
    async (request, reply) => {
      const started = performance.now() - reply.elapsedTime;
      const req = parseQuery(request.query);
      const bytes = await readImageBytes(request);
      const header = checkImageHeader(bytes, options.maxImagePixels);
      const job = (): Promise<SegmentResponse> => segmentImage(ctx, bytes, header, req, started);
      const answer = await runWithTimeout(queue, job, options.requestTimeoutMs, reply);
      return reply.code(200).send(answer);
    },
  );
}

/** Refuses a declared body larger than the limit before any of it is read (raw bodies and multipart forms). */
function checkContentLength(request: FastifyRequest, maxBodyBytes: number): void {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    throw new HttpError(
      413,
      'payload_too_large',
      `the request body is ${declared} bytes, larger than the limit of ${formatBytes(maxBodyBytes)} (${maxBodyBytes} bytes)`,
    );
  }
}

/** Checks `maps` and `threshold`; unknown parameters are refused so typos do not pass silently. */
export function parseQuery(query: unknown): SegmentRequest {
  const q = (query ?? {}) as Record<string, string | string[] | undefined>;
  for (const key of Object.keys(q)) {
    if (!QUERY_KEYS.includes(key))
      throw new HttpError(400, 'bad_request', `unknown query parameter '${key}'; accepted: ${QUERY_KEYS.join(', ')}`);
  }
  const maps = new Set<MapName>();
  for (const part of [q.maps ?? []].flat().flatMap((v) => v.split(','))) {
    const name = part.trim();
    if (name === '') continue;
    if (!(MAP_NAMES as readonly string[]).includes(name))
      throw new HttpError(400, 'bad_request', `unknown map '${name}' in 'maps'; accepted: ${MAP_NAMES.join(', ')}`);
    maps.add(name as MapName);
  }
  if (q.threshold === undefined) return { maps };
  if (Array.isArray(q.threshold)) throw new HttpError(400, 'bad_request', "'threshold' is given more than once");
  const threshold = q.threshold.trim() === '' ? NaN : Number(q.threshold);
  if (!Number.isFinite(threshold))
    throw new HttpError(400, 'bad_request', `'threshold' must be a finite number, got '${q.threshold.slice(0, 50)}'`);
  return { maps, threshold };
}

/** The image bytes of a raw or multipart request. */
async function readImageBytes(request: FastifyRequest): Promise<Uint8Array> {
  if (request.isMultipart()) return readMultipartImage(request);
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

/** The file of field `image`; other parts are drained and ignored. */
async function readMultipartImage(request: FastifyRequest): Promise<Uint8Array> {
  let image: Buffer | undefined;
  for await (const part of request.parts()) {
    if (part.type !== 'file') continue;
    const data = await part.toBuffer();
    if (part.fieldname === IMAGE_FIELD && image === undefined) image = data;
  }
  if (image === undefined)
    throw new HttpError(400, 'bad_request', `the multipart form has no file in field '${IMAGE_FIELD}'`);
  if (image.length === 0)
    throw new HttpError(400, 'bad_request', `zero-byte body: the file in field '${IMAGE_FIELD}' is empty`);
  return new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
}

/**
 * Runs `job` on the queue. Full queue → 503 with Retry-After; not answered within `timeoutMs` (waiting or
 * running; counted from the request's arrival) → 504 (a waiting job is taken out of the queue; a running one finishes and its answer is dropped).
 * A client that disconnects while waiting loses its place.
 */
async function runWithTimeout(
  queue: WorkQueue,
  job: () => Promise<SegmentResponse>,
  timeoutMs: number,
  reply: FastifyReply,
): Promise<SegmentResponse> {
  const controller = new AbortController();
  const timedOut = new Promise<never>((_, reject) => {
    controller.signal.addEventListener(
      'abort',
      () =>
        reject(
          new HttpError(
            504,
            'timeout',
            `no answer within the request timeout of ${timeoutMs} ms; the service is overloaded or the image is too large for it`,
          ),
        ),
      { once: true },
    );
  });
  timedOut.catch(() => undefined);
  const timer = setTimeout(() => controller.abort(), Math.max(0, timeoutMs - reply.elapsedTime));
  const onClose = (): void => {
    if (!reply.raw.writableFinished) controller.abort();
  };
  reply.raw.once('close', onClose);
  try {
    return await Promise.race([queue.run(job, controller.signal), timedOut]);
  } catch (e) {
    if (e instanceof QueueFullError)
      throw new HttpError(503, 'busy', `${e.message}; retry in about ${e.retryAfterSeconds} s`, {
        'retry-after': String(e.retryAfterSeconds),
      });
    if (e instanceof QueueCancelledError) return await timedOut;
    throw e;
  } finally {
    clearTimeout(timer);
    reply.raw.removeListener('close', onClose);
  }
}
