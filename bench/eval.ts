/**
 * `npm run bench:eval -- [--camvid PATH] [--model FILE] [--limit N] [--out DIR] [--engine E] [--worker|--no-worker] [--json]`: throughput
 * and peak memory of evaluation (`evaluateSets`, what `gmmseg eval --dataset camvid --split test --anomaly-dataset
 * camvid-anomaly` runs) on CamVid test + the CamVid pasted-object anomaly set (the first N images of each; default
 * all 233 + 233), next to prediction alone: the same model's `predictImage` over the same images, decoded
 * beforehand. Each measurement runs in its own child process, so its peak RSS (VmHWM) is its own. `--worker` /
 * `--no-worker` force the metric accumulation onto a worker thread / the main thread (default: as `evaluateSets`).
 *
 * Model: `--model FILE`, else `DIR/quick.gmmseg` (default DIR `bench-eval-out`), trained on the first use: the
 * bench:camvid architecture (frozen COCO MobileNetV3 + light decoder, 128 channels, 64-D embedding, GMM head with 5
 * components per class) after 30 steps × batch 4 on 32 CamVid train images (cached frozen maps). Evaluation speed does
 * not depend on how well it is trained. Prints engine, machine, images, eval and predict images/s, their ratio and
 * the eval's peak RSS; with `--json` the last line is
 * `{"engine", "images", "evalImagesPerSecond", "predictImagesPerSecond", "ratio", "peakRssMiB"}`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCamVidAnomaly } from '../src/data/camvid-anomaly.js';
import { openCamVid } from '../src/data/camvid.js';
import type { Dataset, RgbImage } from '../src/data/sample.js';
import { firstSamples } from '../src/data/subset.js';
import { engineSummary, initEngine, parseEngineName, machineSummary } from '../src/engine/engine.js';
import { predictImage } from '../src/infer/predict.js';
import { createSegModel } from '../src/model/create-seg-model.js';
import { decodeModel, encodeModel } from '../src/model/format.js';
import { segModelFromFile, segModelToFile } from '../src/model/seg-model-file.js';
import type { SegModel } from '../src/model/seg-model.js';
import { createRng } from '../src/random.js';
import { createAdamWState } from '../src/train/adamw.js';
import { evaluateSets } from '../src/train/evaluate.js';
import { runTraining } from '../src/train/run.js';
import { makeTrainConfig } from '../src/train/train-config.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const fail = (msg: string): never => {
  process.stderr.write(`bench:eval: ${msg}\n`);
  process.exit(1);
};
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const camvid = path.resolve(flag('--camvid') ?? path.join(root, '../shared/data/camvid'));
const limitArg = flag('--limit');
const limit = limitArg === undefined ? Infinity : Number(limitArg);
if (!(Number.isInteger(limit) && limit > 0) && limit !== Infinity)
  fail(`--limit must be a positive integer, got '${limitArg}'`);
const out = flag('--out') ?? 'bench-eval-out';
const engineArg = flag('--engine');
const phase = flag('--phase');
const workerFlag = args.includes('--worker') ? true : args.includes('--no-worker') ? false : undefined;

/** What one child phase measured (its stdout's last line). */
interface PhaseResult {
  images: number;
  seconds: number;
  peakRssMiB: number;
  forwards?: number;
  split?: { wait: number; predict: number; accumulate: number };
  tieMiB?: number;
  worker?: boolean;
}

/** CamVid test and the pasted-object anomaly set, each cut to the limit. */
async function evalSets(): Promise<{ closedSet: Dataset; anomaly: Dataset }> {
  const test = await openCamVid(camvid, 'test');
  const anomaly = (await openCamVidAnomaly(camvid, { seed: 0 })).anomaly;
  const cut = (ds: Dataset): Dataset => (limit === Infinity ? ds : firstSamples(ds, limit));
  return { closedSet: cut(test), anomaly: cut(anomaly) };
}

async function loadModel(file: string): Promise<SegModel> {
  return (await segModelFromFile(decodeModel(await readFile(file)))).model;
}

