/**
 * Prediction on the engine equals the previous, naive path up to float rounding: the whole image's maps upsampled
 * at once with tf.image.resizeBilinear, then softmax / max / logsumexp / argmax over the full [H·W, C] maps (kept
 * here as the reference), for whole and slide mode, in any band size, batched or not.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resizeImageBilinear } from '../../../src/data/augment.js';
import type { RgbImage } from '../../../src/data/sample.js';
import { initEngine } from '../../../src/engine/engine.js';
import { pixelOutputs, rowMatrix, rowWeights, upsampledBands } from '../../../src/infer/pixel-outputs.js';
import { isMultiView, mirrorImage } from '../../../src/infer/multi-view.js';
import { predictImage, predictImages, type Prediction } from '../../../src/infer/predict.js';
import { createSegModel } from '../../../src/model/create-seg-model.js';
import { headOutputs, type SegModel } from '../../../src/model/seg-model.js';
import { createRng, normal, randInt } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

const TINY = { embedDim: 8, width: [8, 8, 16, 16], asppChannels: 8, lowLevelChannels: 4, decoderChannels: 8 };
const CLASSES = ['a', 'b', 'c', 'd'];
const TOL = { rtol: 1e-5, atol: 1e-5 };

/** The reference's per-pixel outputs from full-resolution maps [1, H, W, C] (the previous implementation). */
function naiveOutputs(logits: tf.Tensor4D, classScores: tf.Tensor4D | undefined, W: number, H: number): Prediction {
  const C = logits.shape[3];
  const flat = tf.reshape(logits, [-1, C]);
  const out: Prediction = {
    width: W,
    height: H,
    classMap: Uint8Array.from(tf.argMax(logits, -1).dataSync()),
    scores: {
      msp: Float32Array.from(tf.neg(tf.max(tf.softmax(flat), -1)).dataSync()),
      maxLogit: Float32Array.from(tf.neg(tf.max(flat, -1)).dataSync()),
      energy: Float32Array.from(tf.neg(tf.logSumExp(flat, -1)).dataSync()),
    },
  };
  if (classScores) {
    out.scores.gmm = Float32Array.from(tf.neg(tf.max(classScores, -1)).dataSync());
    out.classLikelihoods = Float32Array.from(classScores.dataSync());
  }
  return out;
}

/** The reference's maps of one network input upsampled to [H, W]. */
function naiveMaps(
  model: SegModel,
  input: RgbImage,
  H: number,
  W: number,
): { logits: tf.Tensor4D; classScores?: tf.Tensor4D } {
  const x = tf.tensor4d(Float32Array.from(input.data), [1, input.height, input.width, 3]);
  const out = headOutputs(model.head, model.extractor.forward(x, { training: false }));
  const up = (t: tf.Tensor4D): tf.Tensor4D => tf.image.resizeBilinear(t, [H, W], false, true);
  return out.classScores ? { logits: up(out.logits), classScores: up(out.classScores) } : { logits: up(out.logits) };
}

function naiveWhole(model: SegModel, image: RgbImage): Prediction {
  return tf.tidy(() => {
    const m = model.extractor.sizeMultiple;
    const h = Math.max(m, Math.round(image.height / m) * m);
    const w = Math.max(m, Math.round(image.width / m) * m);
    const input = h === image.height && w === image.width ? image : resizeImageBilinear(image, w, h);
    const maps = naiveMaps(model, input, image.height, image.width);
    return naiveOutputs(maps.logits, maps.classScores, image.width, image.height) as unknown as tf.TensorContainer;
  }) as unknown as Prediction;
}

/** The reference's slide mode: window maps summed in full-size arrays, averaged by the overlap count. */
function naiveSlide(model: SegModel, image: RgbImage, win: [number, number], stride: [number, number]): Prediction {
  const C = CLASSES.length;
  const { width: W, height: H } = image;
  const sums = [new Float32Array(H * W * C), new Float32Array(H * W * C)];
  const count = new Float32Array(H * W);
  const starts = (size: number, n: number, s: number): number[] => {
    const o: number[] = [];
    for (let v = 0; ; v += s) {
      if (v + n >= size) return [...o, size - n];
      o.push(v);
    }
  };
  for (const y0 of starts(H, win[0], stride[0]))
    for (const x0 of starts(W, win[1], stride[1])) {
      const crop = new Uint8Array(win[0] * win[1] * 3);
      for (let y = 0; y < win[0]; y++)
        crop.set(image.data.subarray(((y0 + y) * W + x0) * 3, ((y0 + y) * W + x0 + win[1]) * 3), y * win[1] * 3);
      const maps = tf.tidy(() => naiveMaps(model, { width: win[1], height: win[0], data: crop }, win[0], win[1]));
      [maps.logits, maps.classScores].forEach((t, k) => {
        if (!t) return;
        const d = t.dataSync();
        for (let y = 0; y < win[0]; y++)
          for (let x = 0; x < win[1]; x++)
            for (let c = 0; c < C; c++) sums[k]![((y0 + y) * W + x0 + x) * C + c] += d[(y * win[1] + x) * C + c]!;
        t.dispose();
      });
      for (let y = 0; y < win[0]; y++) for (let x = 0; x < win[1]; x++) count[(y0 + y) * W + x0 + x]! += 1;
    }
  const avg = (s: Float32Array): tf.Tensor4D =>
    tf.tensor4d(
      s.map((v, i) => v / count[Math.floor(i / C)]!),
      [1, H, W, C],
    );
  return tf.tidy(() => {
    const scores = model.head.kind === 'gmm' ? avg(sums[1]!) : undefined;
    return naiveOutputs(avg(sums[0]!), scores, W, H) as unknown as tf.TensorContainer;
  }) as unknown as Prediction;
}

