/**
 * The few NumPy routines (NumPy 1.23, the version pinned by the SegmentMeIfYouCan evaluator) whose exact
 * floating-point behaviour the SMIYC metric depends on: pairwise summation (`np.sum`, `np.trapz`),
 * `np.linspace`, `np.quantile(method='linear')` on a float16 array, and `np.histogram` with explicit edges.
 * Pure functions over typed arrays.
 */
import { ValueError } from '../errors.js';

const PW_BLOCKSIZE = 128;

/** `np.add.reduce` of a contiguous float64 array: NumPy's pairwise summation (8-way unrolled blocks of ≤ 128). */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i] as number;
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = a[start + j] as number;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = (r[j] as number) + (a[start + i + j] as number);
    }
    const r0 = r[0] as number,
      r1 = r[1] as number,
      r2 = r[2] as number,
      r3 = r[3] as number;
    const r4 = r[4] as number,
      r5 = r[5] as number,
      r6 = r[6] as number,
      r7 = r[7] as number;
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[start + i] as number;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `np.linspace(start, stop, num)` (endpoint included): i·step + start, last element set to `stop`. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const y = new Float64Array(num);
  if (num === 1) {
    y[0] = start;
    return y;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) y[i] = i * step + start;
  if (num > 1) y[num - 1] = stop;
  return y;
}

/** `np.trapz(y, x)`: pairwise sum of `(x[i+1] − x[i]) · (y[i+1] + y[i]) / 2`. */
export function trapz(y: ArrayLike<number>, x: ArrayLike<number>): number {
  const n = y.length;
  if (n < 2) return 0;
  const terms = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) {
    const d = (x[i + 1] as number) - (x[i] as number);
    terms[i] = (d * ((y[i + 1] as number) + (y[i] as number))) / 2;
  }
  return pairwiseSum(terms);
}

/**
 * `np.quantile(values, levels)` with the default 'linear' method, for `sorted` ascending values of the
 * array's dtype. NumPy computes `b − a` in the array's dtype (float16 for SMIYC), then interpolates in float64:
 * `a + diff·γ` when γ < 0.5, else `b − diff·(1 − γ)`. `roundDiff` applies the dtype's rounding to `b − a`.
 */
export function quantileLinear(
  sorted: Float64Array,
  levels: ArrayLike<number>,
  roundDiff: (d: number) => number = (d) => d,
): Float64Array {
  const n = sorted.length;
  if (n === 0) throw new ValueError("quantileLinear: argument 'sorted' is empty; a quantile needs at least one value");
  const out = new Float64Array(levels.length);
  for (let k = 0; k < levels.length; k++) {
    const v = (n - 1) * (levels[k] as number);
    let prev = Math.floor(v);
    let next = prev + 1;
    let gammaBase = prev;
    if (v >= n - 1) {
      prev = n - 1;
      next = n - 1;
      gammaBase = -1; // NumPy stores index −1 here; γ is then irrelevant because a == b
    } else if (v < 0) {
      prev = 0;
      next = 0;
      gammaBase = 0;
    }
    const a = sorted[prev] as number;
    const b = sorted[next] as number;
    const gamma = v - gammaBase;
    const diff = roundDiff(b - a);
    out[k] = gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
  }
  return out;
}