/** This process's peak RSS: Linux's VmHWM (getrusage's maxRSS would carry the parent's peak across exec). */
function peakRssMiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Child: one measurement, printed as one JSON line. */
async function runPhase(which: string, modelFile: string): Promise<void> {
  await initEngine(engineArg ? parseEngineName(engineArg, '--engine') : undefined);
  const model = await loadModel(modelFile);
  const sets = await evalSets();
  const opts = { mode: 'whole' } as const;
  predictImage(model, (await sets.closedSet.get(0)).image, opts); // warm-up, outside the timing
  let r: PhaseResult;
  if (which === 'eval') {
    const t0 = performance.now();
    const ev = await evaluateSets(model, sets, opts, workerFlag === undefined ? {} : { worker: workerFlag });
    const images = (ev.closedSet?.images ?? 0) + (ev.anomaly?.images ?? 0);
    const seconds = (performance.now() - t0) / 1000;
    r = {
      images,
      seconds,
      peakRssMiB: 0,
      forwards: ev.forwards,
      split: ev.seconds,
      tieMiB: ev.tieBytes / 2 ** 20,
      worker: ev.worker,
    };
  } else {
    const images: RgbImage[] = [];
    for (const ds of [sets.closedSet, sets.anomaly])
      for (let i = 0; i < ds.length; i++) images.push((await ds.get(i)).image);
    const t0 = performance.now();
    for (const image of images) predictImage(model, image, opts);
    r = { images: images.length, seconds: (performance.now() - t0) / 1000, peakRssMiB: 0 };
  }
  r.peakRssMiB = peakRssMiB();
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

/** The quick model of the module comment, written atomically to `file`. */
async function trainQuickModel(file: string): Promise<void> {
  const train = firstSamples(await openCamVid(camvid, 'train'), 32);
  const config = makeTrainConfig({ steps: 30, batchSize: 4, cacheFrozen: true, learningRate: 1e-3, seed: 0 });
  const model = await createSegModel(
    {
      classes: [...train.classes],
      extractor: { kind: 'mbv3', config: { embedDim: 64, channels: 128 } },
      head: { kind: 'gmm', gmm: { componentsPerClass: 5, memoryPerComponent: 500 } },
    },
    createRng(config.seed),
  );
  const run = await runTraining({ state: { step: 0, model, optimizer: createAdamWState() }, config, train });
  await writeFile(`${file}.tmp`, encodeModel(segModelToFile(run.state.model)));
  await rename(`${file}.tmp`, file);
}

/** Runs this script as a child for one phase and reads its result. */
function child(which: string, modelFile: string): PhaseResult {
  const self = fileURLToPath(import.meta.url);
  const pass = [
    ...(engineArg ? ['--engine', engineArg] : []),
    ...(limitArg ? ['--limit', limitArg] : []),
    ...(workerFlag === undefined ? [] : [workerFlag ? '--worker' : '--no-worker']),
  ];
  const r = spawnSync(process.execPath, [self, '--phase', which, '--model', modelFile, '--camvid', camvid, ...pass], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) fail(`the ${which} phase failed (exit ${r.status}): ${last}`);
  return JSON.parse(last) as PhaseResult;
}

async function main(): Promise<void> {
  if (!existsSync(camvid)) fail(`no CamVid at ${camvid}; pass --camvid PATH (SegNet layout: train/, trainannot/, …)`);
  const given = flag('--model');
  if (given && !existsSync(given)) fail(`--model ${given} does not exist`);
  const modelFile = given ?? path.join(out, 'quick.gmmseg');
  if (phase) return runPhase(phase, modelFile);
  const engine = await initEngine(engineArg ? parseEngineName(engineArg, '--engine') : undefined);
  if (!given && !existsSync(modelFile)) {
    process.stderr.write(`bench:eval: training the quick model into ${modelFile} (once)\n`);
    await mkdir(out, { recursive: true });
    await trainQuickModel(modelFile);
  }
  const ev = child('eval', modelFile);
  const pr = child('predict', modelFile);
  const evalIps = ev.images / ev.seconds;
  const predictIps = pr.images / pr.seconds;
  const ratio = evalIps / predictIps;
  const machine = machineSummary();
  process.stdout.write(
    `bench:eval  ${engineSummary(engine)}; ${machine}; model ${modelFile}\n` +
      `  images: ${ev.images} (CamVid test + camvid-anomaly, ${ev.forwards} forwards; metrics on ${ev.worker ? 'a worker' : 'the main thread'})\n` +
      `  eval:    ${evalIps.toFixed(3)} images/s (${ev.seconds.toFixed(1)} s), peak RSS ${ev.peakRssMiB.toFixed(0)} MiB\n` +
      `           of which waiting for decoding ${ev.split?.wait.toFixed(1)} s, predicting ${ev.split?.predict.toFixed(1)} s, ` +
      `accumulating ${ev.split?.accumulate.toFixed(1)} s; exact tie tables ${ev.tieMiB?.toFixed(1)} MiB\n` +
      `  predict: ${predictIps.toFixed(3)} images/s (${pr.seconds.toFixed(1)} s), peak RSS ${pr.peakRssMiB.toFixed(0)} MiB (images decoded beforehand)\n` +
      `  ratio eval / predict: ${ratio.toFixed(3)}\n`,
  );
  if (args.includes('--json'))
    process.stdout.write(
      `${JSON.stringify({
        engine,
        images: ev.images,
        evalImagesPerSecond: evalIps,
        predictImagesPerSecond: predictIps,
        ratio,
        peakRssMiB: ev.peakRssMiB,
      })}\n`,
    );
}

await main();
