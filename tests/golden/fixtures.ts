/**
 * Golden-fixture checks: each reference fixture format (self-describing JSON from ../shared/golden) is replayed
 * through our implementation and compared within the tolerance the fixture states, with every setting taken from
 * the fixture's `params`.
 */
import * as tf from '@tensorflow/tfjs';
import { makeGmmConfig, type GmmConfig } from '../../src/gmm/config.js';
import { makeNorms, headForward, type HeadState } from '../../src/gmm/head.js';
import {
  componentLogDensity,
  densityMatrix,
  densityTensors,
  disposeDensityTensors,
} from '../../src/gmm/log-density.js';
import { flattenQueue, queueFromBuffers, type QueueMemory } from '../../src/gmm/memory.js';
import { sinkhornAssign } from '../../src/gmm/sinkhorn.js';
import { headTrainStep } from '../../src/gmm/train-step.js';
import { compareClose, type Tolerance } from '../helpers/close.js';

/** A fixture array: `{ shape, dtype, data }` (row-major). */
export interface FixtureArray {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: number[];
}

/** One comparison's outcome. */
export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

type Json = Record<string, unknown>;

/** Identifies the fixture format from its keys; throws on an unknown one. */
export function fixtureKind(fx: Json): 'sinkhorn' | 'log-prob' | 'head-train' {
  const inputs = (fx['inputs'] ?? {}) as Json;
  if (Array.isArray(fx['steps']) && fx['initial']) return 'head-train';
  if (inputs['componentLogits']) return 'sinkhorn';
  if (inputs['features'] && inputs['means'] && inputs['stds']) return 'log-prob';
  throw new Error(
    `unknown fixture format (keys: ${Object.keys(fx).join(', ')}; inputs: ${Object.keys(inputs).join(', ')})`,
  );
}

/** Runs every check of one fixture. */
export function checkFixture(fx: Json): Check[] {
  const kind = fixtureKind(fx);
  if (kind === 'sinkhorn') return checkSinkhorn(fx);
  if (kind === 'log-prob') return checkLogProb(fx);
  return checkHeadTrain(fx);
}

function tolerance(fx: Json): Tolerance | 'exact' {
  const t = fx['tolerance'] as Json | undefined;
  if (!t) throw new Error('fixture has no tolerance');
  if (t['exact'] === true) return 'exact';
  return { rtol: Number(t['rtol']), atol: Number(t['atol']) };
}

function arr(a: unknown, name: string): FixtureArray {
  const f = a as FixtureArray | undefined;
  if (!f || !Array.isArray(f.shape) || !Array.isArray(f.data))
    throw new Error(`fixture array '${name}' missing or malformed`);
  return f;
}

function f32(a: unknown, name: string): Float32Array {
  return Float32Array.from(arr(a, name).data);
}

function compare(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance | 'exact',
): Check {
  const t = tol === 'exact' ? { rtol: 0, atol: 0 } : tol;
  const r = compareClose(actual, expected, t);
  const detail = r.ok
    ? `max |diff| ${r.maxAbsDiff.toExponential(2)}`
    : `${r.bad}/${expected.length} out of tolerance (rtol ${t.rtol}, atol ${t.atol}); worst index ${r.worstIndex}: got ${r.worstActual}, want ${r.worstExpected}` +
      (actual.length !== expected.length ? `; length ${actual.length} vs ${expected.length}` : '');
  return { what, ok: r.ok, detail };
}

function checkSinkhorn(fx: Json): Check[] {
  const inputs = fx['inputs'] as Json;
  const params = fx['params'] as Json;
  const logits = arr(inputs['componentLogits'], 'componentLogits');
  const [n, K] = logits.shape as [number, number];
  const got = sinkhornAssign(logits.data, n, K, {
    iterations: Number(params['iterations']),
    epsilon: Number(params['epsilon']),
  });
  const want = arr((fx['outputs'] as Json)['assignment'], 'assignment').data;
  return [compare('sinkhorn assignment', got, want, 'exact')];
}

