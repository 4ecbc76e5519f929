/**
 * Procedural, seeded background textures for DigitScenes: multi-octave value noise through a two-colour
 * palette ("cloudy" surfaces), brick/tile patterns, and soft stripes, each with per-pixel grain. They are the
 * background class (0); their contrast is kept moderate so the pasted objects stay the salient content.
 */
import { normal, randInt, uniform, type Rng } from '../random.js';
import { hsv } from './composite.js';
import type { RgbImage } from './sample.js';

/** The kinds of texture `background` draws from. */
export const BACKGROUND_KINDS = ['noise', 'bricks', 'stripes'] as const;

/** A random textured background `[H, W, 3]`. */
export function background(rng: Rng, width: number, height: number): RgbImage {
  const kind = BACKGROUND_KINDS[randInt(rng, BACKGROUND_KINDS.length)] as (typeof BACKGROUND_KINDS)[number];
  const t =
    kind === 'noise'
      ? valueNoise(rng, width, height)
      : kind === 'bricks'
        ? bricks(rng, width, height)
        : stripes(rng, width, height);
  const base = uniform(rng);
  const a = hsv(base, 0.15 + 0.5 * uniform(rng), 0.25 + 0.6 * uniform(rng));
  const b = hsv((base + 0.1 * normal(rng) + 1) % 1, 0.15 + 0.5 * uniform(rng), 0.25 + 0.6 * uniform(rng));
  const grain = 4 + 8 * uniform(rng);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const v = t[p] as number;
    const g = grain * normal(rng);
    for (let c = 0; c < 3; c++) {
      const x = (a[c] as number) * (1 - v) + (b[c] as number) * v + g;
      data[p * 3 + c] = Math.min(255, Math.max(0, Math.round(x)));
    }
  }
  return { width, height, data };
}

/** Sum of value-noise octaves (cells of 32, 16, 8, 4 px), normalised to [0, 1]. */
function valueNoise(rng: Rng, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  let total = 0;
  for (const [cell, weight] of [
    [32, 1],
    [16, 0.5],
    [8, 0.25],
    [4, 0.125],
  ] as const) {
    const gw = Math.ceil(width / cell) + 2;
    const gh = Math.ceil(height / cell) + 2;
    const grid = new Float32Array(gw * gh).map(() => uniform(rng));
    for (let y = 0; y < height; y++) {
      const fy = y / cell;
      const iy = Math.floor(fy);
      const ty = smooth(fy - iy);
      for (let x = 0; x < width; x++) {
        const fx = x / cell;
        const ix = Math.floor(fx);
        const tx = smooth(fx - ix);
        const g = (i: number, j: number): number => grid[j * gw + i] as number;
        const top = g(ix, iy) * (1 - tx) + g(ix + 1, iy) * tx;
        const bot = g(ix, iy + 1) * (1 - tx) + g(ix + 1, iy + 1) * tx;
        out[y * width + x] = (out[y * width + x] as number) + weight * (top * (1 - ty) + bot * ty);
      }
    }
    total += weight;
  }
  return out.map((v) => v / total);
}

/** Running-bond bricks or tiles with mortar lines; each brick gets its own tone. */
function bricks(rng: Rng, width: number, height: number): Float32Array {
  const bh = 8 + randInt(rng, 12);
  const bw = bh * (1 + randInt(rng, 3));
  const mortar = 1 + randInt(rng, 2);
  const rows = Math.ceil(height / bh) + 1;
  const cols = Math.ceil(width / bw) + 2;
  const tone = new Float32Array(rows * cols).map(() => 0.3 + 0.4 * uniform(rng));
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const r = Math.floor(y / bh);
    const shift = r % 2 === 1 ? Math.floor(bw / 2) : 0;
    for (let x = 0; x < width; x++) {
      const xs = x + shift;
      const c = Math.floor(xs / bw);
      const inMortar = y % bh < mortar || xs % bw < mortar;
      out[y * width + x] = inMortar ? 1 : (tone[r * cols + c] as number);
    }
  }
  return out;
}

/** Soft sinusoidal stripes at a random angle and period. */
function stripes(rng: Rng, width: number, height: number): Float32Array {
  const angle = Math.PI * uniform(rng);
  const period = 10 + 30 * uniform(rng);
  const phase = 2 * Math.PI * uniform(rng);
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      out[y * width + x] = 0.5 + 0.5 * Math.sin(((x * ca + y * sa) * 2 * Math.PI) / period + phase);
  }
  return out;
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}
