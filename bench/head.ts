/**
 * `npm run bench:head [-- --json] [--engine wasm|cpu] [--reps N]`: GMM-head log-density throughput on
 * 65536 px × 64 D × 19 classes × 5 components, beside plain tfjs matMuls timed in the same run on the same engine:
 *   - `matmulD`: [N, D] × [D, C·K] (a plain GEMM of the same input/output shapes),
 *   - `matmul2D`: [N, 2D] × [2D, C·K] (the GEMM the head itself performs).
 * Prints medians (ms) and the ratios head / matmulD and head / matmul2D.
 */
import * as tf from '@tensorflow/tfjs';
import { initEngine, parseEngineName } from '../src/engine/engine.js';
import { classScoresChunked } from '../src/gmm/class-scores.js';
import { componentLogDensity, densityMatrix, densityTensors } from '../src/gmm/log-density.js';
import { createRng, normal, uniform } from '../src/random.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const reps = Number(flag('--reps') ?? 15);
const engineArg = flag('--engine');
const engine = await initEngine(engineArg ? parseEngineName(engineArg, '--engine') : undefined);

const [N, D, C, K] = [65536, 64, 19, 5];
const J = C * K;
const rng = createRng(1);
const feats = Float32Array.from({ length: N * D }, () => normal(rng) / 8);
const means = Float32Array.from({ length: J * D }, () => normal(rng) / 8);
const stds = Float32Array.from({ length: J * D }, () => 0.1 + uniform(rng));
const x = tf.tensor2d(feats, [N, D]);
const x2 = tf.concat([tf.square(x), x], 1);
const wD = tf.tensor2d(
  Float32Array.from({ length: D * J }, () => normal(rng)),
  [D, J],
);
const w2D = tf.tensor2d(
  Float32Array.from({ length: 2 * D * J }, () => normal(rng)),
  [2 * D, J],
);
const dt = densityTensors(densityMatrix(means, stds, J, D));

/** Forces completion on any engine by reading one element (reading the whole output would time the copy, not the op). */
function finish(t: tf.Tensor): void {
  tf.tidy(() => tf.slice(tf.reshape(t, [-1]), 0, 1).dataSync());
}

/** Medians of interleaved runs (A, B, C, A, B, C, …) so machine noise hits every variant alike. */
function medians(fns: Record<string, () => tf.Tensor>): Record<string, number> {
  const times: Record<string, number[]> = {};
  for (const [k, fn] of Object.entries(fns)) {
    times[k] = [];
    for (let i = 0; i < 3; i++) {
      const o = fn();
      finish(o);
      o.dispose();
    }
  }
  for (let r = 0; r < reps; r++) {
    for (const [k, fn] of Object.entries(fns)) {
      const t0 = performance.now();
      const out = fn();
      finish(out);
      (times[k] as number[]).push(performance.now() - t0);
      out.dispose();
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([k, v]) => [k, v.sort((a, b) => a - b)[Math.floor(v.length / 2)] as number]),
  );
}

const m = medians({
  head: () => componentLogDensity(x, dt),
  matmulD: () => tf.matMul(x, wD),
  matmul2D: () => tf.matMul(x2, w2D),
  classMax: () => classScoresChunked(x, dt, C, K, 'max', N),
});
const headMs = m['head'] as number;
const matmulDMs = m['matmulD'] as number;
const matmul2DMs = m['matmul2D'] as number;
const classMaxMs = m['classMax'] as number;
const gflop = (2 * N * 2 * D * J) / 1e9;
const result = {
  engine,
  shape: { pixels: N, embedDim: D, classes: C, componentsPerClass: K },
  reps,
  headMs,
  matmulDMs,
  matmul2DMs,
  classScoresMaxMs: classMaxMs,
  ratioVsMatmulD: headMs / matmulDMs,
  ratioVsMatmul2D: headMs / matmul2DMs,
  headGflops: gflop / (headMs / 1000),
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(`bench:head  engine ${engine}, N=${N} D=${D} C=${C} K=${K}, median of ${reps}`);
  console.log(
    `  head log-density [N, C·K]      ${headMs.toFixed(1)} ms  (${result.headGflops.toFixed(1)} GFLOP/s on its 2D-deep GEMM)`,
  );
  console.log(`  + max over K (class scores)    ${classMaxMs.toFixed(1)} ms`);
  console.log(
    `  plain matMul [N,D]×[D,C·K]     ${matmulDMs.toFixed(1)} ms   ratio head/matmul ${result.ratioVsMatmulD.toFixed(2)}`,
  );
  console.log(
    `  plain matMul [N,2D]×[2D,C·K]   ${matmul2DMs.toFixed(1)} ms   ratio head/matmul ${result.ratioVsMatmul2D.toFixed(2)}`,
  );
}
