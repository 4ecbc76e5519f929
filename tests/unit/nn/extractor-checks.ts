/** Shared checks of the Extractor contract for the nn tests (not a test file itself). */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng, uniform } from '../../../src/random.js';
import { createSoftmaxHead, disposeSoftmaxHead, softmaxHeadLogits } from '../../../src/nn/softmax-head.js';
import type { Extractor } from '../../../src/nn/types.js';
import { expectClose } from '../../helpers/close.js';

/** Deterministic 0..255 noise images [B, H, W, 3]. */
export function noiseImages(B: number, H: number, W: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  const v = new Float32Array(B * H * W * 3);
  for (let i = 0; i < v.length; i++) v[i] = Math.floor(uniform(rng) * 256);
  return tf.tensor4d(v, [B, H, W, 3]);
}

/** Eval-mode output shapes for each size, finite values. */
export function checkShapes(ex: Extractor, sizes: [number, number][]): void {
  for (const [H, W] of sizes) {
    const y = ex.forward(noiseImages(2, H, W, H * 31 + W), { training: false });
    assert.deepEqual(y.shape, [2, H / ex.stride, W / ex.stride, ex.embedDim], `output shape for ${H}×${W}`);
    assert.ok(y.dataSync().every(Number.isFinite), `finite output for ${H}×${W}`);
    y.dispose();
  }
}

/** Every parameter gets a finite, non-zero gradient from a scalar loss (training mode). */
export function checkGradients(ex: Extractor, H: number, W: number): void {
  const x = noiseImages(2, H, W, 5);
  const r = tf.randomNormal([2, H / ex.stride, W / ex.stride, ex.embedDim], 0, 1, 'float32', 6);
  const names = Object.keys(ex.params);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(ex.forward(x, { training: true, seed: 1 }), r)) as tf.Scalar,
    Object.values(ex.params),
  );
  assert.ok(Number.isFinite(value.dataSync()[0]), 'finite loss');
  const byVar = new Map(Object.entries(grads));
  for (const name of names) {
    const g = byVar.get((ex.params[name] as tf.Variable).name);
    assert.ok(g, `parameter '${name}' has a gradient`);
    const a = g.abs().sum().dataSync()[0] as number;
    assert.ok(Number.isFinite(a) && a > 0, `gradient of '${name}' has |sum| ${a}`);
  }
  tf.dispose([x, r, value, ...Object.values(grads)]);
}

/** BN running statistics change in a training forward and stay in an eval forward. */
export function checkRunningStats(ex: Extractor, H: number, W: number): void {
  assert.ok(Object.keys(ex.state).length > 0, 'has running statistics');
  const snap = (): tf.TypedArray[] => Object.values(ex.state).map((t) => t.dataSync().slice());
  const x = noiseImages(2, H, W, 9);
  const before = snap();
  ex.forward(x, { training: false }).dispose();
  snap().forEach((v, i) => assert.deepEqual(v, before[i], 'eval keeps state'));
  ex.forward(x, { training: true, seed: 3 }).dispose();
  const after = snap();
  assert.ok(
    after.every((v, i) => v.some((u, j) => u !== before[i]![j])),
    'training updates every running statistic',
  );
  const { value, grads } = tf.variableGrads(
    () => tf.mean(ex.forward(x, { training: true, seed: 4 })) as tf.Scalar,
    Object.values(ex.params),
  );
  tf.dispose([value, ...Object.values(grads)]);
  const inGrad = snap(); // the update made inside a gradient scope survives it
  assert.ok(
    inGrad.every((v, i) => v.some((u, j) => u !== after[i]![j])),
    'training inside variableGrads updates the statistics',
  );
}

/** Same seed → same parameters and outputs; another seed → different parameters. */
export function checkDeterministicInit(make: (seed: number) => Extractor, H: number, W: number): void {
  const [a, b, c] = [make(11), make(11), make(12)];
  const x = noiseImages(1, H, W, 2);
  for (const k of Object.keys(a.params))
    assert.deepEqual(a.params[k]!.dataSync(), b.params[k]!.dataSync(), `param ${k}`);
  assert.deepEqual(a.forward(x, { training: false }).dataSync(), b.forward(x, { training: false }).dataSync());
  assert.ok(
    Object.keys(a.params).some((k) => a.params[k]!.dataSync().some((u, i) => u !== c.params[k]!.dataSync()[i])),
    'seed matters',
  );
  [a, b, c].forEach((e) => e.dispose());
}

