import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import { createRng } from '../../../src/random.js';
import { createUnetExtractor, loadUnetExtractor } from '../../../src/nn/unet.js';
import {
  checkDeterministicInit,
  checkGradients,
  checkRunningStats,
  checkSaveLoad,
  checkShapes,
  noiseImages,
  trainToy,
} from './extractor-checks.js';

await initEngine();

/** A narrow network so the tests stay fast. */
const TINY = { embedDim: 6, width: [4, 8, 8, 16], contextDilations: [2], decoderWidth: [8, 8, 4] };
const make = (seed: number) => createUnetExtractor({ ...TINY, rng: createRng(seed) });

test('unet: stride 2 output shapes for two input sizes, finite values; bad sizes rejected', () => {
  const ex = make(1);
  assert.equal(ex.stride, 2);
  assert.equal(ex.sizeMultiple, 16);
  checkShapes(ex, [
    [32, 32],
    [48, 64],
  ]);
  assert.throws(() => ex.forward(noiseImages(1, 40, 32, 1), { training: false }), ValueError);
  ex.dispose();
});

test('unet: every parameter gets a finite non-zero gradient', () => {
  const ex = make(2);
  checkGradients(ex, 32, 32);
  ex.dispose();
});

test('unet: BN running stats update only in training', () => {
  const ex = make(3);
  checkRunningStats(ex, 32, 32);
  ex.dispose();
});

test('unet: deterministic init from the seed', () => checkDeterministicInit(make, 32, 32));

test("unet: projection 'none' is linear (negative values), 'relu' is not; unknown keys refused", () => {
  const lin = make(6);
  const relu = createUnetExtractor({ ...TINY, projectionActivation: 'relu', rng: createRng(6) });
  const x = noiseImages(1, 32, 32, 7);
  const [a, b] = [lin, relu].map((ex) => ex.forward(x, { training: false }));
  assert.ok((a as tf.Tensor).min().dataSync()[0] < 0);
  assert.ok((b as tf.Tensor).min().dataSync()[0] >= 0);
  assert.throws(() => createUnetExtractor({ ...TINY, depth: 3, rng: createRng(1) } as never), ValueError);
  tf.dispose([x, a as tf.Tensor, b as tf.Tensor]);
  lin.dispose();
  relu.dispose();
});

test('unet: save/rebuild from named tensors gives identical outputs; bad tensors and configs are refused', () => {
  const ex = make(4);
  checkSaveLoad(ex, loadUnetExtractor, 32, 32);
  const tensors = { ...ex.params, ...ex.state };
  const { ['context.0.conv.weight']: _dropped, ...missing } = tensors;
  assert.throws(() => loadUnetExtractor(ex.config, missing), FormatError);
  assert.throws(() => loadUnetExtractor({ ...ex.config, embedDim: 9 }, tensors), FormatError);
  assert.throws(() => loadUnetExtractor({ ...ex.config, depth: 3 }, tensors), ValueError);
  ex.dispose();
});

test('unet: a few Adam steps on a toy 2-class segmentation lower the loss', () => {
  const ex = make(5);
  trainToy(ex, 32, 10);
  ex.dispose();
});

test('unet: forwardAux gives the features of forward and the stride-16 context map; the map carries gradient', () => {
  const ex = make(6);
  assert.equal(ex.auxDim, 16);
  const images = noiseImages(2, 32, 48, 7);
  const plain = ex.forward(images, { training: false });
  const { feats, aux } = (ex.forwardAux as NonNullable<typeof ex.forwardAux>)(images, { training: false });
  assert.deepEqual(aux.shape, [2, 2, 3, 16]);
  assert.deepEqual(Array.from(feats.dataSync()), Array.from(plain.dataSync()));
  // a loss on the auxiliary map alone reaches the encoder, not the decoder
  const enc = ex.params['encoder.stage0.conv0.conv.weight'] as tf.Variable;
  const dec = ex.params['decoder.proj.conv.weight'] as tf.Variable;
  const { grads } = tf.variableGrads(() => {
    const out = (ex.forwardAux as NonNullable<typeof ex.forwardAux>)(images, { training: true });
    return tf.sum(tf.square(out.aux)) as tf.Scalar;
  }, [enc, dec]);
  assert.ok((tf.sum(tf.abs(grads[enc.name] as tf.Tensor)).dataSync()[0] as number) > 0);
  assert.equal(grads[dec.name], undefined);
  tf.dispose([images, plain, feats, aux, ...Object.values(grads)]);
  ex.dispose();
});
