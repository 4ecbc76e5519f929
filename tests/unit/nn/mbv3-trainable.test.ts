/**
 * The trainable MobileNetV3 (the centernet graph interpreted with the project's ops, weights as named variables):
 * equal to the frozen GraphModel at initialisation, differentiable end to end, clear errors on unsupported ops, and
 * wired into the 'mbv3' extractor (`backboneMode: 'trainable'`: params, forward, save/rebuild).
 *
 * Tolerances: trainable vs GraphModel maps run the same kernels (fused conv + bias + activation) on the same fp16-decoded
 * weights, so they agree to float32 rounding: |a − e| ≤ 1e-4·max|e| + 1e-4·|e| (atol relative to the map's scale).
 * Gradients vs central differences (h = 1e-2 on a bias): rtol 2e-2, atol 2e-2·max|g|, float32 loss sums.
 * Rebuilt vs original extractor: same kernels, same values: rtol 1e-6, atol 1e-6.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import {
  buildMbv3Backbone,
  disposeMbv3Backbone,
  MBV3_NODES,
  mbv3FrozenMaps,
  readMbv3Artifacts,
  type Mbv3Artifacts,
  type Mbv3Backbone,
} from '../../../src/nn/mbv3-backbone.js';
import { createMbv3Extractor, loadMbv3Extractor } from '../../../src/nn/mbv3-extractor.js';
import { parseGraphProgram } from '../../../src/nn/mbv3-graph.js';
import {
  createMbv3Trainable,
  disposeMbv3Trainable,
  mbv3TrainableMaps,
  mbv3TrainableScales,
  type Mbv3Trainable,
} from '../../../src/nn/mbv3-trainable.js';
import { createRng, normal, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';
import { centralDifference } from '../../helpers/finite-diff.js';
import { checkFineTuneRoundTrip } from './extractor-checks.js';

let artifacts: Mbv3Artifacts;
let frozen: Mbv3Backbone;
let tb: Mbv3Trainable;

const EARLY = ['backbone.MobilenetV3.Conv.weight', 'backbone.MobilenetV3.expanded_conv.depthwise.weight'];
const LATE = [
  'backbone.MobilenetV3.expanded_conv_14.project.weight',
  'backbone.extern1.weight',
  'backbone.extern1.bias',
];

function testImages(b: number, h: number, w: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: b * h * w * 3 }, () => 255 * uniform(rng)),
    [b, h, w, 3],
  );
}

function randomLike(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => normal(rng)),
    shape,
  );
}

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] as number));
  return m;
}

before(async () => {
  await initEngine();
  artifacts = await readMbv3Artifacts();
  frozen = await buildMbv3Backbone(artifacts, ['s8', 's16', 's32']);
  tb = createMbv3Trainable(artifacts);
});

after(() => {
  disposeMbv3Backbone(frozen);
  disposeMbv3Trainable(tb);
});

test('program: 192 graph ops from the input to s32 run as 132 (20 hard-swish fused), 124 named parameters (BN folded)', () => {
  assert.equal(tb.program.input, 'tower_0/images');
  assert.equal(tb.program.ops.length, 132);
  assert.equal(tb.program.ops.filter((op) => op.kind === 'hardswish').length, 20);
  const names = Object.keys(tb.params);
  assert.equal(names.length, 124);
  assert.ok(
    names.every((n) => /^backbone\..+\.(weight|bias)$/.test(n)),
    'names backbone.<scope>.weight|bias',
  );
  for (const n of [...EARLY, ...LATE]) assert.ok(tb.params[n] !== undefined, `has ${n}`);
  assert.deepEqual(tb.params['backbone.MobilenetV3.Conv.weight']?.shape, [3, 3, 3, 16]);
  assert.deepEqual(tb.params['backbone.extern1.weight']?.shape, [1, 1, 120, 480]);
  assert.ok(names.every((n) => tb.params[n]?.trainable === true));
});

test('an unsupported op raises a FormatError naming the node and the op', () => {
  const json = structuredClone(artifacts.modelJson) as { modelTopology: { node: { name: string; op: string }[] } };
  const target = 'tower_0/MobilenetV3/expanded_conv_3/squeeze_excite/Mean';
  const node = json.modelTopology.node.find((n) => n.name === target);
  assert.ok(node);
  node.op = 'FancyPool';
  assert.throws(
    () => parseGraphProgram(json, {}, ['tower_0/extern1/hard_swish/mul_1']),
    (e: unknown) => e instanceof FormatError && e.message.includes(`'${target}'`) && e.message.includes("'FancyPool'"),
  );
  assert.throws(
    () => parseGraphProgram(json, {}, ['no/such/node']),
    (e: unknown) => e instanceof FormatError && /no\/such\/node/.test(e.message),
  );
});

for (const [b, h, w] of [
  [1, 64, 96],
  [2, 64, 96],
] as const) {
  test(`${b}x${h}x${w}: s8/s16/s32 equal the GraphModel's maps at initialisation`, () => {
    const x = testImages(b, h, w, 100 + b);
    const ref = mbv3FrozenMaps(frozen, x);
    const got = mbv3TrainableMaps(tb, x);
    (['s8', 's16', 's32'] as const).forEach((s, i) => {
      const e = (ref[i] as tf.Tensor).dataSync();
      assert.deepEqual(got[s].shape, ref[i]?.shape, `${s} shape`);
      expectClose(got[s].dataSync(), e, { rtol: 1e-4, atol: 1e-4 * maxAbs(e) }, `${s} vs GraphModel`);
    });
    tf.dispose([x, ...ref, ...Object.values(got)]);
  });
}

test("s4: [B, H/4, W/4, 72], equal to the GraphModel's stride-4 node at initialisation", () => {
  const x = testImages(2, 64, 96, 11);
  const ref = tf.tidy(() => frozen.model.execute(x, MBV3_NODES.s4.node) as tf.Tensor4D);
  const got = mbv3TrainableMaps(tb, x);
  assert.deepEqual(got.s4.shape, [2, 16, 24, 72]);
  const e = ref.dataSync();
  expectClose(got.s4.dataSync(), e, { rtol: 1e-4, atol: 1e-4 * maxAbs(e) }, 's4 vs GraphModel');
  tf.dispose([x, ref, ...Object.values(got)]);
});

for (const [b, h, bandRows, scales] of [
  [1, 320, 4, ['s4', 's8', 's32']],
  [2, 192, 5, ['s8', 's16', 's32']],
  [1, 160, 8, ['s4', 's8', 's16', 's32']],
] as const) {
  test(`inference in bands of ${bandRows} rows gives the one-pass maps [${scales.join(', ')}], batch ${b}, ${h}x64`, () => {
    const w = 64;
    const x = testImages(b, h, w, 300 + h + b);
    const whole = mbv3TrainableMaps(tb, x);
    const before = tf.memory().numTensors;
    // bandPixels = B·W·8·(band rows + 2·halo rows): bands of `bandRows` stride-8 rows plus 32 input rows each side
    const banded = mbv3TrainableScales(tb, x, scales, b * w * 8 * (bandRows + 8));
    assert.equal(tf.memory().numTensors, before + scales.length, 'only the requested maps are left');
    scales.forEach((s, i) => {
      const m = banded[i] as tf.Tensor4D;
      assert.deepEqual(m.shape, whole[s].shape, `${s} shape`);
      expectClose(m.dataSync(), whole[s].dataSync(), { rtol: 1e-5, atol: 1e-4 }, `${s} banded vs one pass`);
    });
    tf.dispose([x, ...banded, ...Object.values(whole)]);
  });
}

test('a band node that is missing, or read past by a later op, is refused by name', () => {
  const x = testImages(1, 128, 64, 43);
  for (const [node, pattern] of [
    ['no/such/node', /band node 'no\/such\/node' is not in the program/],
    ['tower_0/MobilenetV3/expanded_conv_2/expand/Relu', /is no cut: '.*expanded_conv_2\/add' reads/],
  ] as const) {
    const bad = { ...tb, spec: { ...tb.spec, band: { node, stride: 8, halo: 32 } } };
    assert.throws(
      () => mbv3TrainableScales(bad, x, ['s8'], 64 * 8 * 9),
      (e: unknown) => {
        return e instanceof ValueError && pattern.test(e.message);
      },
    );
  }
  x.dispose();
});

test('a recorded (training) forward never runs in bands: gradients flow as in one pass', () => {
  const x = testImages(1, 128, 64, 41);
  const wanted = ['s4', 's8', 's32'] as const;
  const lossOf = (bandPixels: number) => (): tf.Scalar =>
    tf.tidy(() => tf.sum(tf.stack(mbv3TrainableScales(tb, x, wanted, bandPixels).map((m) => tf.mean(m)))) as tf.Scalar);
  const bias = tb.params['backbone.MobilenetV3.Conv.bias'] as tf.Variable;
  const tiny = tf.variableGrads(lossOf(64 * 8 * 9), [bias]);
  const whole = tf.variableGrads(lossOf(Infinity), [bias]);
  assert.deepEqual(tiny.grads[bias.name]?.dataSync(), whole.grads[bias.name]?.dataSync());
  tf.dispose([x, tiny.value, whole.value, ...Object.values(tiny.grads), ...Object.values(whole.grads)]);
});

test('no tensor leaks: an inference forward adds only its four maps', () => {
  const x = testImages(1, 64, 64, 7);
  const before = tf.memory().numTensors;
  const maps = mbv3TrainableMaps(tb, x);
  assert.equal(tf.memory().numTensors, before + 4);
  tf.dispose([x, ...Object.values(maps)]);
});

test('a scalar loss on s8 and s32 gives finite gradients, non-zero for early and late variables; matches differences', () => {
  const x = testImages(2, 64, 96, 21);
  const w8 = randomLike([2, 8, 12, 192], 22);
  const w32 = randomLike([2, 2, 3, 480], 23);
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      const m = mbv3TrainableMaps(tb, x);
      return tf.add(tf.mean(tf.mul(m.s8, w8)), tf.mean(tf.mul(m.s32, w32))) as tf.Scalar;
    });
  const { value, grads } = tf.variableGrads(loss, Object.values(tb.params));
  assert.ok(Number.isFinite(value.dataSync()[0]));
  let nonZero = 0;
  for (const [name, p] of Object.entries(tb.params)) {
    const v = (grads[p.name] as tf.Tensor).dataSync();
    assert.ok(v.every(Number.isFinite), `finite gradient for ${name}`);
    if (v.some((a) => a !== 0)) nonZero++;
    else assert.ok(!EARLY.includes(name) && !LATE.includes(name), `non-zero gradient for ${name}`);
  }
  assert.ok(nonZero >= 0.9 * Object.keys(tb.params).length, `${nonZero} non-zero gradients`);
  for (const [name, idx] of [
    ['backbone.MobilenetV3.expanded_conv_1.expand.bias', 5],
    ['backbone.extern1.bias', 7],
  ] as const) {
    const p = tb.params[name] as tf.Variable;
    const fd = centralDifference(p, idx, loss);
    const g = (grads[p.name] as tf.Tensor).dataSync();
    expectClose([g[idx] as number], [fd], { rtol: 2e-2, atol: 2e-2 * maxAbs(g) }, `d loss / d ${name}[${idx}]`);
  }
  tf.dispose([x, w8, w32, value, ...Object.values(grads)]);
});

test("extractor backboneMode 'trainable': same output as the frozen one at init, backbone params trained and saved", async () => {
  const opts = { embedDim: 16, channels: 32 };
  const exF = await createMbv3Extractor({ ...opts, rng: createRng(5) });
  const exT = await createMbv3Extractor({ ...opts, rng: createRng(5), backboneMode: 'trainable' });
  assert.equal(exT.config.backboneMode, 'trainable');
  assert.equal(exF.config.backboneMode, undefined);
  assert.equal(exT.frozenForward, undefined);
  const names = Object.keys(exT.params);
  assert.equal(names.filter((n) => n.startsWith('backbone.')).length, 124);
  assert.deepEqual(names.filter((n) => !n.startsWith('backbone.')).sort(), Object.keys(exF.params).sort());
  const x = testImages(1, 64, 96, 31);
  const yF = exF.forward(x, { training: false });
  const yT = exT.forward(x, { training: false });
  expectClose(
    yT.dataSync(),
    yF.dataSync(),
    { rtol: 1e-4, atol: 1e-4 * maxAbs(yF.dataSync()) },
    'trainable vs frozen extractor',
  );
  // the gradient reaches the backbone through the decoder; a fine-tuned backbone weight is saved and rebuilt
  const { saved, output: y1 } = await checkFineTuneRoundTrip(
    exT,
    x,
    { first: 'backbone.MobilenetV3.Conv.weight', late: 'backbone.extern1.weight' },
    loadMbv3Extractor,
  );
  assert.ok(maxAbs(tf.tidy(() => tf.sub(y1, yT)).dataSync()) > 0, 'the modified weight changed the output');
  const { ['backbone.extern1.bias']: _drop, ...missing } = saved;
  await assert.rejects(
    loadMbv3Extractor(exT.config, missing),
    (e: unknown) => e instanceof FormatError && /backbone\.extern1\.bias/.test(e.message),
  );
  await assert.rejects(
    loadMbv3Extractor(exF.config, saved),
    (e: unknown) => e instanceof FormatError && /unexpected tensors/.test(e.message),
  );
  const bogus = { ...exT.config, backboneMode: 'bogus' };
  await assert.rejects(
    loadMbv3Extractor(bogus, saved),
    (e: unknown) => e instanceof FormatError && /backboneMode/.test(e.message),
  );
  tf.dispose([x, yF, yT, y1]);
  [exF, exT].forEach((e) => e.dispose());
});