/**
 * Equal up to float rounding: scores within `tol` (the absolute part relative to the maps' magnitude: interpolation
 * rounds at the inputs' scale); a class differs only where the reference's logits tie within
 * rounding (checked on the reference's own maps through `logitGap`).
 */
function expectSame(actual: Prediction, expected: Prediction, what: string, tol = TOL): void {
  assert.deepEqual([actual.width, actual.height], [expected.width, expected.height]);
  assert.deepEqual(Object.keys(actual.scores).sort(), Object.keys(expected.scores).sort(), `${what}: score names`);
  for (const [name, e] of Object.entries(expected.scores))
    expectClose(actual.scores[name as keyof Prediction['scores']]!, e, tol, `${what}: ${name}`);
  let differ = 0;
  actual.classMap.forEach((c, i) => (differ += c === expected.classMap[i] ? 0 : 1));
  assert.ok(differ <= Math.ceil(1e-3 * actual.classMap.length), `${what}: ${differ} class labels differ`);
  if (expected.classLikelihoods && actual.classLikelihoods)
    expectClose(actual.classLikelihoods, expected.classLikelihoods, tol, `${what}: likelihoods`);
}

function randomImage(seed: number, width: number, height: number): RgbImage {
  const rng = createRng(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => randInt(rng, 256)) };
}

async function tinyModel(head: 'gmm' | 'softmax'): Promise<SegModel> {
  const spec = head === 'gmm' ? { kind: 'gmm' as const, gmm: { componentsPerClass: 3 } } : { kind: 'softmax' as const };
  return createSegModel({ classes: CLASSES, extractor: { kind: 'deeplab', config: TINY }, head: spec }, createRng(3));
}

test('rowWeights: the half-pixel source rows of tf.image.resizeBilinear, edges clamped', () => {
  const r = rowWeights(0, 8, 2, 8); // src = (y + 0.5)/4 − 0.5
  assert.deepEqual(Array.from(r.top), [0, 0, 0, 0, 0, 0, 1, 1]);
  assert.deepEqual(Array.from(r.bottom), [0, 0, 1, 1, 1, 1, 1, 1]);
  expectClose(r.frac, [0.625, 0.875, 0.125, 0.375, 0.625, 0.875, 0.125, 0.375], TOL, 'frac');
});

test('rowMatrix: 1 − frac at top and frac at bottom, exactly 1 where the edge clamps them together', () => {
  const a = rowMatrix(rowWeights(0, 8, 2, 8), 2);
  assert.deepEqual(Array.from(a.subarray(0, 4)), [1, 0, 1, 0]);
  expectClose(a.subarray(4, 12), [0.875, 0.125, 0.625, 0.375, 0.375, 0.625, 0.125, 0.875], TOL, 'interior rows');
  assert.deepEqual(Array.from(a.subarray(12)), [0, 1, 0, 1]);
});

test('pixelOutputs of upsampled maps equal the whole-image resize and full-map reductions, for any band size', () => {
  const rng = createRng(7);
  for (const [h, w, H, W] of [
    [5, 7, 37, 23],
    [4, 6, 32, 48],
    [6, 9, 3, 4],
  ] as const) {
    const C = 5;
    const mk = (scale: number): tf.Tensor4D =>
      tf.tensor4d(
        Float32Array.from({ length: h * w * C }, () => scale * normal(rng)),
        [1, h, w, C],
      );
    const maps = { logits: mk(3), classScores: mk(40) };
    const magnitude = tf.tidy(() => tf.max(tf.abs(maps.classScores)).dataSync()[0]!);
    const expected = tf.tidy(
      () =>
        naiveOutputs(
          tf.image.resizeBilinear(maps.logits, [H, W], false, true),
          tf.image.resizeBilinear(maps.classScores, [H, W], false, true),
          W,
          H,
        ) as unknown as tf.TensorContainer,
    ) as unknown as Prediction;
    for (const bandPixels of [1, 2 * W + 1, 1 << 19]) {
      const before = tf.memory().numTensors;
      const source = upsampledBands([maps.logits, maps.classScores], H);
      const got = pixelOutputs(
        source,
        { height: H, width: W, classes: C, maps: 2 },
        {
          classLikelihoods: true,
          bandPixels,
        },
      );
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      expectSame(got, expected, `${h}×${w} → ${H}×${W}, band ${bandPixels} px`, { rtol: 1e-5, atol: 1e-6 * magnitude });
      assert.deepEqual(got.classMap, expected.classMap, 'random maps have no ties');
    }
    tf.dispose([maps.logits, maps.classScores]);
  }
});

