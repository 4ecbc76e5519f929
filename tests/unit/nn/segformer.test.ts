import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import { createRng } from '../../../src/random.js';
import { createSegformerExtractor, loadSegformerExtractor } from '../../../src/nn/segformer.js';
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
const TINY = { embedDim: 8, dims: [8, 8, 16, 16], heads: [1, 2, 2, 4], mlpRatio: 2, channels: 8 };
const make = (seed: number) => createSegformerExtractor({ ...TINY, rng: createRng(seed) });

test('segformer: stride 4 output shapes for two input sizes, finite values; bad sizes rejected', () => {
  const ex = make(1);
  assert.equal(ex.stride, 4);
  assert.equal(ex.sizeMultiple, 32);
  checkShapes(ex, [
    [32, 32],
    [64, 96],
  ]);
  assert.throws(() => ex.forward(noiseImages(1, 48, 32, 1), { training: false }), ValueError);
  assert.throws(() => ex.forward(noiseImages(1, 32, 32, 1), { training: true }), ValueError, 'dropout needs a seed');
  ex.dispose();
});

test('segformer: every parameter gets a finite non-zero gradient', () => {
  const ex = make(2);
  checkGradients(ex, 64, 64); // ≥ 2 keys after the ×8 spatial reduction, else q has no gradient
  ex.dispose();
});

test('segformer: BN running stats update only in training', () => {
  const ex = make(3);
  checkRunningStats(ex, 32, 32);
  ex.dispose();
});

test('segformer: deterministic init from the seed', () => checkDeterministicInit(make, 32, 32));

test('segformer: save/rebuild from named tensors gives identical outputs; bad tensors and configs are refused', () => {
  const ex = make(4);
  checkSaveLoad(ex, loadSegformerExtractor, 32, 32);
  const tensors = { ...ex.params, ...ex.state };
  const { ['encoder.stage1.block0.attn.sr.bias']: _dropped, ...missing } = tensors;
  assert.throws(() => loadSegformerExtractor(ex.config, missing), FormatError);
  assert.throws(() => loadSegformerExtractor({ ...ex.config, embedDim: 9 }, tensors), FormatError);
  assert.throws(() => loadSegformerExtractor({ ...ex.config, depth: 3 }, tensors), ValueError);
  assert.throws(() => loadSegformerExtractor({ ...ex.config, heads: [1, 3, 2, 4] }, tensors), ValueError);
  ex.dispose();
});

test('segformer: a few Adam steps on a toy 2-class segmentation lower the loss', () => {
  const ex = make(5);
  trainToy(ex, 32, 10);
  ex.dispose();
});
