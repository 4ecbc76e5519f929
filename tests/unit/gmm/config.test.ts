import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_GMM_CONFIG, gmmConfigSchema, makeGmmConfig, slotIndex } from '../../../src/gmm/config.js';
import { ValueError } from '../../../src/errors.js';

test('defaults are the reference Cityscapes settings; overrides apply', () => {
  assert.equal(DEFAULT_GMM_CONFIG.meanMomentum, 0.999);
  assert.equal(DEFAULT_GMM_CONFIG.memoryPerComponent, 32000);
  assert.equal(makeGmmConfig({ classes: 11 }).classes, 11);
  assert.equal(slotIndex(3, 2, 5), 17);
});

test('unknown keys and bad values are rejected with their names', () => {
  assert.throws(
    () => makeGmmConfig({ gamma: [0.999, 0] }),
    (e: Error) => e instanceof ValueError && /unknown key\(s\) 'gamma'/.test(e.message),
  );
  assert.throws(() => makeGmmConfig({ componentsPerClass: 0 }), /'componentsPerClass'/);
  assert.throws(() => makeGmmConfig({ maxSamplesPerStep: 0 }), /'maxSamplesPerStep': must be −1/);
  assert.throws(() => makeGmmConfig({ memoryKind: 'disk' }), /'memoryKind'/);
  assert.equal(makeGmmConfig({ maxSamplesPerStep: -1 }).maxSamplesPerStep, -1);
});

test('a stored config without memoryInit (older model files) reads as the reference random start', () => {
  const { memoryInit: _dropped, ...older } = DEFAULT_GMM_CONFIG;
  assert.equal(gmmConfigSchema.parse(older).memoryInit, 'random');
  assert.equal(gmmConfigSchema.parse({ ...older, memoryInit: 'empty' }).memoryInit, 'empty');
  assert.throws(() => makeGmmConfig({ memoryInit: 'zeros' }), /'memoryInit'/);
});

test('a stored config without memoryAdmission (older model files) reads as the reference correct-only admission', () => {
  const { memoryAdmission: _dropped, ...older } = DEFAULT_GMM_CONFIG;
  assert.equal(gmmConfigSchema.parse(older).memoryAdmission, 'correct');
  assert.equal(gmmConfigSchema.parse({ ...older, memoryAdmission: 'labelled' }).memoryAdmission, 'labelled');
  assert.throws(() => gmmConfigSchema.parse({ ...older, memoryAdmission: 'all' }));
});
