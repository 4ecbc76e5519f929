/**
 * The 'context' decoder ({@link ../../../src/nn/decoder-context.ts}): shapes and tensor names, equality of the context
 * blocks with a naive loop implementation (zero-padded dilated 3×3 conv → BN with running statistics → ReLU), that a
 * pixel's embedding now depends on its neighbours (the light decoder's does not), gradient flow to every block, and the
 * mbv3 config round trip (stored only for 'context'; files without the key load as the light decoder).
 *
 * Tolerances: naive float64 loops vs float32 kernels, rtol 1e-4, atol 1e-4; rebuilt vs original 1e-6.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { ValueError } from '../../../src/errors.js';
import { contextForward, createContextBlocks } from '../../../src/nn/decoder-context.js';
import {
  createLightDecoder,
  decoderTensorNames,
  decoderTensorShapes,
  disposeLightDecoder,
  lightDecoderForward,
  type LightDecoderConfig,
} from '../../../src/nn/light-decoder.js';
import { createMbv3Extractor, loadMbv3Extractor } from '../../../src/nn/mbv3-extractor.js';
import type { LayerState } from '../../../src/nn/params.js';
import type { Params } from '../../../src/nn/types.js';
import { createRng, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

const NAIVE = { rtol: 1e-4, atol: 1e-4 };
const SAME = { rtol: 1e-6, atol: 1e-6 };

function randomMap(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = 2 * uniform(rng) - 1;
  return tf.tensor4d(v, shape);
}

const CONFIG: LightDecoderConfig = {
  inChannels: [5, 7],
  channels: 6,
  embedDim: 4,
  dropout: 0,
  bnMomentum: 0.1,
  contextDilations: [1, 2],
};

/** One block, naively: x [H, W, C] (flat) → relu(bn(conv_dilated(x))) with the BN's running statistics. */
function naiveBlock(x: Float64Array, H: number, W: number, C: number, w: Float32Array, d: number, bn: Float32Array[]) {
  const [gamma, beta, mean, variance] = bn as [Float32Array, Float32Array, Float32Array, Float32Array];
  const y = new Float64Array(H * W * C);
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++)
      for (let o = 0; o < C; o++) {
        let s = 0;
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) {
            const ii = i + (a - 1) * d;
            const jj = j + (b - 1) * d;
            if (ii < 0 || ii >= H || jj < 0 || jj >= W) continue;
            for (let c = 0; c < C; c++) s += x[(ii * W + jj) * C + c]! * w[((a * 3 + b) * C + c) * C + o]!;
          }
        const z = ((s - mean[o]!) / Math.sqrt(variance[o]! + 1e-5)) * gamma[o]! + beta[o]!;
        y[(i * W + j) * C + o] = Math.max(0, z);
      }
  return y;
}

test('context blocks equal a naive dilated 3×3 conv → BN (running statistics) → ReLU loop', () => {
  const C = 4;
  const params: Params = {};
  const state: LayerState = {};
  createContextBlocks(params, state, [1, 2], C, createRng(3));
  tf.tidy(() => {
    const rng = createRng(4);
    const set = (v: tf.Variable, lo: number, hi: number): void =>
      v.assign(
        tf.tensor(
          Array.from({ length: v.size }, () => lo + (hi - lo) * uniform(rng)),
          v.shape,
        ),
      );
    for (const i of [0, 1]) {
      set(params[`decoder.context${i}.bn.weight`] as tf.Variable, 0.5, 1.5);
      set(params[`decoder.context${i}.bn.bias`] as tf.Variable, -0.2, 0.2);
      set(state[`decoder.context${i}.bn.running_mean`] as tf.Variable, -0.3, 0.3);
      set(state[`decoder.context${i}.bn.running_var`] as tf.Variable, 0.5, 2);
    }
  });
  const [H, W] = [5, 7];
  const x = randomMap([1, H, W, C], 5);
  const y = contextForward(x, [1, 2], params, state, false, 0.1);
  assert.deepEqual(y.shape, [1, H, W, C]);
  let ref = Float64Array.from(x.dataSync());
  [1, 2].forEach((d, i) => {
    const b = `decoder.context${i}`;
    const bn = [params[`${b}.bn.weight`], params[`${b}.bn.bias`], state[`${b}.bn.running_mean`]];
    bn.push(state[`${b}.bn.running_var`]);
    const w = (params[`${b}.conv.weight`] as tf.Tensor).dataSync() as Float32Array;
    ref = naiveBlock(
      ref,
      H,
      W,
      C,
      w,
      d,
      bn.map((t) => (t as tf.Tensor).dataSync() as Float32Array),
    );
  });
  expectClose(y.dataSync(), ref, NAIVE, 'context blocks');
  tf.dispose([x, y, ...Object.values(params), ...Object.values(state)]);
});

