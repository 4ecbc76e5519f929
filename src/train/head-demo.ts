/**
 * The head demo: trains the GMM head alone (Sinkhorn EM for the mixtures, Adam for the two LayerNorms) on synthetic
 * "embedding scenes" — feature maps whose regions come from per-class Gaussian mixtures — then evaluates closed-set
 * mIoU and anomaly detection on scenes that contain regions of an unseen class. No I/O: the CLI prints and saves.
 *
 * Scene: an h×w feature map; background class 0 plus 2–4 rectangles of random classes; each region draws its pixels
 * from one (class, component) Gaussian (centre 2·u with u a random unit vector, per-dimension std in [0.1, 0.4]).
 * Labels are given at 2× resolution (nearest), as a real extractor would see them. Anomaly scenes add one rectangle
 * from an unseen class: semantic label 255 (ignored), anomaly mask 1.
 */
import * as tf from '@tensorflow/tfjs';
import { makeGmmConfig, type GmmConfig } from '../gmm/config.js';
import { anomalyScore, createHeadState, headForward, type HeadState } from '../gmm/head.js';
import { headTrainStep } from '../gmm/train-step.js';
import { accumulateConfusion, createConfusion } from '../metrics/confusion.js';
import { anomalyMetricsExact, type AnomalyMetrics } from '../metrics/ranking.js';
import { segmentationMetrics } from '../metrics/segmentation.js';
import { createRng, normal, randInt, uniform, type Rng } from '../random.js';

/** Demo settings. */
export interface HeadDemoOptions {
  seed: number;
  steps: number;
  batchSize: number;
  classes: number;
  componentsPerClass: number;
  embedDim: number;
  /** h = w of the feature maps. */
  featureSize: number;
  testScenes: number;
  learningRate: number;
}

export const DEFAULT_HEAD_DEMO: HeadDemoOptions = { seed: 1, steps: 150, batchSize: 4, classes: 5, componentsPerClass: 3, embedDim: 16, featureSize: 16, testScenes: 24, learningRate: 0.02 };

/** What the demo measured. */
export interface HeadDemoReport {
  miou: number;
  iou: number[];
  accuracy: number;
  /** GMM score: −max_c log p(x | c). */
  anomalyGmm: AnomalyMetrics;
  /** Baseline on the same model: −max softmax probability of the logits. */
  anomalyMsp: AnomalyMetrics;
  finalLoss: number;
}

interface World {
  centres: Float32Array[];
  spreads: Float32Array[];
}

/** One scene: features [h, w, D], labels [2h, 2w], anomaly mask [h, w]. */
interface Scene {
  feats: Float32Array;
  labelsSmall: Int32Array;
  anomaly: Uint8Array;
}

/** Progress callback: step index and loss. */
export type DemoProgress = (step: number, loss: number) => void;

/** Runs the demo; returns the trained head and the report. */
export function runHeadDemo(opts: HeadDemoOptions, onStep: DemoProgress = () => undefined): { state: HeadState; classes: string[]; report: HeadDemoReport; config: GmmConfig } {
  const rng = createRng(opts.seed);
  const { classes: C, componentsPerClass: K, embedDim: D, featureSize: h } = opts;
  const world = makeWorld(rng, C + 1, K, D); // class C is the unseen one
  const config = makeGmmConfig({ classes: C, componentsPerClass: K, embedDim: D, memoryPerComponent: 256, meanMomentum: 0.95, gmmUpdateEvery: 1, chunkRows: 4096 });
  let state = createHeadState(config, rng, true);
  const optimizer = tf.train.adam(opts.learningRate);
  let loss = NaN;
  for (let step = 0; step < opts.steps; step++) {
    const scenes = Array.from({ length: opts.batchSize }, () => makeScene(rng, world, C, K, D, h, false));
    const features = tf.tensor4d(concat(scenes.map((s) => s.feats)), [opts.batchSize, h, h, D]);
    const labels = concatInt(scenes.map((s) => upsample2(s.labelsSmall, h)));
    const r = headTrainStep(state, { features, labels, labelShape: [opts.batchSize, 2 * h, 2 * h] }, { optimizer });
    features.dispose();
    state = r.state;
    loss = r.loss;
    onStep(step, loss);
  }
  optimizer.dispose();
  return { state, classes: ['background', ...Array.from({ length: C - 1 }, (_, i) => `object${i + 1}`)], report: evaluate(state, rng, world, opts, loss), config };
}

