/**
 * The 'mbv3' extractor (frozen MobileNetV3 + trainable light decoder): output shapes, gradients on the wasm engine
 * for every decoder parameter, batch-norm running statistics, determinism, save/rebuild, bad input, tensor hygiene.
 *
 * Tolerances: forward vs forwardFromFrozen∘frozenForward and rebuilt vs original are the same kernels on the same
 * inputs, compared with rtol 1e-6, atol 1e-6.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import { decoderTensorNames } from '../../../src/nn/light-decoder.js';
import { createMbv3Extractor, loadMbv3Extractor } from '../../../src/nn/mbv3-extractor.js';
import type { Extractor } from '../../../src/nn/types.js';
import { createRng, normal, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';
import { centralDifference } from '../../helpers/finite-diff.js';

const SAME = { rtol: 1e-6, atol: 1e-6 };
let ex: Extractor;

function testImages(b: number, h: number, w: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  const v = new Float32Array(b * h * w * 3);
  for (let i = 0; i < v.length; i++) v[i] = 255 * uniform(rng);
  return tf.tensor4d(v, [b, h, w, 3]);
}

function snapshot(rec: Record<string, tf.Tensor>): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(rec).map(([k, t]) => [k, t.dataSync() as Float32Array]));
}

/** Puts the running statistics back (so test order does not matter). */
function restoreState(snap: Record<string, Float32Array>): void {
  tf.tidy(() => {
    for (const [k, t] of Object.entries(ex.state))
      (t as tf.Variable).assign(tf.tensor(snap[k] as Float32Array, t.shape));
  });
}

before(async () => {
  await initEngine();
  ex = await createMbv3Extractor({ embedDim: 16, channels: 32, rng: createRng(1) });
});

after(() => ex.dispose());

test('metadata, config and parameter names', () => {
  assert.equal(ex.kind, 'mbv3');
  assert.equal(ex.stride, 8);
  assert.equal(ex.sizeMultiple, 32);
  assert.equal(ex.embedDim, 16);
  assert.deepEqual(ex.config, {
    backbone: '@vladmandic/human@3.3.6/models/centernet',
    scales: ['s8', 's32'],
    channels: 32,
    embedDim: 16,
    dropout: 0.1,
    bnMomentum: 0.1,
  });
  const names = decoderTensorNames({
    inChannels: [192, 480],
    channels: 32,
    embedDim: 16,
    dropout: 0.1,
    bnMomentum: 0.1,
  });
  assert.deepEqual(Object.keys(ex.params).sort(), [...names.params].sort());
  assert.deepEqual(Object.keys(ex.state).sort(), [...names.state].sort());
  assert.deepEqual(ex.params['decoder.fuse.conv.weight']?.shape, [1, 1, 64, 32]);
  assert.deepEqual(ex.params['decoder.proj.conv.weight']?.shape, [1, 1, 32, 16]);
});

for (const [h, w] of [
  [64, 96],
  [96, 128],
] as const) {
  test(`${h}x${w}: frozen maps and decoder output shapes; forward ≡ forwardFromFrozen(frozenForward)`, () => {
    const x = testImages(1, h, w, h + w);
    const maps = ex.frozenForward!(x);
    assert.deepEqual(
      maps.map((m) => m.shape),
      [
        [1, h / 8, w / 8, 192],
        [1, h / 32, w / 32, 480],
      ],
    );
    for (const m of maps) {
      const v = m.dataSync();
      assert.ok(v.every(Number.isFinite) && v.some((a) => a !== 0), `map ${m.shape} finite and non-zero`);
    }
    const y = ex.forwardFromFrozen!(maps, { training: false });
    assert.deepEqual(y.shape, [1, h / 8, w / 8, 16]);
    assert.ok(y.dataSync().every(Number.isFinite));
    const y2 = ex.forward(x, { training: false });
    expectClose(y2.dataSync(), y.dataSync(), SAME, 'forward vs composed');
    tf.dispose([x, y, y2, ...maps]);
  });
}

test('gradient of a scalar loss w.r.t. every decoder parameter is finite and non-zero (wasm)', () => {
  const x = testImages(2, 64, 96, 3);
  const maps = ex.frozenForward!(x);
  const state0 = snapshot(ex.state);
  const rng = createRng(4);
  const wts = tf.tensor4d(
    Float32Array.from({ length: 2 * 8 * 12 * 16 }, () => normal(rng)),
    [2, 8, 12, 16],
  );
  const { value, grads } = tf.variableGrads(
    () => tf.mean(tf.mul(ex.forwardFromFrozen!(maps, { training: true, seed: 11 }), wts)) as tf.Scalar,
    Object.values(ex.params),
  );
  assert.ok(Number.isFinite(value.dataSync()[0]));
  for (const [name, p] of Object.entries(ex.params)) {
    const g = grads[p.name];
    assert.ok(g !== undefined, `gradient for ${name}`);
    const v = g.dataSync();
    assert.ok(v.every(Number.isFinite), `finite gradient for ${name}`);
    assert.ok(
      v.some((a) => a !== 0),
      `non-zero gradient for ${name}`,
    );
  }
  restoreState(state0);
  tf.dispose([x, wts, value, ...maps, ...Object.values(grads)]);
});

