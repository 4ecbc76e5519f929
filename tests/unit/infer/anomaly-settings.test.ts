import test from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../../src/errors.js';
import { anomalySettings } from '../../../src/infer/anomaly-settings.js';
import { scaleFromCalibration } from '../../../src/infer/heatmap.js';

const cal = { score: 'gmm', threshold: -20, inlierMedian: -26, targetTpr: 0.95, dataset: 'x' };

test('calibrated model: the stored score and threshold, heat scale centred on the threshold', () => {
  assert.deepEqual(anomalySettings('gmm', cal), {
    score: 'gmm',
    threshold: -20,
    heatScale: scaleFromCalibration(-20, -26),
    calibrated: true,
  });
  assert.deepEqual(anomalySettings('gmm', cal).heatScale, { min: -26, max: -14 });
});

test('a threshold override keeps the score and uses a ±10 scale around it', () => {
  assert.deepEqual(anomalySettings('gmm', cal, { threshold: -18 }), {
    score: 'gmm',
    threshold: -18,
    heatScale: { min: -28, max: -8 },
    calibrated: false,
  });
});

test('defaults without calibration: gmm for a GMM head, msp for softmax; a threshold is then required', () => {
  assert.throws(
    () => anomalySettings('gmm', {}),
    (e: unknown) => e instanceof ValueError && /no anomaly threshold for score 'gmm'/.test(e.message),
  );
  assert.throws(
    () => anomalySettings('softmax', {}, {}, 'm.gmmseg'),
    /no anomaly threshold for score 'msp': m\.gmmseg has no calibration/,
  );
  assert.equal(anomalySettings('softmax', {}, { threshold: -0.5 }).score, 'msp');
});

test('a score other than the calibrated one has no calibrated threshold', () => {
  assert.throws(() => anomalySettings('gmm', cal, { score: 'energy' }), /no anomaly threshold for score 'energy'/);
  assert.deepEqual(anomalySettings('gmm', cal, { score: 'energy', threshold: 3 }).heatScale, { min: -7, max: 13 });
});

test('unknown scores, gmm on a softmax head and non-finite thresholds are ValueErrors', () => {
  assert.throws(
    () => anomalySettings('gmm', cal, { score: 'entropy' }),
    /must be gmm, msp, maxLogit, energy; got 'entropy'/,
  );
  assert.throws(
    () => anomalySettings('softmax', {}, { score: 'gmm', threshold: 1 }, 'sm.gmmseg'),
    /score 'gmm' needs a GMM model; sm\.gmmseg has a softmax head/,
  );
  assert.throws(() => anomalySettings('gmm', cal, { threshold: NaN }), /finite number, got NaN/);
  assert.throws(() => anomalySettings('gmm', cal, { threshold: Infinity }), /finite number/);
});
