import test from 'node:test';
import assert from 'node:assert/strict';
import { classRows, createClassReservoir, offerRows } from '../../../src/gmm/class-reservoir.js';
import { logDensities, refitClassMixture } from '../../../src/gmm/refit.js';
import { createRng, normal } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

const D = 8;

/** n rows around each of `centres` (unit vectors) with per-dimension noise σ, renormalised. */
function clusters(centres: number[][], n: number, sigma: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(centres.length * n * D);
  centres.forEach((c, k) => {
    for (let i = 0; i < n; i++) {
      const v = c.map((m) => m + sigma * normal(rng));
      const norm = Math.hypot(...v);
      v.forEach((x, d) => (out[(k * n + i) * D + d] = x / norm));
    }
  });
  return out;
}

const axis = (d: number, s = 1): number[] => Array.from({ length: D }, (_, j) => (j === d ? s : 0));
const opts = {
  componentsPerClass: 3,
  iterations: 10,
  stdFloorVariance: 1e-6,
  sinkhorn: { iterations: 3, epsilon: 0.05 },
};

test('refit recovers three well-separated clusters: means, equal counts, stds near the noise level', () => {
  const centres = [axis(0), axis(3), axis(5, -1)];
  const x = clusters(centres, 400, 0.05, 1);
  const fit = refitClassMixture(x, D, opts, createRng(7));
  assert.deepEqual([...fit.counts].sort(), [400, 400, 400]);
  for (const c of centres) {
    const best = Math.max(...[0, 1, 2].map((k) => c.reduce((s, v, d) => s + v * (fit.means[k * D + d] as number), 0)));
    assert.ok(best > 0.99, `a mean within cos 0.99 of each centre (best ${best})`);
  }
  // Off-axis dimensions carry the noise σ = 0.05; the on-axis one (x_d ≈ 1 − ‖noise‖²/2) is much tighter.
  const offAxis = [...fit.stds].filter((s) => s > 0.02);
  assert.equal(offAxis.length, 3 * (D - 1));
  for (const s of offAxis) assert.ok(s > 0.04 && s < 0.06, `std ${s} near the noise 0.05`);
});

test('refit stds follow the M-step formula on the final assignment (float64 oracle) and respect the floor', () => {
  const x = clusters([axis(1), axis(2)], 50, 0.1, 2);
  const floor = 0.01;
  const fit = refitClassMixture(x, D, { ...opts, componentsPerClass: 2, stdFloorVariance: floor }, createRng(3));
  for (const s of fit.stds) assert.ok(s >= Math.sqrt(floor) - 1e-7);
  // Rows closest (by the fitted densities) to each component reproduce its σ with the formula v = E[(x − f)²].
  const ll = logDensities(x, 100, D, Float64Array.from(fit.means), Float64Array.from(fit.stds), 2);
  const groups = [0, 1].map((k) =>
    [...Array(100).keys()].filter((i) => (ll[i * 2 + k] as number) >= (ll[i * 2 + 1 - k] as number)),
  );
  assert.equal(groups[0]!.length + groups[1]!.length, 100);
  for (const k of [0, 1]) {
    if (groups[k]!.length !== fit.counts[k]) continue; // the Sinkhorn plan may differ from the density argmax
    for (let d = 0; d < D; d++) {
      const f = fit.means[k * D + d] as number;
      const v = groups[k]!.reduce((s, i) => s + ((x[i * D + d] as number) - f) ** 2, 0) / groups[k]!.length;
      expectClose(fit.stds[k * D + d] as number, Math.sqrt(v + floor), { rtol: 1e-5, atol: 1e-6 }, `std ${k},${d}`);
    }
  }
});

test('refit rejects fewer rows than components', () => {
  assert.throws(() => refitClassMixture(new Float32Array(2 * D), D, opts, createRng(0)), /at least K = 3/);
});

test('class reservoir keeps every row below capacity, a uniform sample above it, and skips the ignore value', () => {
  const res = createClassReservoir(2, 2, 100);
  const feats = Float32Array.from({ length: 2 * 1000 }, (_, i) => i);
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 === 9 ? 255 : i % 2));
  offerRows(res, feats, labels, createRng(4));
  assert.equal(res.filled[0], 100);
  assert.equal(res.seen[0], 500);
  assert.equal(res.seen[1], 400);
  const rows = classRows(res, 1);
  assert.equal(rows.length, 200);
  for (let r = 0; r < 100; r++) {
    const i = (rows[r * 2] as number) / 2;
    assert.equal(labels[i], 1, 'only class-1 rows');
    assert.equal(rows[r * 2 + 1], (rows[r * 2] as number) + 1, 'rows copied whole');
  }
  const mean = Array.from({ length: 100 }, (_, r) => rows[r * 2] as number).reduce((a, b) => a + b, 0) / 100;
  assert.ok(mean > 600 && mean < 1400, `sample spread over the stream (mean index ${mean / 2})`);
});
