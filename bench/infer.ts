/**
 * `npm run bench:infer -- [--model FILE] [--width 1024] [--height 512] [--reps N] [--engine E] [--json]`: inference
 * time of a trained model (default: the demo's GMM model `demo-out/gmm.gmmseg`; without it, a 1-step mbv3 + GMM model
 * with the demo's head settings is trained into a temp folder — the speed does not depend on training) on one
 * width × height RGB image: the whole `predictImage` (network, GMM class scores, upsampling to the image size, class
 * map and all anomaly scores read back). Prints the median of `reps` after one warm-up.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { loadSegModel } from '../src/cli/load-model.js';
import { trainCommand } from '../src/cli/train.js';
import { engineSummary, initEngine, parseEngineName } from '../src/engine/engine.js';
import { predictImage } from '../src/infer/predict.js';
import { createRng, randInt } from '../src/random.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const [width, height, reps] = [Number(flag('--width') ?? 1024), Number(flag('--height') ?? 512), Number(flag('--reps') ?? 5)];
const engineArg = flag('--engine');
const engine = await initEngine(engineArg ? parseEngineName(engineArg, '--engine') : undefined);

async function modelFile(): Promise<{ file: string; cleanup?: string }> {
  const given = flag('--model') ?? 'demo-out/gmm.gmmseg';
  if (existsSync(given)) return { file: given };
  if (flag('--model')) throw new Error(`bench:infer: --model ${given} does not exist`);
  const dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-bench-infer-'));
  const file = path.join(dir, 'gmm.gmmseg');
  const quiet = { out: () => undefined, err: (t: string) => void process.stderr.write(t) };
  const program = new Command('gmmseg').exitOverride().addCommand(trainCommand(quiet));
  await program.parseAsync(['node', 'gmmseg', 'train', '--dataset', 'digit-scenes', '--extractor', 'mbv3', '--steps', '1', '--batch-size', '1', '--crop-size', '128,128', '--components-per-class', '5', '--memory-per-component', '64', '--out', file, '--engine', engine]);
  if (process.exitCode) throw new Error('bench:infer: training the stand-in model failed');
  return { file, cleanup: dir };
}

const { file, cleanup } = await modelFile();
const { model } = await loadSegModel(file);
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
if (cleanup) await rm(cleanup, { recursive: true });
if (args.includes('--json')) console.log(JSON.stringify({ engine, model: cleanup ? 'untrained-demo-architecture' : file, width, height, ms }));
else console.log(`bench:infer  ${engineSummary(engine)}; ${cleanup ? 'demo architecture (1-step model)' : file}; ${width}×${height}: ${ms.toFixed(0)} ms per image (median of ${reps}; min ${times[0]!.toFixed(0)}, max ${times[reps - 1]!.toFixed(0)})`);
