/**
 * Differential testing of the wasm engine and, when built, the native torch engine against the tfjs cpu backend (the
 * reference): run the same computation on each engine and compare every output — shape exactly, values exactly where the cpu result is int32, otherwise
 * within a tolerance (default rtol 1e-4, atol 1e-4: wasm kernels sum in float32 inside XNNPACK, the cpu ones in
 * float64). Dtypes are not compared: some cpu kernels (UnsortedSegmentSum) return float32 for int32 inputs.
 * Also the random-array helpers the engine tests share.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine, type EngineName } from '../../src/engine/engine.js';
import { torchAvailability } from '../../src/engine/torch/init.js';
import { normal, type Rng } from '../../src/random.js';
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
      if (c.dtype === 'int32' || c.dtype === 'bool') assert.deepEqual(Array.from(w.values), Array.from(c.values), `${what} (${engine}) [output ${i}]: ${c.dtype} values`);
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
