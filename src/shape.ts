import { ShapeError, ValueError } from './errors.js';

/** One expected dimension: an exact size, a symbolic name (any size, but equal wherever the name repeats), or null (any). */
export type Dim = number | string | null;

/**
 * Checks `shape` against `expected` and returns the sizes bound to symbolic names.
 * Throws a ShapeError naming the function, the argument and both shapes.
 *
 * @example assertShape(feats.shape, ['N', 'D'], 'feats', 'componentLogDensity', { D: 64 })
 */
export function assertShape(
  shape: readonly number[],
  expected: readonly Dim[],
  argName: string,
  fnName: string,
  bound: Record<string, number> = {},
): Record<string, number> {
  const names = { ...bound };
  const want = `[${expected.map((d) => (d === null ? '?' : typeof d === 'string' && names[d] !== undefined ? `${d}=${names[d]}` : String(d))).join(', ')}]`;
  const fail = (): never => {
    throw new ShapeError(`${fnName}: argument '${argName}' has shape [${shape.join(', ')}], expected ${want}`);
  };
  if (shape.length !== expected.length) fail();
  expected.forEach((d, i) => {
    const size = shape[i] as number;
    if (typeof d === 'number' && size !== d) fail();
    if (typeof d === 'string') {
      const prev = names[d];
      if (prev === undefined) names[d] = size;
      else if (prev !== size) fail();
    }
  });
  return names;
}

/** Checks that a flat array holds exactly `prod(shape)` values. */
export function assertLength(length: number, shape: readonly number[], argName: string, fnName: string): void {
  const want = shape.reduce((a, b) => a * b, 1);
  if (length !== want) {
    throw new ShapeError(
      `${fnName}: argument '${argName}' has ${length} values, expected ${want} for shape [${shape.join(', ')}]`,
    );
  }
}

/** Checks that every value is finite; reports the first bad index and value. */
export function assertFinite(values: ArrayLike<number>, argName: string, fnName: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      throw new ValueError(
        `${fnName}: argument '${argName}' has a non-finite value ${v} at flat index ${i}; NaN/Inf features are not fed into the GMM`,
      );
    }
  }
}

/** Checks that `value` is an integer in [min, max]. */
export function assertInt(value: number, min: number, max: number, argName: string, fnName: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValueError(`${fnName}: argument '${argName}' must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** Product of the dimensions. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
