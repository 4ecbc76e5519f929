/**
 * `POST /v1/segment?maps=classes,heat,overlay,raw&threshold=T`: the HTTP side of a segmentation.
 *
 * 1. On arrival (headers read, before the body): the declared length is checked and the request takes a place in
 *    the work queue — a full queue answers 503 at once, without reading the body — and its body deadline starts.
 * 2. The image is read from a raw body (image/png, image/jpeg, image/webp) or a multipart form (file in field
 *    `image`); a malformed form is 400 'malformed_multipart', a body slower than the deadline 408.
 * 3. The header check (size from the header, before any decoding), then the job runs on a worker process under the
 *    request timeout (counted from arrival): over it, 504 — a waiting job leaves the line, a running one's worker is
 *    killed and replaced.
 *
 * The answer's `timingMs` and the `X-Queue-Ms` header say how long the request waited for a worker.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BodyDeadline } from './body-deadline.js';
import { HttpError } from './errors.js';
import { refuseOtherMethods } from './methods.js';
import { formatBytes, type ServeOptions } from './options.js';
import { readImageBytes } from './request-image.js';
import { checkImageHeader } from './segment.js';
import { parseQuery } from './segment-query.js';
import type { ImageHeader } from './image-header.js';
import { JobAbortedError, WorkerGoneError, type WorkerPool } from './worker-pool.js';
import type { WorkerError, WorkerResult } from './worker-protocol.js';
import { QueueCancelledError, QueueFullError, type Admission, type WorkQueue } from './work-queue.js';

export { IMAGE_CONTENT_TYPES, IMAGE_FIELD } from './request-image.js';
export { parseQuery } from './segment-query.js';

/** What the route works with. */
export interface SegmentRouteContext {
  queue: WorkQueue;
  pool: WorkerPool;
  options: ServeOptions;
}

/** A request's place in the queue, arrival time and body deadline (set on arrival). */
interface Arrival {
  admission: Admission;
  arrivedMs: number;
  deadline: BodyDeadline;
}

const arrivals = new WeakMap<FastifyRequest, Arrival>();

/** Registers the route, and 405 for the other methods on its URL. */
export function registerSegmentRoute(app: FastifyInstance, ctx: SegmentRouteContext): void {
  app.post(
    '/v1/segment',
    {
      onRequest: async (request, reply) => arrive(request, reply, ctx),
      // forms are read from the raw request by the multipart plugin: wrapping (and so piping) it would starve the
      // form parser; `isMultipart()` is only known after this hook, so the header decides
      preParsing: async (request, _reply, payload) =>
        isForm(request) ? payload : (arrivals.get(request)?.deadline.wrap(payload) ?? payload),
    },
    async (request, reply) => {
      const arrival = arrivals.get(request);
      if (!arrival) throw new Error('segment route: no arrival record');
      const req = parseQuery(request.query);
      const bytes = await readImageBytes(request, arrival.deadline);
      arrival.deadline.stop();
      const receivedMs = performance.now();
      const header = checkImageHeader(bytes, ctx.options.maxImagePixels);
      const job = {
        bytes,
        header,
        maps: [...req.maps],
        ...(req.threshold !== undefined ? { threshold: req.threshold } : {}),
      };
      const outcome = await runJob(ctx, arrival, reply, (startedMs, signal) => {
        const queueMs = startedMs - receivedMs;
        reply.header('x-queue-ms', queueMs.toFixed(1));
        return ctx.pool.run({ ...job, waits: { receive: receivedMs - arrival.arrivedMs, queue: queueMs } }, signal);
      });
      return answer(request, reply, outcome, header);
    },
  );
  refuseOtherMethods(app, '/v1/segment', ['POST']);
}

function isForm(request: FastifyRequest): boolean {
  return /^\s*multipart\//i.test(request.headers['content-type'] ?? '');
}

/** Arrival: the declared length, a place in the queue (503 when full), the body deadline; released on close. */
function arrive(request: FastifyRequest, reply: FastifyReply, ctx: SegmentRouteContext): void {
  checkContentLength(request, ctx.options.maxBodyBytes);
  let admission: Admission;
  try {
    admission = ctx.queue.admit();
  } catch (e) {
    if (!(e instanceof QueueFullError)) throw e;
    throw new HttpError(503, 'busy', `${e.message}; retry in about ${e.retryAfterSeconds} s`, {
      'retry-after': String(e.retryAfterSeconds),
      connection: 'close',
    });
  }
  const deadline = new BodyDeadline(ctx.options.bodyTimeoutMs);
  arrivals.set(request, { admission, arrivedMs: performance.now(), deadline });
  reply.raw.once('close', () => {
    deadline.stop();
    admission.release();
  });
}

/** Refuses a declared body larger than the limit before any of it is read (raw bodies and multipart forms). */
function checkContentLength(request: FastifyRequest, maxBodyBytes: number): void {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    throw new HttpError(
      413,
      'payload_too_large',
      `the request body is ${declared} bytes, larger than the limit of ${formatBytes(maxBodyBytes)} (${maxBodyBytes} bytes)`,
      { connection: 'close' },
    );
  }
}

/**
 * Runs `work` in the request's queue place under the request timeout. Timeout → 504 (the job is abandoned: out of
 * the line, or its worker killed); a client that disconnects while waiting loses its place.
 */
async function runJob(
  ctx: SegmentRouteContext,
  arrival: Arrival,
  reply: FastifyReply,
  work: (startedMs: number, signal: AbortSignal) => Promise<WorkerResult | WorkerError>,
): Promise<WorkerResult | WorkerError> {
  const timeoutMs = ctx.options.requestTimeoutMs;
  const controller = new AbortController();
  const timedOut = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(timeoutError(timeoutMs)), { once: true });
  });
  timedOut.catch(() => undefined);
  let running = false;
  const timer = setTimeout(() => controller.abort(), Math.max(0, timeoutMs - (performance.now() - arrival.arrivedMs)));
  const onClose = (): void => {
    if (!reply.raw.writableFinished && !running) controller.abort();
  };
  reply.raw.once('close', onClose);
  try {
    const job = arrival.admission.run(() => {
      running = true;
      return work(performance.now(), controller.signal);
    }, controller.signal);
    return await Promise.race([job, timedOut]);
  } catch (e) {
    if (e instanceof QueueCancelledError || e instanceof JobAbortedError) return await timedOut;
    if (e instanceof WorkerGoneError) {
      reply.log.error({ err: e }, 'a segmentation worker ended during a request; it is being replaced');
      throw new HttpError(500, 'internal', 'internal error: the segmentation worker stopped; the service restarted it');
    }
    throw e;
  } finally {
    clearTimeout(timer);
    reply.raw.removeListener('close', onClose);
  }
}

function timeoutError(timeoutMs: number): HttpError {
  return new HttpError(
    504,
    'timeout',
    `no answer within the request timeout of ${timeoutMs} ms; the service is overloaded or the image is too large for it`,
  );
}

/** The worker's answer as the reply: its JSON bytes as they are, or its error. */
function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  outcome: WorkerResult | WorkerError,
  header: ImageHeader,
): FastifyReply {
  if (outcome.type === 'error') {
    if (outcome.detail !== undefined)
      request.log.error({ detail: outcome.detail, image: header }, 'unexpected error in the segmentation worker');
    throw new HttpError(outcome.status, outcome.code, outcome.message);
  }
  const body = Buffer.from(outcome.body.buffer, outcome.body.byteOffset, outcome.body.byteLength);
  return reply.code(200).type('application/json; charset=utf-8').send(body);
}
