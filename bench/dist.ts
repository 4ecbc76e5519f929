/**
 * `npm run bench:dist -- [--steps N] [--warmup N] [--reduces N] [--json]`: data-parallel training over c10d Gloo on
 * this machine, torch engine, one thread per worker. Trains the bench network (bench/bench-net.ts, batch 4 per worker)
 * with 1 worker (no collectives) and with 2 workers (gradients all-reduced in one flat bucket every step, then the
 * same Adam step on both), and reports steps/s (median step time of rank 0) and the scaling efficiency
 * steps/s(2) / steps/s(1) (each worker keeps its batch, so 1.0 means twice the images per second). Then the all-reduce
 * bandwidth of a 10 M-float (40 MB) bucket between the 2 workers: bytes / median time (algorithm bandwidth).
 * `--json` prints `{"engine","workers","stepsPerSecond","efficiency","allReduceMBps"}` as the last line.
 *
 * The workers are this script in child processes (`--worker`, with the torchrun variables).
 */
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/parallel/free-port.js';
import { parseLaunchEnv } from '../src/parallel/launch-env.js';
import { distAvailability, ProcessGroup } from '../src/parallel/process-group.js';
import { engineSummary, initEngine } from '../src/engine/engine.js';
import { createRng } from '../src/random.js';
import { createBenchNet } from './bench-net.js';

const args = process.argv.slice(2);
const flag = (name: string, d: number): number => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : d;
  if (!Number.isInteger(v) || v < 0) throw new Error(`bench dist: ${name} must be a non-negative integer`);
  return v;
};
const steps = Math.max(1, flag('--steps', 8));
const warmup = flag('--warmup', 2);
const reduces = Math.max(1, flag('--reduces', 5));
const BUCKET = 10_000_000;

interface WorkerResult {
  engine: string;
  stepMs: number;
  allReduceMs?: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** One worker: `steps` timed training steps (after `warmup`), then with a group `reduces` timed 10 M-float all-reduces. */
async function worker(): Promise<void> {
  const launch = parseLaunchEnv();
  await initEngine('torch');
  const group = launch && launch.worldSize > 1 ? ProcessGroup.init({ ...launch, timeoutMs: 120_000 }) : undefined;
  const { loss, variables } = createBenchNet(createRng(7));
  const optimizer = tf.train.adam(1e-3);
  const step = (): number => {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(loss, variables);
    value.dataSync();
    value.dispose();
    let named: tf.NamedTensorMap = grads;
    if (group) {
      const names = variables.map((v) => v.name);
      const bucket = new Float32Array(names.reduce((n, k) => n + (grads[k] as tf.Tensor).size, 0));
      let off = 0;
      for (const k of names) {
        bucket.set((grads[k] as tf.Tensor).dataSync() as Float32Array, off);
        off += (grads[k] as tf.Tensor).size;
      }
      const sum = group.allReduce(bucket, 'sum');
      off = 0;
      named = {};
      for (const k of names) {
        const g = grads[k] as tf.Tensor;
        named[k] = tf.tidy(() => tf.div(tf.tensor(sum.subarray(off, off + g.size), g.shape), group.worldSize));
        off += g.size;
        g.dispose();
      }
    }
    optimizer.applyGradients(Object.entries(named).map(([name, tensor]) => ({ name, tensor })));
    Object.values(named).forEach((g) => g.dispose());
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) step();
  const stepMs = median(Array.from({ length: steps }, step));
  const out: WorkerResult = { engine: engineSummary('torch'), stepMs };
  if (group) {
    const bucket = new Float32Array(BUCKET).fill(1);
    group.allReduce(bucket);
    const times = Array.from({ length: reduces }, () => {
      group.barrier();
      const t0 = performance.now();
      group.allReduce(bucket);
      return performance.now() - t0;
    });
    out.allReduceMs = median(times);
    group.destroy();
  }
  if (!launch || launch.rank === 0) process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Runs `n` workers and returns rank 0's result. */
async function runWorkers(n: number): Promise<WorkerResult> {
  const port = await freePort();
  const script = fileURLToPath(import.meta.url);
  const runs = Array.from({ length: n }, (_, rank) => {
    const env = {
      ...process.env,
      GMMSEG_THREADS: '1',
      OMP_NUM_THREADS: '1',
      OPENBLAS_NUM_THREADS: '1',
      ...(n > 1
        ? { RANK: String(rank), WORLD_SIZE: String(n), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) }
        : {}),
    };
    const child = spawn(process.execPath, [script, '--worker', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    return new Promise<string>((resolve, reject) =>
      child.on('close', (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`bench dist: worker ${rank} exited ${code}`)),
      ),
    );
  });
  const outs = await Promise.all(runs);
  return JSON.parse((outs[0] as string).trim().split('\n').pop() as string) as WorkerResult;
}

async function main(): Promise<void> {
  const { reason } = distAvailability();
  if (reason) throw new Error(`bench dist: ${reason}`);
  const one = await runWorkers(1);
  const two = await runWorkers(2);
  const sps1 = 1000 / one.stepMs;
  const sps2 = 1000 / two.stepMs;
  const efficiency = sps2 / sps1;
  const allReduceMBps = (BUCKET * 4) / 1e6 / ((two.allReduceMs as number) / 1000);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(`bench:dist  ${two.engine} per worker; ${cpu}, ${os.cpus().length} cores, load ${load}`);
  console.log(`  bench network, batch 4 × 256 × 256 × 3 per worker, median of ${steps} steps after ${warmup} warm-up`);
  console.log(`  1 worker   ${sps1.toFixed(2)} steps/s (${one.stepMs.toFixed(0)} ms/step)`);
  console.log(`  2 workers  ${sps2.toFixed(2)} steps/s (${two.stepMs.toFixed(0)} ms/step; gradients all-reduced)`);
  console.log(`  scaling efficiency ${efficiency.toFixed(2)} (1.0 = twice the images per second)`);
  console.log(
    `  all-reduce of ${BUCKET / 1e6} M floats: ${two.allReduceMs?.toFixed(1)} ms → ${allReduceMBps.toFixed(0)} MB/s`,
  );
  if (args.includes('--json'))
    console.log(JSON.stringify({ engine: 'torch', workers: 2, stepsPerSecond: sps2, efficiency, allReduceMBps }));
}

if (args.includes('--worker')) await worker();
else await main();
