/**
 * `npm run bench:infer -- [--model FILE] [--sizes 480x360,2048x1024] [--reps N] [--engine E] [--json]`: inference
 * time of a trained model (default: the demo's GMM model `demo-out/gmm.gmmseg`; without it, a 1-step mbv3 + GMM model
 * with the demo's head settings is trained in memory — the speed does not depend on training) on random RGB images of
 * each size: the whole `predictImage` (network, GMM class scores, upsampling to the image size, class map and all
 * anomaly scores read back) next to the kernel-only time of the same model in the same run (`segForward` on the
 * network input: extractor + head at feature resolution), interleaved, medians of `reps` after one warm-up.
 * `--json`: the last line is `{"engine", "machine", "model", "reps", "results": [{"width", "height", "predictMs",
 * "kernelMs", "ratio"}]}` (ratio = predictMs / kernelMs).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { buildDigitScenes } from '../src/data/digit-scenes.js';
import { engineSummary, initEngine, parseEngineName, machineSummary } from '../src/engine/engine.js';
import { predictImage, wholeImageInput } from '../src/infer/predict.js';
import { createSegModel } from '../src/model/create-seg-model.js';
import { decodeModel } from '../src/model/format.js';
import { segModelFromFile } from '../src/model/seg-model-file.js';
import { segForward, type SegModel } from '../src/model/seg-model.js';
import { createRng, randInt } from '../src/random.js';
import { createAdamWState } from '../src/train/adamw.js';
import { runTraining } from '../src/train/run.js';
import { makeTrainConfig } from '../src/train/train-config.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const sizes = (flag('--sizes') ?? '480x360,2048x1024').split(',').map((s) => {
  const [w, h] = s.split('x').map(Number);
  if (!(Number.isInteger(w) && Number.isInteger(h) && w! > 0 && h! > 0))
    throw new Error(`bench:infer: --sizes must be WxH[,WxH…], got '${s}'`);
  return [w, h] as [number, number];
});
const reps = Number(flag('--reps') ?? 3);
const engineArg = flag('--engine');
const engine = await initEngine(engineArg ? parseEngineName(engineArg, '--engine') : undefined);

/** The given (or the demo's) model file, else a 1-step stand-in; `file` is undefined for the stand-in. */
async function benchModel(): Promise<{ model: SegModel; file?: string }> {
  const given = flag('--model') ?? 'demo-out/gmm.gmmseg';
  if (existsSync(given))
    return { model: (await segModelFromFile(decodeModel(await readFile(given)))).model, file: given };
  if (flag('--model')) throw new Error(`bench:infer: --model ${given} does not exist`);
  const scenes = await buildDigitScenes({ seed: 0, trainCount: 8, testCount: 1, anomalyCount: 1 });
  const config = makeTrainConfig({ steps: 1, batchSize: 1, cropSize: [128, 128] });
  const head = { kind: 'gmm' as const, gmm: { componentsPerClass: 5, memoryPerComponent: 64 } };
  const model = await createSegModel(
    { classes: scenes.train.classes, extractor: { kind: 'mbv3' }, head },
    createRng(config.seed),
  );
  const run = await runTraining({
    state: { step: 0, model, optimizer: createAdamWState() },
    config,
    train: scenes.train,
  });
  return { model: run.state.model };
}

const { model, file } = await benchModel();
const machine = machineSummary();

/** Median and extremes of interleaved runs: forward alone, then the whole prediction, `reps` times after a warm-up. */
function measure(width: number, height: number): { kernelMs: number; predictMs: number; spread: string } {
  const rng = createRng(1);
  const image = { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => randInt(rng, 256)) };
  const input = wholeImageInput(image, model.extractor.sizeMultiple);
  const kernel = (): number => {
    const x = tf.tensor4d(new Float32Array(input.data), [1, input.height, input.width, 3]);
    const t0 = performance.now();
    const out = segForward(model, x);
    const ms = performance.now() - t0;
    tf.dispose([x, out.logits, ...(out.classScores ? [out.classScores] : [])]);
    return ms;
  };
  const predict = (): number => {
    const t0 = performance.now();
    predictImage(model, image, { mode: 'whole' });
    return performance.now() - t0;
  };
  kernel();
  predict();
  const k: number[] = [];
  const p: number[] = [];
  for (let r = 0; r < reps; r++) {
    k.push(kernel());
    p.push(predict());
  }
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
  const range = (a: number[]): string => `${Math.min(...a).toFixed(0)}–${Math.max(...a).toFixed(0)}`;
  return { kernelMs: median(k), predictMs: median(p), spread: `kernel ${range(k)}, predict ${range(p)}` };
}

const results = sizes.map(([width, height]) => {
  const m = measure(width, height);
  const r = {
    width,
    height,
    predictMs: round(m.predictMs),
    kernelMs: round(m.kernelMs),
    ratio: m.predictMs / m.kernelMs,
  };
  if (!args.includes('--json'))
    console.log(
      `${width}×${height}: predict ${r.predictMs} ms, kernel-only (forward) ${r.kernelMs} ms, ratio ${r.ratio.toFixed(2)} (median of ${reps}; ${m.spread})`,
    );
  return { ...r, ratio: Math.round(r.ratio * 1000) / 1000 };
});
function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
const what = file ?? 'demo architecture (1-step model)';
if (args.includes('--json'))
  console.log(JSON.stringify({ engine, machine, model: file ?? 'untrained-demo-architecture', reps, results }));
else console.log(`bench:infer  ${engineSummary(engine)}; ${machine}; ${what}`);
