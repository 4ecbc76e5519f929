/**
 * Speed of the trainable MobileNetV3 against the frozen GraphModel: one forward(+backward) for a batch of B images
 * (default 4 × 352×480), median of `reps` runs after one warm-up, on the engine of GMMSEG_ENGINE (default: the
 * project's default engine).
 *
 *   node dist/bench/mbv3-trainable.js [B] [H] [W] [reps]
 */
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/engine.js';
import { buildMbv3Backbone, disposeMbv3Backbone, mbv3FrozenMaps, readMbv3Artifacts } from '../src/nn/mbv3-backbone.js';
import { createMbv3Extractor } from '../src/nn/mbv3-extractor.js';
import { createMbv3Trainable, disposeMbv3Trainable, mbv3TrainableMaps } from '../src/nn/mbv3-trainable.js';
import { createRng } from '../src/random.js';

const [B, H, W, REPS] = [4, 352, 480, 3].map((d, i) => (process.argv[2 + i] ? Number(process.argv[2 + i]) : d)) as [
  number,
  number,
  number,
  number,
];

/** Median wall and process-CPU time (ms) of `reps` runs of `f` after one warm-up; `f` must read back its result. */
function time(f: () => void): [number, number] {
  f();
  const runs: [number, number][] = [];
  for (let i = 0; i < REPS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    const c = process.cpuUsage(c0);
    runs.push([performance.now() - t0, (c.user + c.system) / 1000]);
  }
  const med = (k: 0 | 1): number => runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(runs.length / 2)] as number;
  return [med(0), med(1)];
}

/** Runs a loss and its gradients w.r.t. `vars`, reads them back, frees everything. */
function step(loss: () => tf.Scalar, vars: tf.Variable[]): void {
  const { value, grads } = tf.variableGrads(loss, vars);
  value.dataSync();
  for (const g of Object.values(grads)) g.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}

async function main(): Promise<void> {
  const engine = await initEngine();
  const rng = createRng(1);
  const images = tf.tidy(() => tf.mul(tf.randomUniform([B, H, W, 3], 0, 1, 'float32', 7), 255)) as tf.Tensor4D;
  const artifacts = await readMbv3Artifacts();
  const frozen = await buildMbv3Backbone(artifacts, ['s8', 's32']);
  const tb = createMbv3Trainable(artifacts);
  const bbVars = Object.values(tb.params);
  process.stdout.write(`engine ${engine}, batch ${B}x${H}x${W}, median of ${REPS} after 1 warm-up\n`);
  const rows = {
    push: ([what, [wall, cpu]]: [string, [number, number]]): void => {
      process.stdout.write(`${wall.toFixed(0).padStart(8)} ms wall ${cpu.toFixed(0).padStart(8)} ms cpu  ${what}\n`);
    },
  };
  rows.push([
    'frozen GraphModel forward (s8, s32)',
    time(() => tf.dispose(mbv3FrozenMaps(frozen, images).map((m) => (m.dataSync(), m)))),
  ]);
  rows.push([
    'trainable backbone forward, no tape',
    time(() => {
      const m = mbv3TrainableMaps(tb, images);
      m.s32.dataSync();
      tf.dispose(Object.values(m));
    }),
  ]);
  rows.push([
    'trainable backbone forward+backward (loss on s8, s32)',
    time(() =>
      step(() => {
        const m = mbv3TrainableMaps(tb, images);
        return tf.add(tf.mean(m.s8), tf.mean(tf.square(m.s32))) as tf.Scalar;
      }, bbVars),
    ),
  ]);
  const exT = await createMbv3Extractor({ rng, backboneMode: 'trainable' });
  const exF = await createMbv3Extractor({ rng });
  const maps = exF.frozenForward!(images);
  rows.push([
    'frozen extractor: decoder forward+backward on cached maps',
    time(() =>
      step(
        () => tf.mean(tf.square(exF.forwardFromFrozen!(maps, { training: true, seed: 1 }))) as tf.Scalar,
        Object.values(exF.params),
      ),
    ),
  ]);
  rows.push([
    'trainable extractor: backbone+decoder forward+backward',
    time(() =>
      step(
        () => tf.mean(tf.square(exT.forward(images, { training: true, seed: 1 }))) as tf.Scalar,
        Object.values(exT.params),
      ),
    ),
  ]);
  tf.dispose([images, ...maps]);
  exT.dispose();
  exF.dispose();
  disposeMbv3Trainable(tb);
  disposeMbv3Backbone(frozen);
}

await main();
