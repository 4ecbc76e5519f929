/**
 * A bounded first-in-first-out work queue. Segmentation runs one job at a time (tfjs prediction is synchronous and
 * uses the whole engine), at most `maxWaiting` further jobs wait; one more is refused at once with
 * {@link QueueFullError} so the server answers 503 instead of piling up memory. A waiting job can be cancelled
 * through an AbortSignal (request timeout); a running job always runs to completion.
 */

/** The queue was full; `retryAfterSeconds` is an estimate of when a slot frees up. */
export class QueueFullError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    readonly waiting: number,
  ) {
    super(`the service is busy: ${waiting} requests are already waiting`);
    this.name = 'QueueFullError';
  }
}

/** A waiting job was cancelled before it started. */
export class QueueCancelledError extends Error {
  constructor() {
    super('the job was cancelled before it started');
    this.name = 'QueueCancelledError';
  }
}

/** Counts for health reports. */
export interface QueueStats {
  running: number;
  waiting: number;
}

interface Waiter {
  start: () => void;
}

/** Weight of the newest job in the running average of job durations. */
const DURATION_SMOOTHING = 0.2;

/** A FIFO that runs `concurrency` jobs at once with at most `maxWaiting` waiting. */
export class WorkQueue {
  private running = 0;
  private readonly waiters: Waiter[] = [];
  private idleResolvers: (() => void)[] = [];
  private averageJobMs = 1000;

  constructor(
    readonly maxWaiting: number,
    readonly concurrency = 1,
  ) {
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0)
      throw new RangeError(`WorkQueue: maxWaiting must be a non-negative integer, got ${maxWaiting}`);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError(`WorkQueue: concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Current counts. */
  stats(): QueueStats {
    return { running: this.running, waiting: this.waiters.length };
  }

  /**
   * Runs `job` when a slot is free and returns its result.
   *
   * @throws QueueFullError at once when `maxWaiting` jobs already wait; QueueCancelledError when `signal` aborts
   *   before the job started.
   */
  async run<T>(job: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new QueueCancelledError();
    if (this.running >= this.concurrency) {
      if (this.waiters.length >= this.maxWaiting)
        throw new QueueFullError(this.retryAfterSeconds(), this.waiters.length);
      await this.waitForSlot(signal);
    } else {
      this.running++;
    }
    const t0 = performance.now();
    try {
      return await job();
    } finally {
      this.averageJobMs += DURATION_SMOOTHING * (performance.now() - t0 - this.averageJobMs);
      this.release();
    }
  }

  /** Resolves when nothing runs and nothing waits (at once if already idle). */
  onIdle(): Promise<void> {
    if (this.running === 0 && this.waiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleResolvers.push(resolve));
  }

  /** Seconds until a slot is likely free: the queued work times the average job duration, at least 1. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(((this.running + this.waiters.length) * this.averageJobMs) / 1000));
  }

  /** Waits in line; the slot is handed over by {@link release} (running stays counted). */
  private waitForSlot(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new QueueCancelledError());
        this.notifyIfIdle();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Hands the slot to the next waiter, or frees it. */
  private release(): void {
    const next = this.waiters.shift();
    if (next) {
      next.start();
      return;
    }
    this.running--;
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.running !== 0 || this.waiters.length !== 0) return;
    const resolvers = this.idleResolvers;
    this.idleResolvers = [];
    for (const r of resolvers) r();
  }
}
