/**
 * Differential testing of the wasm engine and, when built, the native torch engine against the tfjs cpu backend (the
 * reference): run the same computation on each engine and compare every output — shape exactly, values exactly where the cpu result is int32, otherwise
 * within a tolerance (default rtol 1e-4, atol 1e-4: wasm kernels sum in float32 inside XNNPACK, the cpu ones in
 * float64). Dtypes are not compared: some cpu kernels (UnsortedSegmentSum) return float32 for int32 inputs.
 * Also the seeded random-array helpers the engine tests share (float32, int32 and bool test arrays).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine, type EngineName } from '../../src/engine/engine.js';
import { torchAvailability } from '../../src/engine/torch/init.js';
import { normal, randInt, uniform, type Rng } from '../../src/random.js';
import { expectClose, type Tolerance } from './close.js';

/** Default cpu-vs-wasm tolerance. */
export const ENGINE_TOL: Tolerance = { rtol: 1e-4, atol: 1e-4 };

/** Values and shape of a test array, created once and turned into a tensor on each engine. */
export interface Arr {
  values: Float32Array;
  shape: number[];
}

/** Standard-normal array of `shape` drawn from `rng`. */
export function randArr(rng: Rng, shape: number[]): Arr {
  const values = new Float32Array(shape.reduce((a, d) => a * d, 1));
  for (let i = 0; i < values.length; i++) values[i] = normal(rng);
  return { values, shape };
}

/** A float32 tensor of `a` on the active engine. */
export function toTensor(a: Arr): tf.Tensor {
  return tf.tensor(a.values, a.shape);
}

/** A test array of any engine dtype, created once and turned into a tensor on each engine by {@link typedTensor}. */
export interface TypedArr {
  values: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
}

/** Number of elements of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** float32 normal values times `scale`; the first elements are `first` (special values), the rest are drawn. */
export function floatArr(rng: Rng, shape: number[], scale = 1, first: readonly number[] = []): TypedArr {
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = i < first.length ? (first[i] as number) : scale * normal(rng);
  return { values, shape, dtype: 'float32' };
}

/** Integers drawn uniformly from [lo, hi], as `dtype` (float32 arrays of integers have many exact ties). */
export function intArr(
  rng: Rng,
  shape: number[],
  lo: number,
  hi: number,
  dtype: 'int32' | 'float32' = 'int32',
): TypedArr {
  const values = dtype === 'int32' ? new Int32Array(sizeOf(shape)) : new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = lo + randInt(rng, hi - lo + 1);
  return { values, shape, dtype };
}

/** bool values, each true with probability `pTrue`. */
export function boolArr(rng: Rng, shape: number[], pTrue = 0.5): TypedArr {
  const values = new Uint8Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = uniform(rng) < pTrue ? 1 : 0;
  return { values, shape, dtype: 'bool' };
}

/** A tensor of `d` (its dtype) on the active engine. */
export function typedTensor(d: TypedArr): tf.Tensor {
  return tf.tensor(d.values, d.shape, d.dtype);
}

/** float32 (normal), int32 (in [-50, 49]) and bool versions of one shape, each as a tensor factory. */
export function allDtypes(rng: Rng, shape: number[]): [string, () => tf.Tensor][] {
  const f = randArr(rng, shape);
  const i = intArr(rng, shape, -50, 49);
  const b = boolArr(rng, shape);
  return [
    ['float32', () => toTensor(f)],
    ['int32', () => typedTensor(i)],
    ['bool', () => typedTensor(b)],
  ];
}

interface Output {
  shape: number[];
  dtype: string;
  values: ArrayLike<number>;
}

/** The native torch engine is compared too when its addon was built (it is in CI: the test command installs it). */
export function nativeEngineBuilt(): boolean {
  return torchAvailability().available;
}

/** The engines compared against cpu: wasm, and torch when built. */
export function enginesUnderTest(): EngineName[] {
  return nativeEngineBuilt() ? ['wasm', 'torch'] : ['wasm'];
}

function runOn(engine: EngineName, compute: (engine: EngineName) => tf.Tensor | tf.Tensor[]): Output[] {
  const outs = tf.tidy(() => [compute(engine)].flat());
  const res = outs.map((t) => ({ shape: t.shape, dtype: t.dtype, values: t.dataSync() as ArrayLike<number> }));
  tf.dispose(outs);
  return res;
}

/**
 * Runs `compute` on the cpu engine and then on each engine of `engines` (default {@link enginesUnderTest}; inside
 * `tf.tidy`) and compares every output with cpu's; `compute` gets the engine name for the rare case where the cpu
 * reference must be computed differently.
 */
export async function compareEngines(
  what: string,
  compute: (engine: EngineName) => tf.Tensor | tf.Tensor[],
  tol: Tolerance = ENGINE_TOL,
  engines: readonly EngineName[] = enginesUnderTest(),
): Promise<void> {
  await initEngine('cpu');
  const cpu = runOn('cpu', compute);
  for (const engine of engines) {
    await initEngine(engine);
    const other = runOn(engine, compute);
    assert.equal(other.length, cpu.length, `${what} (${engine}): number of outputs`);
    cpu.forEach((c, i) => {
      const w = other[i]!;
      assert.deepEqual(w.shape, c.shape, `${what} (${engine}) [output ${i}]: shape`);
      if (c.dtype === 'int32' || c.dtype === 'bool')
        assert.deepEqual(
          Array.from(w.values),
          Array.from(c.values),
          `${what} (${engine}) [output ${i}]: ${c.dtype} values`,
        );
      else expectClose(w.values, c.values, tol, `${what} (${engine}) [output ${i}]`);
    });
  }
}

/**
 * For `test(name, { skip: torchSkip() }, fn)`: false when the native engine is built, else the reason, which
 * node:test prints as the skip message (CI builds it, so there nothing is skipped).
 */
export function torchSkip(): string | false {
  const a = torchAvailability();
  return a.available ? false : `SKIPPED: ${a.reason}`;
}
