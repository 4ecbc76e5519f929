import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import { createRng } from '../../../src/random.js';
import { createDeeplabExtractor, loadDeeplabExtractor } from '../../../src/nn/deeplab.js';
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
const TINY = { embedDim: 8, width: [8, 8, 16, 16], asppChannels: 8, lowLevelChannels: 4, decoderChannels: 8 };
const make = (seed: number) => createDeeplabExtractor({ ...TINY, rng: createRng(seed) });

test('deeplab: stride 4 output shapes for two input sizes, finite values; bad sizes rejected', () => {
  const ex = make(1);
  assert.equal(ex.stride, 4);
  assert.equal(ex.sizeMultiple, 16);
  checkShapes(ex, [
    [32, 32],
    [48, 64],
  ]);
  assert.throws(() => ex.forward(noiseImages(1, 40, 32, 1), { training: false }), ValueError);
  assert.throws(() => ex.forward(noiseImages(1, 32, 32, 1), { training: true }), ValueError, 'dropout needs a seed');
  ex.dispose();
});

test('deeplab: every parameter gets a finite non-zero gradient', () => {
  const ex = make(2);
  checkGradients(ex, 32, 32);
  ex.dispose();
});

test('deeplab: BN running stats update only in training', () => {
  const ex = make(3);
  checkRunningStats(ex, 32, 32);
  ex.dispose();
});

test('deeplab: deterministic init from the seed', () => checkDeterministicInit(make, 32, 32));

test('deeplab: save/rebuild from named tensors gives identical outputs; bad tensors and configs are refused', () => {
  const ex = make(4);
  checkSaveLoad(ex, loadDeeplabExtractor, 32, 32);
  const tensors = { ...ex.params, ...ex.state };
  const { ['aspp.pool.conv.bias']: _dropped, ...missing } = tensors;
  assert.throws(() => loadDeeplabExtractor(ex.config, missing), FormatError);
  assert.throws(() => loadDeeplabExtractor({ ...ex.config, embedDim: 9 }, tensors), FormatError);
  assert.throws(() => loadDeeplabExtractor({ ...ex.config, depth: 3 }, tensors), ValueError);
  ex.dispose();
});

test('deeplab: a few Adam steps on a toy 2-class segmentation lower the loss', () => {
  const ex = make(5);
  trainToy(ex, 32, 10);
  ex.dispose();
});