test('predictImage (whole and slide, GMM and softmax heads) equals the previous implementation', async () => {
  for (const head of ['gmm', 'softmax'] as const) {
    const model = await tinyModel(head);
    const image = randomImage(11, 70, 45); // not a multiple of 16: resized for the network
    const whole = predictImage(model, image, { mode: 'whole', classLikelihoods: true, bandPixels: 700 });
    expectSame(whole, naiveWhole(model, image), `${head} whole`);
    assert.equal(whole.classLikelihoods !== undefined, head === 'gmm');
    const slideOpts = {
      mode: 'slide' as const,
      window: [32, 48] as [number, number],
      stride: [16, 24] as [number, number],
    };
    const slide = predictImage(model, image, { ...slideOpts, bandPixels: 500 });
    expectSame(slide, naiveSlide(model, image, slideOpts.window, slideOpts.stride), `${head} slide`);
  }
});

test('predictImages: a batch through one forward equals one image at a time; sizes may differ', async () => {
  const model = await tinyModel('gmm');
  const images = [randomImage(1, 64, 48), randomImage(2, 64, 48), randomImage(3, 40, 30), randomImage(4, 64, 48)];
  const before = tf.memory().numTensors;
  const batch = predictImages(model, images, { mode: 'whole' });
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  assert.equal(batch.length, images.length);
  batch.forEach((p, i) => expectSame(p, predictImage(model, images[i]!), `image ${i}`));
});

/** The naive multi-view mean: each view's maps upsampled to [H, W] (a mirrored view flipped back there), averaged. */
function naiveViews(model: SegModel, image: RgbImage, scales: number[], flip: boolean): Prediction {
  return tf.tidy(() => {
    const m = model.extractor.sizeMultiple;
    const { width: W, height: H } = image;
    const sums: tf.Tensor4D[][] = [];
    for (const s of scales)
      for (const mirrored of flip ? [false, true] : [false]) {
        const src = mirrored ? mirrorImage(image) : image;
        const h = Math.max(m, Math.round((H * s) / m) * m);
        const w = Math.max(m, Math.round((W * s) / m) * m);
        const maps = naiveMaps(model, resizeImageBilinear(src, w, h), H, W);
        const back = (t: tf.Tensor4D): tf.Tensor4D => (mirrored ? tf.reverse(t, 2) : t);
        sums.push(maps.classScores ? [back(maps.logits), back(maps.classScores)] : [back(maps.logits)]);
      }
    const mean = (g: number): tf.Tensor4D => tf.div(tf.addN(sums.map((v) => v[g]!)), sums.length);
    const scores = model.head.kind === 'gmm' ? mean(1) : undefined;
    return naiveOutputs(mean(0), scores, W, H) as unknown as tf.TensorContainer;
  }) as unknown as Prediction;
}

test('multi-view prediction (scales, mirror) equals the mean of the upsampled views, for both heads', async () => {
  for (const head of ['gmm', 'softmax'] as const) {
    const model = await tinyModel(head);
    const image = randomImage(21, 70, 45);
    for (const [scales, flip] of [
      [[1], true],
      [[0.75, 1.5], false],
      [[1, 1.5], true],
    ] as const) {
      const before = tf.memory().numTensors;
      const got = predictImage(model, image, { mode: 'whole', scales, flip, bandPixels: 900 });
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      expectSame(got, naiveViews(model, image, [...scales], flip), `${head} scales ${scales} flip ${flip}`);
    }
  }
});

test('multi-view: one unflipped view at scale 1 is plain whole mode; mirror equivariance; bad settings named', async () => {
  const model = await tinyModel('gmm');
  const image = randomImage(22, 64, 48);
  assert.equal(isMultiView({ scales: [1], flip: false }), false);
  assert.equal(isMultiView({ scales: [1, 1] }), true);
  // the mean of two identical views is the view itself
  expectSame(predictImage(model, image, { mode: 'whole', scales: [1, 1] }), predictImage(model, image), 'two views');
  // with the mirror averaged in, predicting the mirrored image gives the mirrored prediction
  const a = predictImage(model, image, { mode: 'whole', flip: true });
  const b = predictImage(model, mirrorImage(image), { mode: 'whole', flip: true });
  const unmirror = (v: Float32Array): Float32Array => {
    const out = new Float32Array(v.length);
    for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) out[y * 64 + x] = v[y * 64 + 63 - x]!;
    return out;
  };
  expectClose(unmirror(b.scores.gmm!), a.scores.gmm!, TOL, 'mirror equivariance');
  assert.deepEqual(mirrorImage(mirrorImage(image)), image);
  assert.throws(() => predictImage(model, image, { mode: 'whole', scales: [0] }), /scale 0 is not in \(0, 4\]/);
  assert.throws(
    () => predictImage(model, image, { mode: 'slide', window: [32, 32], stride: [16, 16], flip: true }),
    /scales and flip apply to whole mode only/,
  );
});