/** Save (config + params + state) → rebuild gives identical eval outputs; the original's later updates don't leak. */
export function checkSaveLoad(
  ex: Extractor,
  load: (config: Record<string, unknown>, tensors: Record<string, tf.Tensor>) => Extractor,
  H: number,
  W: number,
): void {
  const x = noiseImages(2, H, W, 4);
  ex.forward(x, { training: true, seed: 2 }).dispose(); // non-trivial running stats
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries({ ...ex.params, ...ex.state })) tensors[k] = v.clone();
  const copy = load(JSON.parse(JSON.stringify(ex.config)) as Record<string, unknown>, tensors);
  assert.equal(copy.kind, ex.kind);
  assert.deepEqual(copy.forward(x, { training: false }).dataSync(), ex.forward(x, { training: false }).dataSync());
  copy.dispose();
  tf.dispose(Object.values(tensors));
}

/**
 * A fine-tunable backbone inside an extractor: a loss on the training-mode output of `x` reaches the parameter
 * `names.first` (finite, non-zero gradient); after `names.late` is scaled by 1.5 the saved params + state rebuild
 * through `load` to the same eval output (rtol 1e-6, atol 1e-6). Returns the saved tensors (the extractor's own) and
 * the eval output after the change (the caller disposes it).
 */
export async function checkFineTuneRoundTrip(
  ex: Extractor,
  x: tf.Tensor4D,
  names: { first: string; late: string },
  load: (config: Extractor['config'], tensors: Record<string, tf.Tensor>) => Promise<Extractor>,
): Promise<{ saved: Record<string, tf.Tensor>; output: tf.Tensor }> {
  const [b, h, w] = x.shape;
  const wts = tf.randomNormal([b, h / ex.stride, w / ex.stride, ex.embedDim], 0, 1, 'float32', 32);
  const first = ex.params[names.first] as tf.Variable;
  const { value, grads } = tf.variableGrads(
    () => tf.mean(tf.mul(ex.forward(x, { training: true, seed: 3 }), wts)) as tf.Scalar,
    [first],
  );
  const g = (grads[first.name] as tf.Tensor).dataSync();
  assert.ok(g.every(Number.isFinite) && g.some((a) => a !== 0), `gradient for ${names.first} through the extractor`);
  const late = ex.params[names.late] as tf.Variable;
  tf.tidy(() => late.assign(tf.mul(late, 1.5)));
  const saved = { ...ex.params, ...ex.state } as Record<string, tf.Tensor>;
  const re = await load(ex.config, saved);
  assert.equal(re.kind, ex.kind);
  const output = ex.forward(x, { training: false });
  const again = re.forward(x, { training: false });
  expectClose(again.dataSync(), output.dataSync(), { rtol: 1e-6, atol: 1e-6 }, 'rebuilt vs original');
  tf.dispose([wts, value, again, ...Object.values(grads)]);
  re.dispose();
  return { saved, output };
}

/**
 * A few Adam steps on a toy 2-class task (left half dark noise = class 0, right half bright noise = class 1) with a
 * softmax head lower the training-mode cross-entropy. Returns [first, last] loss.
 */
export function trainToy(ex: Extractor, H: number, steps: number, lr = 1e-2): [number, number] {
  const rng = createRng(21);
  const v = new Float32Array(2 * H * H * 3);
  for (let i = 0; i < v.length; i++) v[i] = Math.floor(uniform(rng) * 128) + ((i / 3) % H >= H / 2 ? 128 : 0);
  const x = tf.tensor4d(v, [2, H, H, 3]);
  const h = H / ex.stride;
  const lab = tf.tidy(() =>
    tf.oneHot(tf.cast(tf.greaterEqual(tf.range(0, h), h / 2), 'int32'), 2).reshape([1, 1, h, 2]),
  );
  const head = createSoftmaxHead({ embedDim: ex.embedDim, classes: 2, rng: createRng(3) });
  const opt = tf.train.adam(lr);
  const vars = [...Object.values(ex.params), ...Object.values(head.params)];
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = opt.minimize(
      () => {
        const logp = tf.logSoftmax(softmaxHeadLogits(head, ex.forward(x, { training: true, seed: 7 })));
        return tf.neg(tf.mean(tf.sum(tf.mul(logp, lab), -1))) as tf.Scalar;
      },
      true,
      vars,
    ) as tf.Scalar;
    losses.push(loss.dataSync()[0] as number);
    loss.dispose();
  }
  opt.dispose();
  disposeSoftmaxHead(head);
  tf.dispose([x, lab]);
  assert.ok(losses.every(Number.isFinite), `finite losses ${losses.join(', ')}`);
  const first = losses[0] as number;
  const last = losses[losses.length - 1] as number;
  assert.ok(last < first * 0.85, `loss should drop: ${losses.map((l) => l.toFixed(4)).join(' → ')}`);
  return [first, last];
}

/** Compare helper for callers. */
export { expectClose };
