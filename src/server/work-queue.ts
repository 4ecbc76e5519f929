/**
 * A bounded first-in-first-out work queue, counted from each request's arrival. A request takes a place with
 * {@link WorkQueue.admit} as soon as its headers are read (before its body arrives), so nothing waits unseen: at most
 * `concurrency` jobs run and `maxWaiting` further admitted requests wait (still receiving their body, or in line);
 * one more is refused at once with {@link QueueFullError} so the server answers 503 instead of piling up memory.
 * A waiting job can be cancelled through an AbortSignal; cancelling a running job is the job's own business
 * (the worker pool kills its worker).
 */

/** The queue was full; `retryAfterSeconds` is an estimate of when a place frees up. */
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

/** Counts for health reports: jobs running, and admitted requests not running (receiving or in line). */
export interface QueueStats {
  running: number;
  waiting: number;
}

/** Weight of the newest job in the running average of job durations. */
const DURATION_SMOOTHING = 0.2;

/** One admitted request's place: run its job once, then release the place (idempotent). */
export interface Admission {
  /** Waits for a free slot (FIFO among the callers of `run`) and runs `job` there. */
  run<T>(job: () => Promise<T> | T, signal?: AbortSignal): Promise<T>;
  /** Gives the place back; while the job runs, the place is given back when it ends. */
  release(): void;
}

/** A FIFO that runs `concurrency` jobs at once with at most `maxWaiting` further requests admitted. */
export class WorkQueue {
  private admitted = 0;
  private running = 0;
  private readonly line: (() => void)[] = [];
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
    return { running: this.running, waiting: this.admitted - this.running };
  }

  /**
   * Takes a place for a request that just arrived.
   *
   * @throws QueueFullError when `concurrency + maxWaiting` requests are already admitted.
   */
  admit(): Admission {
    if (this.admitted >= this.concurrency + this.maxWaiting)
      throw new QueueFullError(this.retryAfterSeconds(), this.admitted - this.running);
    this.admitted++;
    type State = 'admitted' | 'running' | 'releasing' | 'released';
    let state = 'admitted' as State;
    const end = (): void => {
      state = 'released';
      this.admitted--;
      this.notifyIfIdle();
    };
    return {
      run: async <T>(job: () => Promise<T> | T, signal?: AbortSignal): Promise<T> => {
        if (state !== 'admitted') throw new Error('WorkQueue: an admission runs one job, before its release');
        await this.takeSlot(signal);
        state = 'running';
        try {
          return await this.timed(job);
        } finally {
          this.freeSlot();
          if ((state as State) === 'releasing') end();
          else state = 'admitted';
        }
      },
      release: () => {
        if (state === 'admitted') end();
        else if (state === 'running') state = 'releasing';
      },
    };
  }

  /**
   * Admits, runs `job` and releases: {@link admit} and {@link Admission.run} in one call.
   *
   * @throws QueueFullError at once when the queue is full; QueueCancelledError when `signal` aborts before the job
   *   started.
   */
  async run<T>(job: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    const admission = this.admit();
    try {
      return await admission.run(job, signal);
    } finally {
      admission.release();
    }
  }

  /** Resolves when nothing runs and nothing is admitted (at once if already idle). */
  onIdle(): Promise<void> {
    if (this.admitted === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleResolvers.push(resolve));
  }

  /** Seconds until a place is likely free: the admitted work times the average job duration, at least 1. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.admitted * this.averageJobMs) / Math.max(1, this.concurrency) / 1000));
  }

  private async timed<T>(job: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await job();
    } finally {
      this.averageJobMs += DURATION_SMOOTHING * (performance.now() - t0 - this.averageJobMs);
    }
  }

  /** Resolves when a slot is this caller's: at once when one is free and nobody is in line, else in FIFO order. */
  private takeSlot(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new QueueCancelledError());
    if (this.running < this.concurrency && this.line.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const start = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.line.indexOf(start);
        if (i >= 0) this.line.splice(i, 1);
        reject(new QueueCancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.line.push(start);
    });
  }

  /** Hands the slot to the next in line (running stays counted), or frees it. */
  private freeSlot(): void {
    const next = this.line.shift();
    if (next) next();
    else this.running--;
  }

  private notifyIfIdle(): void {
    if (this.admitted !== 0) return;
    const resolvers = this.idleResolvers;
    this.idleResolvers = [];
    for (const r of resolvers) r();
  }
}
