/**
 * The PixelScores loop in WebAssembly SIMD (pixel-scores.wat, assembled into pixel-scores-wasm.ts), bound to the
 * tfjs-wasm backend's own memory so that it reads the maps and writes the outputs on its heap in place. It gives the
 * same bits as the JavaScript loop (`pixelScoreValues`) and is used by the JavaScript kernel where it can run: a
 * backend with a WebAssembly heap that is not shared (Node's SIMD build; the threaded browser build shares its memory
 * and keeps the JavaScript loop) and a runtime with WebAssembly SIMD.
 */
import { PIXEL_SCORES_WASM } from './pixel-scores-wasm.js';

/** Byte offsets on the heap and sizes of one call (n a multiple of 4; `likelihoods` and `gmm` together or neither). */
export interface SimdPixelScoresArgs {
  logits: number;
  likelihoods?: number;
  n: number;
  C: number;
  classes: number;
  maxLogit: number;
  /** [n] float64 scratch: Σ_c exp(l_c − m) per pixel, for energy = −(m + ln s) (finished by the caller). */
  sum: number;
  msp: number;
  gmm?: number;
}

/** Runs the SIMD loop over pixels [0, n). */
export type SimdPixelScores = (args: SimdPixelScoresArgs) => void;

/** A WebAssembly memory (the part used here). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The part of the global `WebAssembly` used here (typed locally: the Node typings do not declare it). */
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}

type Exported = (...args: number[]) => void;

const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
let module: object | null | undefined;
const bound = new WeakMap<WasmMemory, SimdPixelScores | null>();

/** The loop bound to `memory`, or undefined when it cannot run there (no SIMD, a shared memory). */
export function simdPixelScores(memory: WasmMemory): SimdPixelScores | undefined {
  const known = bound.get(memory);
  if (known !== undefined) return known ?? undefined;
  const fn = instantiate(memory);
  bound.set(memory, fn);
  return fn ?? undefined;
}

/** The WebAssembly memory of a tfjs-wasm backend (its emscripten module's exported memory), if it has one. */
export function backendMemory(backend: unknown): WasmMemory | undefined {
  const wasm = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm;
  const memory = wasm?.asm?.memory;
  return WA && memory instanceof WA.Memory ? memory : undefined;
}

function instantiate(memory: WasmMemory): SimdPixelScores | null {
  if (!WA || (typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer)) return null;
  if (module === undefined) {
    const bytes = Uint8Array.from(atob(PIXEL_SCORES_WASM), (ch) => ch.charCodeAt(0));
    module = WA.validate(bytes) ? new WA.Module(bytes) : null;
  }
  if (module === null) return null;
  const run = new WA.Instance(module, { env: { memory } }).exports['pixelScores'] as Exported;
  return (a) => {
    const gmm = a.likelihoods === undefined ? 0 : 1;
    run(a.logits, a.likelihoods ?? 0, gmm, a.n, a.C, a.classes, a.maxLogit, a.sum, a.msp, a.gmm ?? 0);
  };
}
