/**
 * Loading the native `torch` engine: the N-API addon over libtorch built by `scripts/build-native.mjs` into
 * `native/gmmseg_torch.node` at install time. Loading never throws: without the binary (no libtorch when the package
 * was installed) or when it fails to load, {@link loadTorchAddon} says why and how to get it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Opaque handle of a native tensor. */
export type Handle = { readonly __nativeTensor: unique symbol };

/** A native op as the addon declares it: name and attributes (type: int, float, bool, string, int[], float[]). */
export interface NativeOpDecl {
  name: string;
  attrs: { key: string; type: string; optional: boolean }[];
}

/** The addon's functions (native/src/addon.cc). */
export interface TorchAddon {
  fromArray(values: Float32Array | Int32Array | Uint8Array, shape: readonly number[], dtype: string): Handle;
  toArray(h: Handle): Float32Array | Int32Array | Uint8Array;
  free(h: Handle): void;
  /** Tensors this thread's engine holds (created and not yet freed). */
  liveTensors(): number;
  /** Runs a kernel: returns [handle, shape, dtype] triples, flattened. */
  run(kernel: string, inputs: Handle[], attrs: object): unknown[];
  /** Names of the registered native ops. */
  kernels(): string[];
  /** Every registered native op with its declared attributes (GMM_OP's spec; the kernel contract's native half). */
  ops(): NativeOpDecl[];
  setThreads(n: number): void;
  threads(): number;
  info(): { torchVersion: string; cudaAvailable: boolean; device: string };
  setDevice(device: 'cpu' | 'cuda'): void;
  /** Cap (MiB) on freed memory the allocator keeps after a big tensor is freed; negative: the 256 MiB default. */
  setRetainedMemory(mib: number): void;
}

/** How to get the native engine when it is missing. */
export const NATIVE_HOW_TO =
  'to get the native torch engine on Debian/Ubuntu: sudo apt-get install -y python3-torch libtorch-dev libopenblas-dev && npm rebuild gmmseg';

/** Path of the built addon (package root/native/gmmseg_torch.node). */
export function addonPath(): string {
  // dist/src/engine/torch/addon.js → package root is four folders up.
  return path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    '..',
    '..',
    'native',
    'gmmseg_torch.node',
  );
}

let cached: { addon?: TorchAddon; reason?: string } | undefined;

/**
 * Loads the addon once. OpenBLAS reads its thread count when the library loads, so `OPENBLAS_NUM_THREADS` is set
 * (unless the user set it) to `threads` before.
 */
export function loadTorchAddon(threads: number): { addon?: TorchAddon; reason?: string } {
  if (cached) return cached;
  const file = addonPath();
  if (!existsSync(file)) {
    cached = {
      reason: `native torch engine not built (no ${path.relative(process.cwd(), file) || file}); ${NATIVE_HOW_TO}`,
    };
    return cached;
  }
  process.env.OPENBLAS_NUM_THREADS ??= String(threads);
  try {
    cached = { addon: createRequire(import.meta.url)(file) as TorchAddon };
  } catch (e) {
    cached = {
      reason: `native torch engine failed to load (${(e as Error).message.split('\n')[0]}); ${NATIVE_HOW_TO}`,
    };
  }
  return cached;
}
