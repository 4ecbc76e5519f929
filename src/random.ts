/**
 * The only source of randomness: a seeded xoshiro128** generator whose whole state is four uint32 words,
 * so it can be stored in a checkpoint and resumed bit for bit. Pass it explicitly; `Math.random` is never used.
 */
export interface Rng {
  /** Four uint32 words; mutated by the sampling functions below. */
  state: Uint32Array;
}

/** Creates a generator from an integer seed (splitmix32 expansion of the seed into the state). */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const state = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    state[i] = (z ^ (z >>> 16)) >>> 0;
  }
  if (state.every((w) => w === 0)) state[0] = 1;
  return { state };
}

/** A copy of the generator (same future draws, independent state). */
export function cloneRng(rng: Rng): Rng {
  return { state: new Uint32Array(rng.state) };
}

/** Next uint32 (xoshiro128**). */
export function nextUint32(rng: Rng): number {
  const s = rng.state;
  const result = Math.imul(rotl(Math.imul(s[1] as number, 5), 7), 9) >>> 0;
  const t = ((s[1] as number) << 9) >>> 0;
  s[2] = (s[2] as number) ^ (s[0] as number);
  s[3] = (s[3] as number) ^ (s[1] as number);
  s[1] = (s[1] as number) ^ (s[2] as number);
  s[0] = (s[0] as number) ^ (s[3] as number);
  s[2] = (s[2] as number) ^ t;
  s[3] = rotl(s[3] as number, 11);
  return result;
}

/** Uniform double in [0, 1) with 53 random bits. */
export function uniform(rng: Rng): number {
  const hi = nextUint32(rng) >>> 5;
  const lo = nextUint32(rng) >>> 6;
  return (hi * 67108864 + lo) / 9007199254740992;
}

/** Uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(uniform(rng) * n);
}

/** Standard normal draw (Box–Muller, one value per call). */
export function normal(rng: Rng): number {
  let u = uniform(rng);
  while (u === 0) u = uniform(rng);
  const v = uniform(rng);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** In-place Fisher–Yates shuffle. */
export function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
