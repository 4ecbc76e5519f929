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
