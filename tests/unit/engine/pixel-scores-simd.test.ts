/**
 * The WebAssembly SIMD loop of the PixelScores kernel (kernels/pixel-scores.wat) gives the same bits as the JavaScript
 * loop (`pixelScoreValues`) it replaces on the wasm engine — on its own memory here, so on every engine — over
 * class counts 1…19, ties, −0/+0, differences below the exp cut-off, ±∞ and NaN anywhere in a row; the committed
 * binary is what the .wat assembles to.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pixelScoreValues, type PixelScoreValues } from '../../../src/engine/kernels/pixel-scores.js';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { backendMemory, simdPixelScores, type WasmMemory } from '../../../src/engine/kernels/pixel-scores-simd.js';
import { createRng, normal, randInt, uniform, type Rng } from '../../../src/random.js';

const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } })
  .WebAssembly;

/** A value of a row: mostly normal, with ties, signed zeros, huge gaps, infinities and NaN mixed in. */
function value(rng: Rng): number {
  const r = uniform(rng);
  if (r < 0.02) return NaN;
  if (r < 0.04) return -Infinity;
  if (r < 0.05) return Infinity;
  if (r < 0.08) return 0;
  if (r < 0.11) return -0;
  if (r < 0.2) return randInt(rng, 3); // ties
  if (r < 0.25) return -60 + normal(rng); // below the exp cut-off next to 0
  return 8 * normal(rng);
}

/** Runs the SIMD loop on pixels [0, n − n mod 4) of copies on a fresh memory, energy finished as the kernel does. */
function simd(L: Float32Array, S: Float32Array | undefined, n: number, C: number): PixelScoreValues {
  const head = n - (n % 4);
  const bytes = 4 * n * C * 2 + n * (4 * 5 + 8) + 64;
  const memory = new WA.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
  let at = 16;
  const take = (count: number, size: number): number => {
    const p = at;
    at += Math.ceil((count * size) / 16) * 16 + 16;
    return p;
  };
  const pL = take(n * C, 4);
  const pS = take(n * C, 4);
  const [pc, pm, pmsp, pg] = [take(n, 4), take(n, 4), take(n, 4), take(n, 4)];
  const psum = take(n, 8);
  new Float32Array(memory.buffer, pL, n * C).set(L);
  if (S) new Float32Array(memory.buffer, pS, n * C).set(S);
  const run = simdPixelScores(memory);
  assert.ok(run, 'WebAssembly SIMD runs here (Node 20+)');
  run({
    logits: pL,
    ...(S ? { likelihoods: pS, gmm: pg } : {}),
    n: head,
    C,
    classes: pc,
    maxLogit: pm,
    sum: psum,
    msp: pmsp,
  });
  const maxLogit = new Float32Array(memory.buffer, pm, head);
  const sum = new Float64Array(memory.buffer, psum, head);
  const energy = Float32Array.from(maxLogit, (m, i) => -(-m + Math.log(sum[i] as number)));
  return {
    classes: new Int32Array(memory.buffer, pc, head).slice(),
    maxLogit: maxLogit.slice(),
    energy,
    msp: new Float32Array(memory.buffer, pmsp, head).slice(),
    ...(S ? { gmm: new Float32Array(memory.buffer, pg, head).slice() } : {}),
  };
}

function bits(a: Float32Array | Int32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

function sameBits(got: PixelScoreValues, want: PixelScoreValues, head: number, what: string): void {
  for (const k of ['classes', 'maxLogit', 'energy', 'msp', 'gmm'] as const) {
    const g = got[k];
    const w = want[k];
    if (!w) continue;
    assert.ok(g, `${what}: ${k} missing`);
    const wb = bits(w.subarray(0, head));
    const gb = bits(g);
    // NaN payloads may differ: compare NaN as NaN
    for (let i = 0; i < head; i++) {
      const nan = Number.isNaN(w[i] as number) && k !== 'classes';
      if (nan) assert.ok(Number.isNaN(g[i] as number), `${what}: ${k}[${i}] should be NaN, got ${g[i]}`);
      else assert.equal(gb[i], wb[i], `${what}: ${k}[${i}] = ${g[i]}, JavaScript loop ${w[i]}`);
    }
  }
}

test('SIMD PixelScores loop: the same bits as the JavaScript loop over class counts, special values and NaN', () => {
  const rng = createRng(11);
  for (const C of [1, 2, 3, 4, 5, 11, 19]) {
    for (const withS of [false, true]) {
      const n = 4 * (3 + randInt(rng, 30)) + randInt(rng, 4);
      const L = Float32Array.from({ length: n * C }, () => value(rng));
      const S = withS ? Float32Array.from({ length: n * C }, () => -100 + value(rng)) : undefined;
      const want = pixelScoreValues(L, S, n, C);
      const head = n - (n % 4);
      sameBits(simd(L, S, n, C), want, head, `C ${C}${withS ? ' with likelihoods' : ''}`);
    }
  }
});

test('SIMD PixelScores loop: plain rows (no special values) agree bit for bit, scores finite', () => {
  const rng = createRng(12);
  const [n, C] = [4 * 257, 11];
  const L = Float32Array.from({ length: n * C }, () => 6 * normal(rng));
  const S = Float32Array.from({ length: n * C }, () => -140 + 10 * normal(rng));
  const got = simd(L, S, n, C);
  sameBits(got, pixelScoreValues(L, S, n, C), n, 'plain');
  assert.ok(Array.from(got.energy).every(Number.isFinite));
});

test('the committed wasm binary is what pixel-scores.wat assembles to', () => {
  execFileSync(process.execPath, ['scripts/build-wasm-kernels.mjs', '--check'], { stdio: 'pipe' });
});

test('on the wasm engine the SIMD loop binds to the backend heap (the kernel does not fall back silently)', async () => {
  await initEngine('wasm');
  const memory = backendMemory(tf.backend());
  assert.ok(memory, "the tfjs-wasm backend's memory is found");
  assert.equal(typeof simdPixelScores(memory), 'function');
});