/** Index of the first element of ascending `sorted` that is ≥ v (`side='left'`) or > v (`side='right'`). */
export function searchSorted(sorted: ArrayLike<number>, v: number, side: 'left' | 'right'): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = sorted[mid] as number;
    if (side === 'left' ? x < v : x <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `np.histogram(values, bins=edges)[0]` for ascending `sorted` values and strictly increasing `edges`:
 * bin i counts values in [eᵢ, eᵢ₊₁), the last bin is closed; values outside [e₀, e_B] are not counted.
 */
export function histogramSorted(sorted: ArrayLike<number>, edges: ArrayLike<number>): Float64Array {
  const nb = edges.length - 1;
  const counts = new Float64Array(Math.max(nb, 0));
  let prevCum = searchSorted(sorted, edges[0] as number, 'left');
  for (let i = 1; i <= nb; i++) {
    const cum = searchSorted(sorted, edges[i] as number, i === nb ? 'right' : 'left');
    counts[i - 1] = cum - prevCum;
    prevCum = cum;
  }
  return counts;
}

/** Sorted copy with duplicates removed (`np.unique` on a float64 array; −0 and +0 are one value, kept as +0). */
export function uniqueSorted(values: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(values, (v) => v + 0).sort();
  let m = 0;
  for (let i = 0; i < s.length; i++) {
    if (i === 0 || (s[i] as number) !== (s[m - 1] as number)) s[m++] = s[i] as number;
  }
  return s.slice(0, m);
}

const SMALL_QUICKSORT = 15;

/** NumPy's float `<` used by its sorts: NaNs sort last. */
function lessF(a: number, b: number): boolean {
  return a < b || (b !== b && a === a);
}

/**
 * `np.argsort(v)` with the default kind ('quicksort') of NumPy 1.23 for float64: the scalar introsort
 * `aquicksort_` (median-of-3 partition, insertion sort for ≤ 16 elements, heapsort past depth 2·⌊log₂ n⌋).
 * It is not stable; the order it gives equal values is reproduced exactly (the SMIYC curve depends on it;
 * checked against the compiled v1.23.3 `npysort/quicksort.cpp`, including the heapsort fallback, which e.g.
 * organ-pipe inputs of 256+ elements reach). Newer NumPy builds may dispatch to SIMD sorts (NumPy 2.4 on an
 * AVX-512 CPU does) whose tie order differs.
 */
export function argsortNumpy(v: ArrayLike<number>): Int32Array {
  const num = v.length;
  const t = new Int32Array(num);
  for (let i = 0; i < num; i++) t[i] = i;
  if (num < 2) return t;
  const stack: number[] = [];
  const depth: number[] = [];
  let pl = 0;
  let pr = num - 1;
  let msb = 0; // npy_get_msb: index of the highest set bit
  for (let u = num; u >= 2; u = Math.floor(u / 2)) msb++;
  let cdepth = 2 * msb;
  const val = (k: number): number => v[t[k] as number] as number;
  const swap = (a: number, b: number): void => {
    const x = t[a] as number;
    t[a] = t[b] as number;
    t[b] = x;
  };
  for (;;) {
    let popped = false;
    if (cdepth < 0) {
      heapsortSegment(v, t, pl, pr - pl + 1);
      popped = true;
    }
    if (!popped) {
      while (pr - pl > SMALL_QUICKSORT) {
        const pm = pl + ((pr - pl) >> 1);
        if (lessF(val(pm), val(pl))) swap(pm, pl);
        if (lessF(val(pr), val(pm))) swap(pr, pm);
        if (lessF(val(pm), val(pl))) swap(pm, pl);
        const vp = val(pm);
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi;
          while (lessF(val(pi), vp));
          do --pj;
          while (lessF(vp, val(pj)));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depth.push(--cdepth);
      }
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = t[pi] as number;
        const vp = v[vi] as number;
        let pj = pi;
        while (pj > pl && lessF(vp, val(pj - 1))) {
          t[pj] = t[pj - 1] as number;
          pj--;
        }
        t[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop() as number;
    pl = stack.pop() as number;
    cdepth = depth.pop() as number;
  }
  return t;
}

/** NumPy's `aheapsort_` on t[off .. off+n) (indices into v): the depth-limit fallback of {@link argsortNumpy}. */
export function heapsortSegment(v: ArrayLike<number>, t: Int32Array, off: number, n: number): void {
  // a[k] (1-based) is t[off + k − 1]
  const get = (k: number): number => t[off + k - 1] as number;
  const set = (k: number, x: number): void => {
    t[off + k - 1] = x;
  };
  const lv = (k: number): number => v[get(k)] as number;
  // Sift element `tmp` down from slot i within a[1..size] (NumPy's inner loop, shared by both phases).
  const siftDown = (i: number, tmp: number, size: number): void => {
    let j = i << 1;
    while (j <= size) {
      if (j < size && lessF(lv(j), lv(j + 1))) j += 1;
      if (lessF(v[tmp] as number, lv(j))) {
        set(i, get(j));
        i = j;
        j += j;
      } else break;
    }
    set(i, tmp);
  };
  for (let l = n >> 1; l > 0; --l) siftDown(l, get(l), n);
  for (; n > 1;) {
    const tmp = get(n);
    set(n, get(1));
    n -= 1;
    siftDown(1, tmp, n);
  }
}