test('decoder gradients match central differences (eval mode, full forward inside the tape)', () => {
  const x = testImages(1, 64, 96, 13);
  const rng = createRng(14);
  const wts = tf.tensor4d(
    Float32Array.from({ length: 8 * 12 * 16 }, () => normal(rng)),
    [1, 8, 12, 16],
  );
  const loss = (): tf.Scalar => tf.sum(tf.mul(ex.forward(x, { training: false }), wts));
  const { value, grads } = tf.variableGrads(loss, Object.values(ex.params));
  // one entry of the s32 branch (through the bilinear upsampling), one of the fusion BN, one of the projection
  for (const [name, idx] of [
    ['decoder.lateral1.conv.weight', 37],
    ['decoder.fuse.bn.weight', 3],
    ['decoder.proj.conv.weight', 100],
  ] as const) {
    const p = ex.params[name] as tf.Variable;
    const fd = centralDifference(p, idx, loss);
    expectClose(
      [(grads[p.name] as tf.Tensor).dataSync()[idx] as number],
      [fd],
      { rtol: 2e-2, atol: 2e-2 },
      `d loss / d ${name}[${idx}]`,
    );
  }
  tf.dispose([x, wts, value, ...Object.values(grads)]);
});

test('BN running statistics change in training mode and not in eval mode', () => {
  const x = testImages(1, 64, 64, 6);
  const maps = ex.frozenForward!(x);
  const s0 = snapshot(ex.state);
  ex.forwardFromFrozen!(maps, { training: false }).dispose();
  for (const [k, v] of Object.entries(snapshot(ex.state))) assert.deepEqual(v, s0[k], `${k} unchanged in eval`);
  ex.forwardFromFrozen!(maps, { training: true, seed: 1 }).dispose();
  for (const [k, v] of Object.entries(snapshot(ex.state))) assert.notDeepEqual(v, s0[k], `${k} updated in training`);
  // PyTorch convention: running_mean ← 0.9·running_mean + 0.1·batch mean of the lateral0 conv output
  const conv = tf.conv2d(maps[0] as tf.Tensor4D, ex.params['decoder.lateral0.conv.weight'] as tf.Tensor4D, 1, 'same');
  const want = tf.add(
    tf.mul(tf.tensor(s0['decoder.lateral0.bn.running_mean'] as Float32Array), 0.9),
    tf.mul(tf.mean(conv, [0, 1, 2]), 0.1),
  );
  expectClose(
    ex.state['decoder.lateral0.bn.running_mean']!.dataSync(),
    want.dataSync(),
    { rtol: 1e-4, atol: 1e-5 },
    'momentum 0.1',
  );
  restoreState(s0);
  tf.dispose([x, conv, want, ...maps]);
});

test('deterministic given the seeds; dropout depends on ctx.seed; training needs a seed', async () => {
  const other = await createMbv3Extractor({ embedDim: 16, channels: 32, rng: createRng(1) });
  const third = await createMbv3Extractor({ embedDim: 16, channels: 32, rng: createRng(2) });
  try {
    const a = snapshot(ex.params);
    assert.deepEqual(snapshot(other.params), a);
    assert.notDeepEqual(snapshot(third.params)['decoder.fuse.conv.weight'], a['decoder.fuse.conv.weight']);
    const x = testImages(1, 64, 64, 8);
    const state0 = snapshot(ex.state);
    const run = (e: Extractor, seed: number): Float32Array => {
      const y = e.forward(x, { training: true, seed });
      const v = y.dataSync() as Float32Array;
      y.dispose();
      return v;
    };
    const ya = run(ex, 5);
    assert.deepEqual(run(other, 5), ya);
    assert.notDeepEqual(run(other, 6), ya);
    assert.throws(
      () => ex.forward(x, { training: true }),
      (e: unknown) => e instanceof ValueError && /ctx\.seed/.test(e.message),
    );
    restoreState(state0);
    x.dispose();
  } finally {
    other.dispose();
    third.dispose();
  }
});

test('rebuild from config + named tensors gives the same eval output; bad saves are refused', async () => {
  const tensors: Record<string, tf.Tensor> = { ...ex.params, ...ex.state };
  const before = tf.memory().numTensors;
  const copy = await loadMbv3Extractor(ex.config, tensors);
  const owned = Object.keys(tensors).length;
  assert.ok(tf.memory().numTensors - before > owned, 'rebuilt extractor owns its tensors and a backbone');
  const x = testImages(1, 64, 64, 10);
  try {
    const y1 = ex.forward(x, { training: false });
    const y2 = copy.forward(x, { training: false });
    expectClose(y2.dataSync(), y1.dataSync(), SAME, 'rebuilt extractor');
    tf.dispose([y1, y2]);
    const { ['decoder.fuse.conv.weight']: _dropped, ...missing } = tensors;
    await assert.rejects(
      loadMbv3Extractor(ex.config, missing),
      (e: unknown) => e instanceof FormatError && /decoder\.fuse\.conv\.weight' is missing/.test(e.message),
    );
    await assert.rejects(
      loadMbv3Extractor({ ...ex.config, embedDim: 8 }, tensors),
      (e: unknown) => e instanceof FormatError && /expected \[1, 1, 32, 8\]/.test(e.message),
    );
    await assert.rejects(loadMbv3Extractor({ ...ex.config, extra: 1 }, tensors), FormatError);
  } finally {
    copy.dispose();
    x.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'rebuild + dispose leaves no tensors behind');
});

