/**
 * The body deadline of one request: the whole body must arrive within `timeoutMs` of the request's arrival, so a
 * client that trickles its body (1 byte every 0.5 s) cannot hold a connection and a queue place for long. At the
 * deadline the reading fails with HttpError 408 'body_timeout' (with `Connection: close`, so the connection is freed
 * once the answer is written):
 * - raw bodies: the stream Fastify reads ({@link BodyDeadline.wrap}, from a preParsing hook) is destroyed with it;
 * - multipart forms (read by the route itself): the form parser is failed through {@link BodyDeadline.onExpire}.
 */
import { PassThrough, type Readable } from 'node:stream';
import { HttpError } from './errors.js';

/** A running deadline; `stop()` once the body is complete. */
export class BodyDeadline {
  private readonly error: HttpError;
  private readonly listeners: ((e: HttpError) => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private fired = false;

  constructor(readonly timeoutMs: number) {
    this.error = new HttpError(
      408,
      'body_timeout',
      `the request body did not arrive within the body timeout of ${timeoutMs} ms; send it at once`,
      { connection: 'close' },
    );
    this.timer = setTimeout(() => this.fire(), timeoutMs);
  }

  /** Whether the deadline has passed with the body incomplete. */
  get hasFired(): boolean {
    return this.fired;
  }

  /** Stops the clock (the body is complete, or the request is answered). */
  stop(): void {
    clearTimeout(this.timer);
  }

  /** A stream that passes `payload` through and fails with the 408 error at the deadline. */
  wrap(payload: Readable): Readable {
    const out = new PassThrough();
    // the reader (Fastify's body parser) listens while it reads; an error after it is done must not go unhandled
    out.on('error', () => undefined);
    payload.on('error', (e) => out.destroy(e));
    payload.pipe(out);
    this.listeners.push((e) => {
      payload.unpipe(out);
      out.destroy(e);
    });
    return out;
  }

  /** Calls `listener` with the 408 error when the deadline passes (not after `stop()`). */
  onExpire(listener: (e: HttpError) => void): void {
    this.listeners.push(listener);
  }

  private fire(): void {
    this.fired = true;
    for (const l of this.listeners.splice(0)) l(this.error);
  }
}
