/**
 * Property-based fuzzing with fast-check, the same way in every fuzz test: fixed seeds (a failure is reproducible and
 * CI sees the same inputs every run), bounded run counts (seconds per file), and byte mutations of valid files
 * (flips, truncations, insertions, overwrites, splices) that reach past the first checks of a decoder.
 *
 * The property is always the same: the function returns a correct result or throws one of the library's typed
 * errors (a GmmsegError subclass) — never another exception, and never a hang (each test has a timeout).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GmmsegError } from '../../src/errors.js';

/** fast-check parameters: a fixed seed per test file and a bounded number of runs. */
export function fuzzParams(seed: number, numRuns: number): fc.Parameters<unknown> {
  return { seed, numRuns, endOnFailure: true };
}

/** One edit of a byte string. */
type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array }
  | { kind: 'repeat'; at: number; length: number };

/**
 * A relative position in [0, 1), uniform: fast-check's doubles are spread over their bit patterns and its biased
 * integers favour the ends of a range, either of which would keep hitting the first bytes (the magic).
 */
const position = fc.noBias(fc.integer({ min: 0, max: 2 ** 32 - 1 })).map((n) => n / 2 ** 32);
const someBytes = fc.uint8Array({ minLength: 1, maxLength: 16 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, bytes: someBytes }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('overwrite' as const), at: position, bytes: someBytes }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('repeat' as const),
      at: position,
      length: fc.integer({ min: 1, max: 64 }),
    }),
  },
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = Math.floor(m.at * bytes.length);
  switch (m.kind) {
    case 'flip': {
      const out = Uint8Array.from(bytes);
      if (out.length > 0) out[at] = (out[at] as number) ^ m.mask;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at);
    case 'insert':
      return concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
    case 'overwrite': {
      const out = Uint8Array.from(bytes);
      out.set(m.bytes.subarray(0, Math.max(0, out.length - at)), at);
      return out;
    }
    case 'repeat':
      return concat(bytes.subarray(0, at + m.length), bytes.subarray(at));
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `valid` with 1–4 random edits applied (the edits are shrinkable, so a failure reports a small one). */
export function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => ms.reduce(apply, valid));
}

/** Either a mutation of one of `valid` or plain random bytes (mostly mutations: they get further). */
export function hostileBytes(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom(...valid).chain(mutated) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  );
}

/** Runs `fn`: its result, or undefined when it threw a typed library error; any other exception fails the test. */
export function typedOrResult<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    assertTyped(e);
    return undefined;
  }
}

/** Async {@link typedOrResult}. */
export async function typedOrResultAsync<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    assertTyped(e);
    return undefined;
  }
}

/** Fails unless `e` is a GmmsegError with a non-empty message (anything else is rethrown: a crash, a bug). */
export function assertTyped(e: unknown): void {
  if (!(e instanceof GmmsegError)) throw e;
  assert.ok(e.message.length > 0, 'a typed error has a message');
}