test('non-multiple-of-32 sizes are rejected by forward', () => {
  const x = tf.zeros([1, 64, 80, 3]) as tf.Tensor4D;
  assert.throws(
    () => ex.forward(x, { training: false }),
    (e: unknown) => e instanceof ValueError && /multiple of 32/.test(e.message),
  );
  x.dispose();
});

test('no tensor leaks: eval and training forwards add only their output; dispose frees everything', async () => {
  const x = testImages(1, 64, 96, 12);
  ex.forward(x, { training: false }).dispose(); // warm-up
  const state0 = snapshot(ex.state);
  for (const training of [false, true]) {
    const before = tf.memory().numTensors;
    const y = ex.forward(x, { training, seed: 3 });
    assert.equal(tf.memory().numTensors, before + 1, `training=${training}`);
    y.dispose();
  }
  restoreState(state0);
  const before = tf.memory().numTensors;
  const tmp = await createMbv3Extractor({ embedDim: 8, channels: 16, rng: createRng(3) });
  tmp.dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

test("projectionActivation 'none': a linear embedding (negative values), stored in the config, reloaded identically", async () => {
  const lin = await createMbv3Extractor({
    embedDim: 16,
    channels: 32,
    rng: createRng(1),
    projectionActivation: 'none',
  });
  assert.equal(lin.config['projectionActivation'], 'none');
  assert.equal(
    ex.config['projectionActivation'],
    undefined,
    'the reference ReLU stores nothing (older files unchanged)',
  );
  const x = testImages(1, 64, 96, 9);
  const y = lin.forward(x, { training: false });
  const yRelu = ex.forward(x, { training: false });
  const v = y.dataSync();
  assert.ok(
    v.some((a) => a < 0),
    'no final ReLU',
  );
  assert.ok(
    yRelu.dataSync().every((a) => a >= 0),
    'reference: ReLU output',
  );
  const tensors = { ...lin.params, ...lin.state } as Record<string, tf.Tensor>;
  const back = await loadMbv3Extractor(lin.config, tensors);
  expectClose(back.forward(x, { training: false }).dataSync(), v, SAME, 'reloaded');
  await assert.rejects(loadMbv3Extractor({ ...lin.config, projectionActivation: 'gelu' }, tensors), /'relu' or 'none'/);
  tf.dispose([x, y, yRelu]);
});

test("scales ['s4', 's8', 's32']: decoder at stride 4 on the trainable backbone, saved and rebuilt; frozen refused", async () => {
  const fine = await createMbv3Extractor({
    embedDim: 16,
    channels: 32,
    rng: createRng(2),
    backboneMode: 'trainable',
    scales: ['s4', 's8', 's32'],
  });
  assert.equal(fine.stride, 4);
  assert.deepEqual(fine.config['scales'], ['s4', 's8', 's32']);
  assert.deepEqual(fine.params['decoder.lateral0.conv.weight']?.shape, [1, 1, 72, 32], 's4 lateral: 72 channels');
  const x = testImages(2, 64, 96, 10);
  const y = fine.forward(x, { training: false });
  assert.deepEqual(y.shape, [2, 16, 24, 16]);
  const tensors = { ...fine.params, ...fine.state } as Record<string, tf.Tensor>;
  const back = await loadMbv3Extractor(fine.config, tensors);
  assert.equal(back.stride, 4);
  const y2 = back.forward(x, { training: false });
  expectClose(y2.dataSync(), y.dataSync(), SAME, 'reloaded');
  await assert.rejects(
    loadMbv3Extractor({ ...fine.config, backboneMode: 'frozen' }, tensors),
    (e: unknown) => e instanceof FormatError && /'s4' needs config 'backboneMode' 'trainable'/.test(e.message),
  );
  await assert.rejects(
    createMbv3Extractor({ rng: createRng(1), scales: ['s4', 's8', 's32'] }),
    (e: unknown) => e instanceof ValueError && /'s4' is available only with backboneMode 'trainable'/.test(e.message),
  );
  for (const scales of [['s4'], ['s8', 's4'], ['s16', 's32']] as const) {
    await assert.rejects(
      createMbv3Extractor({ rng: createRng(1), backboneMode: 'trainable', scales: [...scales] }),
      (e: unknown) => e instanceof ValueError && /must start with 's8' or 's4'/.test(e.message),
      scales.join(','),
    );
  }
  tf.dispose([x, y, y2]);
  fine.dispose();
  back.dispose();
});