function evaluate(state: HeadState, rng: Rng, world: World, opts: HeadDemoOptions, finalLoss: number): HeadDemoReport {
  const { classes: C, componentsPerClass: K, embedDim: D, featureSize: h } = opts;
  const cm = createConfusion(C);
  const gmmScores: number[] = [];
  const mspScores: number[] = [];
  const anomalyLabels: number[] = [];
  for (let i = 0; i < opts.testScenes; i++) {
    const s = makeScene(rng, world, C, K, D, h, true);
    const features = tf.tensor4d(s.feats, [1, h, h, D]);
    const { logits, classScores } = headForward(state, features);
    const pred = tf.tidy(() => tf.argMax(logits, -1).dataSync());
    accumulateConfusion(cm, pred, s.labelsSmall, 255);
    tf.tidy(() => anomalyScore(classScores).dataSync()).forEach((v) => gmmScores.push(v));
    tf.tidy(() => tf.neg(tf.max(tf.softmax(logits), -1)).dataSync()).forEach((v) => mspScores.push(v));
    s.anomaly.forEach((v) => anomalyLabels.push(v));
    [features, logits, classScores].forEach((t) => t.dispose());
  }
  const seg = segmentationMetrics(cm);
  return { miou: seg.miou, iou: Array.from(seg.iou), accuracy: seg.accuracy, anomalyGmm: anomalyMetricsExact(gmmScores, anomalyLabels), anomalyMsp: anomalyMetricsExact(mspScores, anomalyLabels), finalLoss };
}

function makeWorld(rng: Rng, classes: number, K: number, D: number): World {
  const centres: Float32Array[] = [];
  const spreads: Float32Array[] = [];
  for (let j = 0; j < classes * K; j++) {
    const u = Float32Array.from({ length: D }, () => normal(rng));
    const n = Math.hypot(...u);
    centres.push(u.map((v) => (2 * v) / n));
    spreads.push(Float32Array.from({ length: D }, () => 0.1 + 0.3 * uniform(rng)));
  }
  return { centres, spreads };
}

function makeScene(rng: Rng, world: World, C: number, K: number, D: number, h: number, withAnomaly: boolean): Scene {
  const region = new Int32Array(h * h); // slot index (class·K + component) per pixel
  const labelsSmall = new Int32Array(h * h);
  const anomaly = new Uint8Array(h * h);
  region.fill(randInt(rng, K));
  const rects = 2 + randInt(rng, 3);
  for (let r = 0; r <= rects; r++) {
    const unseen = withAnomaly && r === rects;
    if (r === rects && !unseen) break;
    const c = unseen ? C : 1 + randInt(rng, C - 1);
    const slot = c * K + randInt(rng, K);
    const [y0, x0] = [randInt(rng, h - 3), randInt(rng, h - 3)];
    const [y1, x1] = [Math.min(h, y0 + 3 + randInt(rng, h / 2)), Math.min(h, x0 + 3 + randInt(rng, h / 2))];
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
      region[y * h + x] = slot;
      labelsSmall[y * h + x] = unseen ? 255 : c;
      anomaly[y * h + x] = unseen ? 1 : 0;
    }
  }
  const feats = new Float32Array(h * h * D);
  for (let p = 0; p < h * h; p++) {
    const slot = region[p] as number;
    const mu = world.centres[slot] as Float32Array;
    const sd = world.spreads[slot] as Float32Array;
    for (let d = 0; d < D; d++) feats[p * D + d] = (mu[d] as number) + (sd[d] as number) * normal(rng);
  }
  return { feats, labelsSmall, anomaly };
}

function upsample2(small: Int32Array, h: number): Int32Array {
  const out = new Int32Array(4 * h * h);
  for (let y = 0; y < 2 * h; y++) for (let x = 0; x < 2 * h; x++) out[y * 2 * h + x] = small[(y >> 1) * h + (x >> 1)] as number;
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function concatInt(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
