import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import { createRng } from '../../../src/random.js';
import { heNormal } from '../../../src/nn/params.js';
import { createGraphExtractor, loadGraphExtractor } from '../../../src/nn/graph-extractor.js';
import {
  checkDeterministicInit,
  checkGradients,
  checkRunningStats,
  checkSaveLoad,
  checkShapes,
  noiseImages,
  trainToy,
} from './extractor-checks.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

/** A tiny layers model with dynamic spatial size: three stride-2 3×3 convs 'c1' (s2), 'c2' (s4), 'c3' (s8). */
function layersModel(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 3] });
  let x: tf.SymbolicTensor = input;
  [4, 8, 8].forEach((f, i) => {
    x = tf.layers
      .conv2d({
        name: `c${i + 1}`,
        filters: f,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotNormal({ seed: seed + i }),
      })
      .apply(x) as tf.SymbolicTensor;
  });
  return tf.model({ inputs: input, outputs: x });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const convNode = (name: string, input: string, w: string) => ({
  name,
  op: 'Conv2D',
  input: [input, w],
  attr: {
    T: { type: 'DT_FLOAT' },
    strides: { list: { i: ['1', '2', '2', '1'] } },
    padding: { s: b64('SAME') },
    data_format: { s: b64('NHWC') },
    dilations: { list: { i: ['1', '1', '1', '1'] } },
  },
});
const constNode = (name: string, dims: number[]) => ({
  name,
  op: 'Const',
  attr: {
    dtype: { type: 'DT_FLOAT' },
    value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: dims.map((d) => ({ size: String(d) })) } } },
  },
});

/** A tiny graph model built in memory: images → conv s2 → relu 'r1' → conv s2 → relu 'r2' → conv s2 → relu 'r3'. */
async function graphModel(seed: number): Promise<tf.GraphModel> {
  const shapes = [
    [3, 3, 3, 4],
    [3, 3, 4, 8],
    [3, 3, 8, 8],
  ];
  const node: object[] = [
    {
      name: 'images',
      op: 'Placeholder',
      attr: {
        dtype: { type: 'DT_FLOAT' },
        shape: { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] } },
      },
    },
  ];
  shapes.forEach((s, i) => {
    node.push(constNode(`w${i}`, s), convNode(`conv${i}`, i === 0 ? 'images' : `r${i}`, `w${i}`), {
      name: `r${i + 1}`,
      op: 'Relu',
      input: [`conv${i}`],
      attr: { T: { type: 'DT_FLOAT' } },
    });
  });
  const rng = createRng(seed);
  const weights = shapes.map((s) => heNormal(rng, s, s[0]! * s[1]! * s[2]!).dataSync() as Float32Array);
  const data = new Float32Array(weights.reduce((n, w) => n + w.length, 0));
  weights.reduce((o, w) => (data.set(w, o), o + w.length), 0);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: { node, versions: { producer: 1 }, library: {} },
    weightSpecs: shapes.map((shape, i) => ({ name: `w${i}`, shape, dtype: 'float32' as const })),
    weightData: data.buffer,
    format: 'graph-model',
  };
  return tf.loadGraphModel(tf.io.fromMemory(artifacts));
}

const DEC = { embedDim: 8, channels: 8, sizeMultiple: 16, probeSize: 32 };
const makeLayers = (seed: number) =>
  createGraphExtractor({ model: layersModel(1), outputs: ['c2', 'c3'], ...DEC, rng: createRng(seed) });
const gm = await graphModel(3);
const makeGraph = (seed: number) =>
  createGraphExtractor({ model: gm, outputs: ['r2', 'r3'], inputRange: [-1, 1], ...DEC, rng: createRng(seed) });
const keepModel = (ex: ReturnType<typeof makeGraph>) => ({
  ...ex,
  dispose: () => Object.values({ ...ex.params, ...ex.state }).forEach((t) => t.dispose()),
});

test('graph extractor on a layers model: probed channels/strides, shapes for two sizes, frozen split', () => {
  const ex = makeLayers(1);
  assert.deepEqual([ex.config['mapChannels'], ex.config['mapStrides'], ex.stride], [[8, 8], [4, 8], 4]);
  checkShapes(ex, [
    [32, 32],
    [48, 64],
  ]);
  const x = noiseImages(2, 32, 48, 3);
  const maps = ex.frozenForward!(x);
  assert.deepEqual(
    maps.map((m) => m.shape),
    [
      [2, 8, 12, 8],
      [2, 4, 6, 8],
    ],
  );
  expectClose(
    ex.forwardFromFrozen!(maps, { training: false }).dataSync(),
    ex.forward(x, { training: false }).dataSync(),
    { rtol: 0, atol: 0 },
    'forward = decoder(frozen)',
  );
  assert.throws(() => ex.forward(noiseImages(1, 40, 32, 1), { training: false }), ValueError);
  ex.dispose();
  assert.throws(
    () => createGraphExtractor({ model: layersModel(1), outputs: ['nope'], ...DEC, rng: createRng(1) }),
    ValueError,
  );
  assert.throws(
    () => createGraphExtractor({ model: layersModel(1), outputs: ['c3', 'c2'], ...DEC, rng: createRng(1) }),
    ValueError,
  );
});

test('graph extractor on a graph model: node outputs by name, gradients reach only the decoder', () => {
  const ex = keepModel(makeGraph(2));
  assert.deepEqual([ex.config['mapChannels'], ex.config['mapStrides'], ex.stride], [[8, 8], [4, 8], 4]);
  checkShapes(ex, [
    [32, 32],
    [32, 64],
  ]);
  assert.ok(Object.keys(ex.params).every((k) => k.startsWith('decoder.')));
  checkGradients(ex, 32, 32);
  checkRunningStats(ex, 32, 32);
  assert.throws(
    () => createGraphExtractor({ model: gm, outputs: ['missing_node'], ...DEC, rng: createRng(1) }),
    ValueError,
  );
  ex.dispose();
});

test('graph extractor: deterministic decoder init; save/rebuild identical; other backbone refused', () => {
  checkDeterministicInit((s) => keepModel(makeGraph(s)), 32, 32);
  const ex = keepModel(makeGraph(4));
  checkSaveLoad(ex, (config, tensors) => keepModel(loadGraphExtractor(config, tensors, gm)), 32, 32);
  const tensors = { ...ex.params, ...ex.state };
  const lm = layersModel(2);
  assert.throws(() => loadGraphExtractor({ ...ex.config, outputs: ['c1', 'c3'] }, tensors, lm), FormatError);
  lm.dispose();
  ex.dispose();
});

test('graph extractor: a few Adam steps on a toy 2-class segmentation lower the loss', () => {
  const ex = keepModel(makeGraph(5));
  trainToy(ex, 32, 10);
  ex.dispose();
});
