/**
 * `npm run bench:train -- [--steps N] [--warmup N] [--engine E] [--no-torch] [--leak-steps N] [--json]`: median wall
 * time of one training step (forward, backward, Adam update, loss read back) of the bench segmentation network on our
 * engine (default: the fastest available, `GMMSEG_ENGINE`), then of the same network in PyTorch
 * (bench/train_step_torch.py, run by Debian's /usr/bin/python3 or `GMMSEG_TORCH_PYTHON`, with the same thread count
 * and device) in the same run, and their ratio. `--json` prints `{"engine","stepMs","torchStepMs","ratio"}`.
 * `--leak-steps N` then runs N more steps and reports tfjs tensors, the engine's live tensors and process RSS after
 * warm-up (the `--warmup` and timed steps) and at the end (the no-leak check of the native engine over 10 000 steps;
 * target: RSS growth ≤ 5 %); `--json` then adds `"rssStartMiB","rssEndMiB"` and a `leak` object with RSS samples.
 *
 * Network (NHWC, batch 4 × 256 × 256 × 3, random inputs and labels, fixed seeds):
 *   encoder: four stages of [3×3 conv stride 2 + ReLU, 3×3 conv stride 1 + ReLU] with 32/64/128/256 channels
 *            (output strides 2, 4, 8, 16);
 *   decoder: 1×1 lateral 256→64 from stride 16, bilinear ×4 upsampling, plus a 1×1 lateral 64→64 from stride 4,
 *            ReLU, 3×3 conv 64 + ReLU, 1×1 conv to 19 classes at 64 × 64;
 *   loss:    softmax cross-entropy against 19-class labels at 64 × 64; optimiser Adam (lr 1e-3).
 * All convs have biases. On wasm, `GMMSEG_WASM_NATIVE_BACKPROP_INPUT=1` times the run with tfjs-wasm's own
 * Conv2DBackpropInput instead of the project's replacement (see `src/engine/wasm-kernels.ts`).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineSummary, initEngine, parseEngineName } from '../src/engine/engine.js';
import { threadCount } from '../src/engine/torch/init.js';
import { wantsNativeBackpropInput } from '../src/engine/wasm-kernels.js';
import { createRng } from '../src/random.js';
import { createBenchNet } from './bench-net.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const steps = Number(flag('--steps') ?? 5);
const warmup = Number(flag('--warmup') ?? 2);
const leakSteps = Number(flag('--leak-steps') ?? 0);
if (
  !Number.isInteger(steps) ||
  steps < 1 ||
  !Number.isInteger(warmup) ||
  warmup < 0 ||
  !Number.isInteger(leakSteps) ||
  leakSteps < 0
) {
  throw new Error(
    `bench train: --steps must be a positive integer, --warmup and --leak-steps non-negative ones (got ${steps}, ${warmup}, ${leakSteps})`,
  );
}
const engineArg = flag('--engine');
const engine = await initEngine(engineArg ? parseEngineName(engineArg, '--engine') : undefined);

const rng = createRng(7);
const { loss, BATCH, SIZE } = createBenchNet(rng);

const optimizer = tf.train.adam(1e-3);
function step(): number {
  const t0 = performance.now();
  const value = optimizer.minimize(loss, true);
  value?.dataSync(); // waits for the step and reads the loss back
  value?.dispose();
  return performance.now() - t0;
}

for (let i = 0; i < warmup; i++) step();
const times = Array.from({ length: steps }, () => step()).sort((a, b) => a - b);
const stepMs = times[Math.floor(times.length / 2)] as number;

/** One RSS sample of the leak run: after `step` leak steps. */
interface RssSample {
  step: number;
  rssMiB: number;
}

/**
 * Memory after warm-up and after `leakSteps` more steps: tfjs tensors and the engine's live native tensors must not
 * grow, RSS must stay flat (sampled ten times along the way; each sample is also printed to stderr).
 */
