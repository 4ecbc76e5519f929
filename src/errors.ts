/**
 * Typed errors. Library code throws these for user-facing problems (bad shapes, bad values, bad files);
 * the CLI prints their message without a stack trace. Anything else that escapes is a bug.
 */

/** Base class of every error the library raises on purpose. */
export class GmmsegError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor or array argument has the wrong shape, rank or dtype. */
export class ShapeError extends GmmsegError {}

/** An argument has a value out of range, a non-finite number, or an unknown option. */
export class ValueError extends GmmsegError {}

/** A model file or fixture is truncated, corrupt, of another format version, or inconsistent. */
export class FormatError extends GmmsegError {}

/** A requested engine (backend) or kernel is not available. */
export class EngineError extends GmmsegError {}

/** An error as it crosses a worker-thread boundary (structured clone keeps no class). */
export interface PostedError {
  name: string;
  message: string;
}

/** The name and message of anything thrown, for posting to another thread. */
export function postedError(e: unknown): PostedError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message };
}

const POSTED_CLASSES: Record<string, new (message: string) => Error> = {
  ShapeError,
  ValueError,
  FormatError,
  EngineError,
  GmmsegError,
};

/** A posted error rebuilt with its class (the library's own; any other becomes an Error) and its message. */
export function errorFromPosted(p: PostedError): Error {
  return new (POSTED_CLASSES[p.name] ?? Error)(p.message);
}
