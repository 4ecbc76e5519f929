/**
 * The light decoder's inference form ({@link ../../../src/nn/light-decoder.ts}): without the training flag the fusion
 * conv runs per map on its weight slice, before the coarse maps' resize, and sums the parts instead of concatenating
 * the laterals. Checked against the concatenated form written out with the layers (conv → BN with running statistics
 * → ReLU per map, bilinear resize, concat, fusion block, projection) for several map counts and sizes that are not
 * multiples of each other, with and without the projection and the context blocks; and the training form is unchanged
 * (batch statistics, same output as the concatenated form in training mode).
 *
 * Tolerance: float32 sums in another order, rtol 1e-5, atol 1e-5.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { contextForward } from '../../../src/nn/decoder-context.js';
import { batchNorm, conv2d, resizeBilinear } from '../../../src/nn/layers.js';
import {
  createLightDecoder,
  disposeLightDecoder,
  hasProjection,
  lightDecoderForward,
  type LightDecoder,
  type LightDecoderConfig,
} from '../../../src/nn/light-decoder.js';
import { createRng, uniform, type Rng } from '../../../src/random.js';
import { enginesUnderTest } from '../../helpers/backends.js';
import { expectClose } from '../../helpers/close.js';

const TOL = { rtol: 1e-5, atol: 1e-5 };

function randomMap(shape: [number, number, number, number], rng: Rng): tf.Tensor4D {
  const v = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * uniform(rng) - 1);
  return tf.tensor4d(v, shape);
}

/** Batch-norm scales, shifts and running statistics away from their 1 / 0 start, so the batch norms do something. */
function randomiseBatchNorms(dec: LightDecoder, rng: Rng): void {
  const bn = Object.entries(dec.params).filter(([name]) => name.includes('.bn.'));
  for (const [name, t] of [...Object.entries(dec.state), ...bn]) {
    const n = t.size;
    const v = Float32Array.from({ length: n }, () =>
      /(running_var|weight)$/.test(name) ? 0.5 + uniform(rng) : uniform(rng) - 0.5,
    );
    (t as tf.Variable).assign(tf.tensor(v, t.shape));
  }
}

/** The decoder with the laterals concatenated before one fusion conv, from the layers. */
function concatenatedForm(dec: LightDecoder, maps: tf.Tensor4D[], training: boolean): tf.Tensor4D {
  const { params, state, config } = dec;
  const block = (x: tf.Tensor4D, name: string, relu = true): tf.Tensor4D => {
    const z = batchNorm(conv2d(x, params, `${name}.conv`), params, state, `${name}.bn`, training, {
      momentum: config.bnMomentum,
    });
    return relu ? tf.relu(z) : z;
  };
  return tf.tidy(() => {
    const size: [number, number] = [maps[0]!.shape[1], maps[0]!.shape[2]];
    const laterals = maps.map((m, i) => resizeBilinear(block(m, `decoder.lateral${i}`), size));
    let y = block(laterals.length === 1 ? laterals[0]! : tf.concat(laterals, 3), 'decoder.fuse');
    const dilations = config.contextDilations ?? [];
    if (dilations.length > 0) y = contextForward(y, dilations, params, state, training, config.bnMomentum);
    return hasProjection(config) ? block(y, 'decoder.proj', config.projectionActivation !== 'none') : y;
  });
}

const CASES: { name: string; config: LightDecoderConfig; shapes: [number, number, number, number][] }[] = [
  {
    name: 'three maps, projection',
    config: { inChannels: [5, 7, 3], channels: 6, embedDim: 4, dropout: 0, bnMomentum: 0.1 },
    shapes: [
      [2, 9, 13, 5],
      [2, 5, 7, 7],
      [2, 2, 3, 3],
    ],
  },
  {
    name: 'two maps, no projection, linear',
    config: {
      inChannels: [4, 6],
      channels: 5,
      embedDim: 5,
      dropout: 0,
      bnMomentum: 0.1,
      projectionActivation: 'none',
    },
    shapes: [
      [1, 8, 6, 4],
      [1, 3, 5, 6],
    ],
  },
  {
    name: 'two maps, context blocks',
    config: { inChannels: [3, 4], channels: 4, embedDim: 2, dropout: 0, bnMomentum: 0.1, contextDilations: [1, 2] },
    shapes: [
      [1, 7, 7, 3],
      [1, 4, 4, 4],
    ],
  },
  {
    name: 'one map',
    config: { inChannels: [3], channels: 4, embedDim: 2, dropout: 0, bnMomentum: 0.1 },
    shapes: [[2, 5, 6, 3]],
  },
];

for (const engine of enginesUnderTest()) {
  for (const c of CASES) {
    test(`lightDecoderForward on ${engine} (${c.name}): inference equals the concatenated form`, async () => {
      await initEngine(engine);
      const rng = createRng(7);
      const dec = createLightDecoder(c.config, rng);
      randomiseBatchNorms(dec, rng);
      const maps = c.shapes.map((s) => randomMap(s, rng));
      try {
        const got = lightDecoderForward(dec, maps, { training: false });
        const want = concatenatedForm(dec, maps, false);
        assert.deepEqual(got.shape, want.shape);
        expectClose(got.dataSync(), want.dataSync(), TOL, `${engine} ${c.name}`);
        tf.dispose([got, want]);
      } finally {
        tf.dispose(maps);
        disposeLightDecoder(dec);
      }
    });
  }

  test(`lightDecoderForward on ${engine}: training keeps the concatenated form (batch statistics)`, async () => {
    await initEngine(engine);
    const c = CASES[0]!;
    const rng = createRng(8);
    const a = createLightDecoder(c.config, createRng(3));
    const b = createLightDecoder(c.config, createRng(3));
    const maps = c.shapes.map((s) => randomMap(s, rng));
    try {
      const got = lightDecoderForward(a, maps, { training: true });
      const want = concatenatedForm(b, maps, true);
      expectClose(got.dataSync(), want.dataSync(), { rtol: 1e-6, atol: 1e-6 }, `${engine} training`);
      for (const k of Object.keys(a.state))
        expectClose(a.state[k]!.dataSync(), b.state[k]!.dataSync(), { rtol: 1e-6, atol: 1e-7 }, `${engine} ${k}`);
      tf.dispose([got, want]);
    } finally {
      tf.dispose(maps);
      disposeLightDecoder(a);
      disposeLightDecoder(b);
    }
  });
}
