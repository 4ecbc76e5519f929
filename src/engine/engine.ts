/**
 * The one module that chooses and initialises the TensorFlow.js backend ("engine").
 * Nothing else in the project calls `tf.setBackend`.
 *
 * Engines: `torch` (native libtorch through an N-API addon, src/engine/torch/; the default when it was built at install
 * time), `wasm` (XNNPACK SIMD, one thread in Node) with the training kernels that tfjs-wasm lacks registered by this
 * module, and `cpu` (pure JavaScript; only for tiny tests). Choice order: the explicit argument, then the environment
 * variable `GMMSEG_ENGINE`, then the fastest available (torch > wasm).
 */
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { registerReduceGradients } from './reduce-gradients.js';
import '@tensorflow/tfjs-backend-wasm';
import { EngineError } from '../errors.js';
import { resizeBilinearGradConfig } from './kernels/resize-bilinear-grad.js';
import { prepareTorch, setTorchRetainedMemory, torchAvailability, torchDescription } from './torch/init.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

/** Engines this build knows, fastest first. */
export const ENGINES = ['torch', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINES)[number];

/** The engine used when nothing is requested: torch when its addon loads, else wasm. */
export function defaultEngine(env: Record<string, string | undefined> = process.env): EngineName {
  return torchAvailability(env).available ? 'torch' : 'wasm';
}

/** Environment variable that overrides the default engine. */
export const ENGINE_ENV_VAR = 'GMMSEG_ENGINE';

/** Parses an engine name, with an error listing the valid names. */
export function parseEngineName(name: string, source: string): EngineName {
  if ((ENGINES as readonly string[]).includes(name)) return name as EngineName;
  throw new EngineError(`unknown engine '${name}' (from ${source}); valid: ${ENGINES.join(', ')}`);
}

/**
 * Selects and initialises an engine; returns its name. Idempotent: calling it again with the same engine is cheap.
 *
 * @param requested explicit engine, or undefined to use `GMMSEG_ENGINE` or the default.
 * @param env the environment to read (defaults to `process.env`).
 */
export async function initEngine(
  requested?: EngineName,
  env: Record<string, string | undefined> = process.env,
): Promise<EngineName> {
  const fromEnv = env[ENGINE_ENV_VAR];
  const name =
    requested ??
    (fromEnv !== undefined && fromEnv !== '' ? parseEngineName(fromEnv, `$${ENGINE_ENV_VAR}`) : defaultEngine(env));
  // Production mode: skips tfjs debug checks and its console banner ("looks like you are running TensorFlow.js in Node").
  tf.enableProdMode();
  registerReduceGradients();
  if (name === 'torch') prepareTorch(env);
  if (name === 'wasm') registerWasmTrainingKernels();
  if (name !== 'torch') fixResizeBilinearGrad(name);
  if (tf.getBackend() === name) return name;
  const ok = await tf.setBackend(name);
  if (!ok) throw new EngineError(`engine '${name}' failed to initialise`);
  await tf.ready();
  return name;
}

const fixedResize = new Set<string>();

/**
 * Replaces `ResizeBilinearGrad` on cpu and wasm with the exact adjoint (tfjs 4.22 ignores halfPixelCenters there, so
 * the gradient of PyTorch-style align_corners=false resizing would be wrong). Idempotent.
 */
function fixResizeBilinearGrad(name: EngineName): void {
  if (fixedResize.has(name)) return;
  fixedResize.add(name);
  if (tf.getKernel('ResizeBilinearGrad', name)) tf.unregisterKernel('ResizeBilinearGrad', name);
  tf.registerKernel(resizeBilinearGradConfig(name));
}

/**
 * One line for users saying which engine runs, e.g. "engine torch (libtorch 1.13.0, cpu, 2 threads)", or for wasm
 * without the native engine, why and how to get it.
 */
export function engineSummary(name: EngineName, env: Record<string, string | undefined> = process.env): string {
  if (name === 'torch') return `engine torch (${torchDescription()})`;
  const t = torchAvailability(env);
  return t.available ? `engine ${name}` : `engine ${name} (${t.reason})`;
}

/** The machine in words for reports: `2 × AMD EPYC 7B13` (logical CPUs × the first CPU's model). */
export function machineSummary(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`;
}

/**
 * Whether the native engine keeps all freed tensor memory for reuse (`true`, for training: every step frees and
 * reallocates the same activations) or returns what exceeds 256 MiB to the OS after a big free (`false`, the default:
 * bounded memory for large images). No effect on the other engines.
 */
export function retainFreedMemory(all: boolean): void {
  setTorchRetainedMemory(all ? 2 ** 32 : undefined); // 4 PiB: no cap
}

/** The engine currently active (after `initEngine`). */
export function currentEngine(): string {
  return tf.getBackend();
}
