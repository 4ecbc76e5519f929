/**
 * Starting the native `torch` engine: load the addon, choose the device and thread count, register the backend.
 *
 * Threads: `GMMSEG_THREADS`, else the machine's available parallelism. Device: `GMMSEG_DEVICE` = cpu | cuda | auto
 * (default auto: CUDA when the libtorch the addon was built against has a usable GPU).
 */
import os from 'node:os';
import { EngineError } from '../../errors.js';
import { loadTorchAddon, type TorchAddon } from './addon.js';
import { registerTorchBackend } from './register.js';

/** Environment variable with the native engine's thread count. */
export const THREADS_ENV_VAR = 'GMMSEG_THREADS';
/** Environment variable with the native engine's device. */
export const DEVICE_ENV_VAR = 'GMMSEG_DEVICE';

/** Thread count from the environment, else the machine's. */
export function threadCount(env: Record<string, string | undefined>): number {
  const v = env[THREADS_ENV_VAR];
  if (v === undefined || v === '') return os.availableParallelism();
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new EngineError(`$${THREADS_ENV_VAR} must be a positive integer, got '${v}'`);
  return n;
}

/** Whether the native engine can start here, and why not. */
export function torchAvailability(env: Record<string, string | undefined> = process.env): {
  available: boolean;
  reason?: string;
} {
  const { addon, reason } = loadTorchAddon(threadCount(env));
  return addon ? { available: true } : { available: false, reason: reason ?? 'unknown' };
}

let configured: TorchAddon | undefined;

/** Loads and configures the addon and registers the backend; throws EngineError (with how to get it) when missing. */
export function prepareTorch(env: Record<string, string | undefined> = process.env): TorchAddon {
  if (configured) return configured;
  const threads = threadCount(env);
  const { addon, reason } = loadTorchAddon(threads);
  if (!addon) throw new EngineError(reason ?? 'native torch engine unavailable');
  const dev = env[DEVICE_ENV_VAR] || 'auto';
  if (!['auto', 'cpu', 'cuda'].includes(dev))
    throw new EngineError(`$${DEVICE_ENV_VAR} must be auto, cpu or cuda, got '${dev}'`);
  const cuda = dev === 'cuda' || (dev === 'auto' && addon.info().cudaAvailable);
  addon.setDevice(cuda ? 'cuda' : 'cpu');
  addon.setThreads(threads);
  registerTorchBackend(addon);
  configured = addon;
  return addon;
}

/** One line describing the running native engine, e.g. "libtorch 1.13.0, cpu, 2 threads". */
/**
 * Caps the freed memory the native allocator keeps for reuse (MiB; `undefined` restores the 256 MiB default). No-op
 * before the engine starts.
 */
export function setTorchRetainedMemory(mib: number | undefined): void {
  configured?.setRetainedMemory(mib ?? -1);
}

export function torchDescription(): string {
  if (!configured) return 'not started';
  const i = configured.info();
  return `libtorch ${i.torchVersion}, ${i.device}, ${configured.threads()} threads`;
}