test('context decoder: output shape, tensor names and shapes; bad dilations are refused', () => {
  const dec = createLightDecoder(CONFIG, createRng(1));
  const maps = [randomMap([2, 6, 8, 5], 1), randomMap([2, 2, 2, 7], 2)];
  const y = lightDecoderForward(dec, maps, { training: false });
  assert.deepEqual(y.shape, [2, 6, 8, 4]);
  const names = decoderTensorNames(CONFIG);
  assert.deepEqual([...names.params, ...names.state].sort(), Object.keys(decoderTensorShapes(CONFIG)).sort());
  assert.deepEqual(Object.keys(dec.params).sort(), [...names.params].sort());
  assert.deepEqual(Object.keys(dec.state).sort(), [...names.state].sort());
  assert.deepEqual(dec.params['decoder.context1.conv.weight']?.shape, [3, 3, 6, 6]);
  assert.ok(names.params.includes('decoder.context0.bn.weight'));
  assert.throws(
    () => createLightDecoder({ ...CONFIG, contextDilations: [1, 0] }, createRng(1)),
    /contextDilations\[1\]/,
  );
  assert.throws(() => createLightDecoder({ ...CONFIG, contextDilations: [1.5] }, createRng(1)), ValueError);
  tf.dispose([y, ...maps]);
  disposeLightDecoder(dec);
});

test("a pixel's embedding sees its neighbours with the context decoder and not with the light decoder", () => {
  const light = createLightDecoder({ ...CONFIG, contextDilations: [] }, createRng(1));
  const context = createLightDecoder(CONFIG, createRng(1));
  const fine = randomMap([1, 6, 8, 5], 1);
  const coarse = randomMap([1, 2, 2, 7], 2);
  const bumped = tf.tidy(
    () =>
      fine.add(
        tf
          .oneHot([3 * 8 + 4], 6 * 8)
          .reshape([1, 6, 8, 1])
          .mul(3),
      ) as tf.Tensor4D,
  );
  const changeAt = (dec: ReturnType<typeof createLightDecoder>, i: number, j: number): number =>
    tf.tidy(() => {
      const a = lightDecoderForward(dec, [fine, coarse], { training: false });
      const b = lightDecoderForward(dec, [bumped, coarse], { training: false });
      return tf.sub(a, b).abs().slice([0, i, j, 0], [1, 1, 1, 4]).sum().dataSync()[0] as number;
    });
  assert.ok(changeAt(light, 3, 4) > 0, 'light: the bumped pixel itself changes');
  assert.equal(changeAt(light, 3, 5), 0, 'light: a neighbour does not');
  assert.ok(changeAt(context, 3, 5) > 0, 'context: a neighbour changes');
  assert.ok(changeAt(context, 3, 7) > 0, 'context: three cells away (dilations 1 and 2) too');
  tf.dispose([fine, coarse, bumped]);
  disposeLightDecoder(light);
  disposeLightDecoder(context);
});

test('gradients reach every context-decoder parameter (finite, non-zero; training mode)', () => {
  const dec = createLightDecoder(CONFIG, createRng(2));
  const maps = [randomMap([2, 6, 8, 5], 3), randomMap([2, 2, 2, 7], 4)];
  const target = randomMap([2, 6, 8, 4], 5);
  const vars = Object.values(dec.params) as tf.Variable[];
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.mul(lightDecoderForward(dec, maps, { training: true, seed: 1 }), target)),
    vars,
  );
  for (const [name, v] of Object.entries(dec.params)) {
    const g = (grads[v.name] as tf.Tensor).dataSync();
    assert.ok(
      g.every((v) => Number.isFinite(v)),
      `${name}: finite`,
    );
    assert.ok(
      g.some((v) => v !== 0),
      `${name}: non-zero`,
    );
  }
  tf.dispose([...maps, target, ...Object.values(grads)]);
  disposeLightDecoder(dec);
});

test("mbv3 decoder 'context': stored in the config, reloaded identically; old configs load as the light decoder", async () => {
  const ctx = await createMbv3Extractor({ embedDim: 16, channels: 32, rng: createRng(1), decoder: 'context' });
  const light = await createMbv3Extractor({ embedDim: 16, channels: 32, rng: createRng(1) });
  assert.equal(ctx.config['decoder'], 'context');
  assert.equal(light.config['decoder'], undefined, 'the light decoder stores nothing (older files unchanged)');
  assert.ok(ctx.params['decoder.context1.conv.weight'] !== undefined);
  assert.equal(light.params['decoder.context0.conv.weight'], undefined);
  const x = tf.tidy(() => randomMap([1, 64, 96, 3], 9).add(1).mul(127.5) as tf.Tensor4D);
  const y = ctx.forward(x, { training: false });
  assert.deepEqual(y.shape, [1, 8, 12, 16]);
  const tensors = { ...ctx.params, ...ctx.state } as Record<string, tf.Tensor>;
  const back = await loadMbv3Extractor(ctx.config, tensors);
  expectClose(back.forward(x, { training: false }).dataSync(), y.dataSync(), SAME, 'reloaded');
  const lightTensors = { ...light.params, ...light.state } as Record<string, tf.Tensor>;
  const { decoder: _absent, ...oldConfig } = light.config;
  const old = await loadMbv3Extractor(oldConfig, lightTensors);
  expectClose(old.forward(x, { training: false }).dataSync(), light.forward(x, { training: false }).dataSync(), SAME);
  await assert.rejects(loadMbv3Extractor({ ...ctx.config, decoder: 'aspp' }, tensors), /'light' or 'context'/);
  await assert.rejects(loadMbv3Extractor(light.config, tensors), /unexpected tensors/);
  await assert.rejects(loadMbv3Extractor(ctx.config, lightTensors), /decoder\.context0\.conv\.weight' is missing/);
  tf.dispose([x, y]);
  [ctx, light, back, old].forEach((e) => e.dispose());
});
