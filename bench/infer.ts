/**
 * `npm run bench:infer -- [--model FILE] [--width 1024] [--height 512] [--reps N] [--engine E] [--json]`: inference
 * time of a trained model (default: the demo's GMM model `demo-out/gmm.gmmseg`; without it, a 1-step mbv3 + GMM model
 * with the demo's head settings is trained in memory — the speed does not depend on training) on one width × height
 * RGB image: the whole `predictImage` (network, GMM class scores, upsampling to the image size, class map and all
 * anomaly scores read back). Prints the median of `reps` after one warm-up.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { buildDigitScenes } from '../src/data/digit-scenes.js';
import { engineSummary, initEngine, parseEngineName } from '../src/engine/engine.js';
import { predictImage } from '../src/infer/predict.js';
import { createSegModel } from '../src/model/create-seg-model.js';
import { decodeModel } from '../src/model/format.js';
import { segModelFromFile } from '../src/model/seg-model-file.js';
import type { SegModel } from '../src/model/seg-model.js';
import { createRng, randInt } from '../src/random.js';
import { createAdamWState } from '../src/train/adamw.js';
import { runTraining } from '../src/train/run.js';
import { makeTrainConfig } from '../src/train/train-config.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const [width, height, reps] = [
  Number(flag('--width') ?? 1024),
  Number(flag('--height') ?? 512),
  Number(flag('--reps') ?? 5),
];
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
const rng = createRng(1);
const image = { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => randInt(rng, 256)) };
const time = (): number => {
  const t0 = performance.now();
  predictImage(model, image, { mode: 'whole' });
  return performance.now() - t0;
};
time();
const times = Array.from({ length: reps }, time).sort((a, b) => a - b);
const ms = times[Math.floor(reps / 2)] as number;
if (args.includes('--json'))
  console.log(JSON.stringify({ engine, model: file ?? 'untrained-demo-architecture', width, height, ms }));
else
  console.log(
    `bench:infer  ${engineSummary(engine)}; ${file ?? 'demo architecture (1-step model)'}; ${width}×${height}: ${ms.toFixed(0)} ms per image (median of ${reps}; min ${times[0]!.toFixed(0)}, max ${times[reps - 1]!.toFixed(0)})`,
  );
