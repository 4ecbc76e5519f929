/**
 * The ImageNet MobileNetV2 (TF-Hub, depth 1.4) of `nsfwjs` as a trainable backbone: its graph interpreted with the
 * project's ops equals tfjs's own GraphModel at initialisation, and the 'mbv2' extractor trains, saves and rebuilds it.
 *
 * Tolerances: the interpreter and the GraphModel run the same kernels on the same uint8-dequantised weights, so they
 * agree to float32 rounding: |a − e| ≤ 1e-4·max|e| + 1e-4·|e|. Rebuilt vs original extractor: rtol 1e-6, atol 1e-6.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import { MBV2_BACKBONE_ID, MBV2_NODES, MBV2_SPEC, readMbv2Artifacts } from '../../../src/nn/mbv2-backbone.js';
import type { Mbv3Artifacts } from '../../../src/nn/mbv3-backbone.js';
import { createMbv3Extractor, loadMbv3Extractor } from '../../../src/nn/mbv3-extractor.js';
import {
  createMbv3Trainable,
  disposeMbv3Trainable,
  mbv3TrainableMaps,
  mbv3TrainableScales,
  type Mbv3Trainable,
} from '../../../src/nn/mbv3-trainable.js';
import { createExtractor, extractorSettings } from '../../../src/nn/registry.js';
import { createRng, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';
import { checkFineTuneRoundTrip } from './extractor-checks.js';

let artifacts: Mbv3Artifacts;
let graph: tf.GraphModel;
let tb: Mbv3Trainable;

const SCALES = ['s8', 's16', 's32'] as const;

function testImages(b: number, h: number, w: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: b * h * w * 3 }, () => 255 * uniform(rng)),
    [b, h, w, 3],
  );
}

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] as number));
  return m;
}

/** tfjs's own GraphModel of the same files, input relaxed to any batch and size. */
async function loadGraph(a: Mbv3Artifacts): Promise<tf.GraphModel> {
  const json = a.modelJson as {
    modelTopology: { node: { op: string; attr?: { shape?: { shape?: { dim?: { size: string }[] } } } }[] };
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const topology = structuredClone(json.modelTopology);
  const ph = topology.node.find((n) => n.op === 'Placeholder');
  const shape = ph?.attr?.shape?.shape;
  if (shape) shape.dim = [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }];
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: a.weightData }));
}

before(async () => {
  await initEngine();
  artifacts = await readMbv2Artifacts();
  graph = await loadGraph(artifacts);
  tb = createMbv3Trainable(artifacts, MBV2_SPEC);
});

after(() => {
  graph.dispose();
  disposeMbv3Trainable(tb);
});

test('program: 64 ops from the input to s32, 104 named parameters (BN folded), TF-Hub scope dropped from names', () => {
  assert.equal(tb.program.ops.length, 64);
  const names = Object.keys(tb.params);
  assert.equal(names.length, 104);
  assert.ok(
    names.every((n) => /^backbone\.MobilenetV2\..+\.(weight|bias)$/.test(n)),
    'backbone.MobilenetV2.*',
  );
  assert.deepEqual(tb.params['backbone.MobilenetV2.Conv.weight']?.shape, [3, 3, 3, 48]);
  assert.deepEqual(tb.params['backbone.MobilenetV2.Conv_1.weight']?.shape, [1, 1, 448, 1792]);
});

for (const [b, h, w] of [
  [1, 64, 96],
  [2, 96, 64],
] as const) {
  test(`${b}x${h}x${w}: s8/s16/s32 equal the GraphModel's maps (input /255) at initialisation`, () => {
    const x = testImages(b, h, w, 40 + b);
    const ref = tf.tidy(
      () =>
        graph.execute(
          tf.div(x, 255),
          SCALES.map((s) => MBV2_NODES[s].node),
        ) as tf.Tensor4D[],
    );
    const got = mbv3TrainableMaps(tb, x);
    SCALES.forEach((s, i) => {
      const e = (ref[i] as tf.Tensor).dataSync();
      const st = MBV2_NODES[s];
      assert.deepEqual(got[s].shape, [b, h / st.stride, w / st.stride, st.channels], `${s} shape`);
      expectClose(got[s].dataSync(), e, { rtol: 1e-4, atol: 1e-4 * maxAbs(e) }, `${s} vs GraphModel`);
    });
    tf.dispose([x, ...ref, ...Object.values(got)]);
  });
}

test("s4: [B, H/4, W/4, 192], equal to the GraphModel's stride-4 node at initialisation", () => {
  const x = testImages(1, 64, 96, 12);
  const ref = tf.tidy(() => graph.execute(tf.div(x, 255), MBV2_NODES.s4.node) as tf.Tensor4D);
  const got = mbv3TrainableMaps(tb, x);
  assert.deepEqual(got.s4.shape, [1, 16, 24, 192]);
  const e = ref.dataSync();
  expectClose(got.s4.dataSync(), e, { rtol: 1e-4, atol: 1e-4 * maxAbs(e) }, 's4 vs GraphModel');
  tf.dispose([x, ref, ...Object.values(got)]);
});

test('inference in bands (the cut at the stride-8 depthwise of block 3) gives the one-pass maps', () => {
  const [b, h, w] = [2, 256, 64];
  const x = testImages(b, h, w, 51);
  const whole = mbv3TrainableMaps(tb, x);
  // bands of 4 stride-8 rows plus 32 input rows each side
  const banded = mbv3TrainableScales(tb, x, ['s4', 's8', 's16', 's32'], b * w * 8 * (4 + 8));
  (['s4', 's8', 's16', 's32'] as const).forEach((s, i) => {
    const m = banded[i] as tf.Tensor4D;
    assert.deepEqual(m.shape, whole[s].shape, `${s} shape`);
    expectClose(m.dataSync(), whole[s].dataSync(), { rtol: 1e-5, atol: 1e-4 }, `${s} banded vs one pass`);
  });
  tf.dispose([x, ...banded, ...Object.values(whole)]);
});

test("extractor 'mbv2': trainable backbone, gradient to the first conv, saved and rebuilt; frozen is refused", async () => {
  assert.equal(extractorSettings('mbv2').backboneMode, undefined);
  assert.throws(() => extractorSettings('mbv2', { backboneMode: 'frozen' }), ValueError);
  const ex = await createExtractor('mbv2', { embedDim: 16, channels: 32, scales: ['s8', 's16', 's32'] }, createRng(3));
  assert.equal(ex.kind, 'mbv2');
  assert.equal(ex.config.backbone, MBV2_BACKBONE_ID);
  assert.equal(ex.config.backboneMode, 'trainable');
  assert.equal(Object.keys(ex.params).filter((n) => n.startsWith('backbone.')).length, 104);
  const x = testImages(1, 64, 96, 9);
  const { saved, output } = await checkFineTuneRoundTrip(
    ex,
    x,
    { first: 'backbone.MobilenetV2.Conv.weight', late: 'backbone.MobilenetV2.Conv_1.weight' },
    loadMbv3Extractor,
  );
  await assert.rejects(
    loadMbv3Extractor({ ...ex.config, backboneMode: 'frozen' }, saved),
    (e: unknown) => e instanceof FormatError && /trainable/.test(e.message),
  );
  await assert.rejects(
    createMbv3Extractor({ rng: createRng(1), backbone: MBV2_BACKBONE_ID }),
    (e: unknown) => e instanceof ValueError && /trainable/.test(e.message),
  );
  tf.dispose([x, output]);
  ex.dispose();
});