function leakCheck():
  | {
      steps: number;
      tensorsBefore: number;
      tensorsAfter: number;
      nativeBefore: number;
      nativeAfter: number;
      rssMiBBefore: number;
      rssMiBAfter: number;
      rssMiBMax: number;
      samples: RssSample[];
    }
  | undefined {
  if (leakSteps === 0) return undefined;
  const rss = (): number => process.memoryUsage().rss / 2 ** 20;
  const native = (): number => tf.engine().backend.numDataIds();
  const tensorsBefore = tf.memory().numTensors;
  const nativeBefore = native();
  const rssMiBBefore = rss();
  let rssMiBMax = rssMiBBefore;
  const samples: RssSample[] = [{ step: 0, rssMiB: rssMiBBefore }];
  const every = Math.max(1, Math.floor(leakSteps / 10));
  const t0 = performance.now();
  for (let i = 1; i <= leakSteps; i++) {
    step();
    if (i % 100 === 0) rssMiBMax = Math.max(rssMiBMax, rss());
    if (i % every === 0 || i === leakSteps) {
      samples.push({ step: i, rssMiB: rss() });
      const s = ((performance.now() - t0) / 1000).toFixed(0);
      console.error(`bench:train leak: step ${i}/${leakSteps}  RSS ${rss().toFixed(0)} MiB  (${s} s)`);
    }
  }
  const rssMiBAfter = rss();
  return {
    steps: leakSteps,
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
    nativeBefore,
    nativeAfter: native(),
    rssMiBBefore,
    rssMiBAfter,
    rssMiBMax: Math.max(rssMiBMax, rssMiBAfter),
    samples,
  };
}
const leak = leakCheck();

/** The same step in PyTorch (same threads and device), or undefined with the reason printed. */
function torchReference(): number | undefined {
  if (args.includes('--no-torch')) return undefined;
  const py = process.env.GMMSEG_TORCH_PYTHON ?? '/usr/bin/python3';
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'train_step_torch.py');
  const device = engine === 'torch' && engineSummary('torch').includes('cuda') ? 'cuda' : 'cpu';
  const r = spawnSync(
    py,
    [
      script,
      '--threads',
      String(threadCount(process.env)),
      '--steps',
      String(steps),
      '--warmup',
      String(warmup),
      '--device',
      device,
      '--json',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    console.error(
      `bench:train: PyTorch reference failed (${py} ${script}): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`,
    );
    return undefined;
  }
  return (JSON.parse(r.stdout.trim().split('\n').pop() as string) as { stepMs: number }).stepMs;
}
const torchStepMs = torchReference();
const ratio = torchStepMs === undefined ? null : stepMs / torchStepMs;

if (json)
  console.log(
    JSON.stringify({
      engine,
      stepMs,
      torchStepMs: torchStepMs ?? null,
      ratio,
      ...(leak ? { rssStartMiB: leak.rssMiBBefore, rssEndMiB: leak.rssMiBAfter, leak } : {}),
    }),
  );
else {
  const backprop =
    engine === 'wasm'
      ? wantsNativeBackpropInput()
        ? ', tfjs-wasm Conv2DBackpropInput'
        : ', gmmseg Conv2DBackpropInput'
      : '';
  console.log(
    `bench:train  ${engineSummary(engine)}${backprop}, batch ${BATCH}×${SIZE}×${SIZE}×3, median of ${steps} after ${warmup} warm-up`,
  );
  console.log(
    `  gmmseg training step   ${stepMs.toFixed(1)} ms   (min ${times[0]!.toFixed(1)}, max ${times[times.length - 1]!.toFixed(1)})`,
  );
  if (torchStepMs !== undefined)
    console.log(`  PyTorch training step  ${torchStepMs.toFixed(1)} ms   → ratio ${ratio!.toFixed(2)} (target ≤ 1.3)`);
  if (leak)
    console.log(
      `  ${leak.steps} more steps: tfjs tensors ${leak.tensorsBefore} → ${leak.tensorsAfter}; engine tensors ${leak.nativeBefore} → ${leak.nativeAfter}; RSS after warm-up ${leak.rssMiBBefore.toFixed(0)} MiB → at the end ${leak.rssMiBAfter.toFixed(0)} MiB (${(((leak.rssMiBAfter - leak.rssMiBBefore) / leak.rssMiBBefore) * 100).toFixed(1)} %, max ${leak.rssMiBMax.toFixed(0)})`,
    );
}
