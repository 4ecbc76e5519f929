/**
 * `npm run bench:extractor-step -- 'SPEC' [B] [H] [reps]`: median wall and process-CPU time of one forward + backward
 * of a fresh extractor (registry kind and settings as JSON; loss = mean square of the embedding) in training mode on
 * B random H×H images (default 8 × 128², 5 runs after one warm-up), on the default engine (`GMMSEG_ENGINE`). CPU time
 * is the steadier figure on a shared machine; `GMMSEG_THREADS=1` avoids threads waiting for a busy second core.
 *
 *   node dist/bench/extractor-step.js '{"kind":"deeplab","config":{"decoderChannels":32}}' 8 128 5
 */
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/engine.js';
import { createExtractor } from '../src/nn/registry.js';
import { createRng } from '../src/random.js';

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as { kind: string; config?: Record<string, unknown> };
  const [B, H, REPS] = [8, 128, 5].map((d, i) => (process.argv[3 + i] ? Number(process.argv[3 + i]) : d)) as [
    number,
    number,
    number,
  ];
  const engine = await initEngine();
  const ex = await createExtractor(spec.kind, spec.config ?? {}, createRng(1));
  const images = tf.tidy(() => tf.mul(tf.randomUniform([B, H, H, 3], 0, 1, 'float32', 7), 255)) as tf.Tensor4D;
  const vars = Object.values(ex.params);
  const run = (): void => {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(ex.forward(images, { training: true, seed: 3 }))) as tf.Scalar,
      vars,
    );
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  run();
  const rows: [number, number][] = [];
  for (let i = 0; i < REPS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run();
    const c = process.cpuUsage(c0);
    rows.push([performance.now() - t0, (c.user + c.system) / 1000]);
  }
  const med = (k: 0 | 1): number => rows.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(REPS / 2)] as number;
  const n = vars.reduce((s, v) => s + v.size, 0);
  console.log(
    `${engine} ${JSON.stringify(spec)} B${B} ${H}² stride ${ex.stride} params ${n}: ${med(0).toFixed(0)} ms wall ${med(1).toFixed(0)} ms cpu`,
  );
}

void main();