function checkLogProb(fx: Json): Check[] {
  const inputs = fx['inputs'] as Json;
  const feats = arr(inputs['features'], 'features');
  const means = arr(inputs['means'], 'means');
  const [C, K, D] = means.shape as [number, number, number];
  const dt = densityTensors(densityMatrix(Float32Array.from(means.data), f32(inputs['stds'], 'stds'), C * K, D));
  try {
    const got = tf.tidy(() =>
      componentLogDensity(tf.tensor2d(feats.data, feats.shape as [number, number]), dt).dataSync(),
    );
    return [
      compare('log-density [N, C, K]', got, arr((fx['outputs'] as Json)['logProb'], 'logProb').data, tolerance(fx)),
    ];
  } finally {
    disposeDensityTensors(dt);
  }
}

/** Config for a head-train fixture: its params, plus the reference's own behaviours (queue, all-pixel CE, collision). */
export function fixtureConfig(params: Json): GmmConfig {
  return makeGmmConfig({
    ...params,
    memoryKind: 'queue',
    classScore: 'max',
    segLossReduction: 'all-pixels',
    contrastTargetCollision: 'reference',
  });
}

function initialState(cfg: GmmConfig, init: Json): HeadState {
  const ptr = Int32Array.from(arr(init['memoryPointer'], 'memoryPointer').data);
  const memory: QueueMemory = queueFromBuffers(
    f32(init['memory'], 'memory'),
    ptr,
    cfg.memoryPerComponent,
    cfg.embedDim,
  );
  const norms = makeNorms(
    f32(init['featNormWeight'], 'featNormWeight'),
    f32(init['featNormBias'], 'featNormBias'),
    f32(init['classNormWeight'], 'classNormWeight'),
    f32(init['classNormBias'], 'classNormBias'),
    false,
  );
  return {
    config: cfg,
    norms,
    gmm: { means: f32(init['means'], 'means'), stds: f32(init['stds'], 'stds') },
    memory,
    memoryVersion: memory.version,
    step: 0,
  };
}

function checkHeadTrain(fx: Json): Check[] {
  const cfg = fixtureConfig(fx['params'] as Json);
  const tol = tolerance(fx);
  let state = initialState(cfg, fx['initial'] as Json);
  const checks: Check[] = [];
  (fx['steps'] as Json[]).forEach((step, i) => {
    const inputs = step['inputs'] as Json;
    const out = step['outputs'] as Json;
    const feats = arr(inputs['features'], 'features');
    const labels = arr(inputs['labels'], 'labels');
    const features = tf.tensor4d(feats.data, feats.shape as [number, number, number, number]);
    const r = headTrainStep(state, {
      features,
      labels: labels.data,
      labelShape: labels.shape as [number, number, number],
    });
    features.dispose();
    state = r.state;
    const s = `step ${i + 1}`;
    const targets = Array.from(r.componentTargets, (t) => (t < 0 ? cfg.ignoreIndex : t));
    checks.push(compare(`${s} classLogits`, r.classLogits, arr(out['classLogits'], 'classLogits').data, tol));
    checks.push(
      compare(`${s} componentTargets`, targets, arr(out['componentTargets'], 'componentTargets').data, 'exact'),
    );
    checks.push(compare(`${s} segLoss`, [r.segLoss], [Number(out['segLoss'])], tol));
    checks.push(compare(`${s} contrastLoss`, [r.contrastLoss], [Number(out['contrastLoss'])], tol));
    checks.push(compare(`${s} means`, state.gmm.means, arr(out['means'], 'means').data, tol));
    checks.push(compare(`${s} stds`, state.gmm.stds, arr(out['stds'], 'stds').data, tol));
    checks.push(
      compare(`${s} memory`, flattenQueue(state.memory as QueueMemory), arr(out['memory'], 'memory').data, tol),
    );
    checks.push(
      compare(
        `${s} memoryPointer`,
        (state.memory as QueueMemory).pointer,
        arr(out['memoryPointer'], 'memoryPointer').data,
        'exact',
      ),
    );
  });
  const inf = fx['inference'] as Json | undefined;
  if (inf) {
    const feats = arr((inf['inputs'] as Json)['features'], 'features');
    const got = tf.tidy(() =>
      headForward(state, tf.tensor4d(feats.data, feats.shape as [number, number, number, number])).logits.dataSync(),
    );
    checks.push(
      compare('inference classLogits', got, arr((inf['outputs'] as Json)['classLogits'], 'classLogits').data, tol),
    );
  }
  return checks;
}
