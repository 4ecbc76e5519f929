/**
 * IEEE 754 binary16 ("float16", NumPy `np.float16`) conversion, written out by hand so that the
 * SegmentMeIfYouCan evaluator's `anomaly_p.astype(np.float16)` can be reproduced bit for bit.
 *
 * Rounding is round-to-nearest, ties-to-even, directly from the float64 value (what NumPy's
 * `npy_double_to_half` does; for float32 inputs the double value is the float32 value, so this is also
 * NumPy's float32 → float16 cast). Magnitudes ≥ 65520 round to ±Infinity, NaN stays NaN (0x7e00),
 * the sign of zero is kept, and subnormals (multiples of 2⁻²⁴) are produced exactly.
 *
 * A leaf module (it imports nothing): `data/npy.ts` (float16 arrays) and `metrics/smiyc.ts` both use it.
 */

/** Largest finite float16 (0x7bff). */
export const FLOAT16_MAX = 65504;
/** Smallest magnitude that rounds to Infinity: the midpoint between 65504 and 2¹⁶, rounded to even (= up). */
export const FLOAT16_OVERFLOW = 65520;

const TWO_POW_24 = 16777216;
const TWO_POW_MINUS_14 = 1 / 16384;

/** Rounds a non-negative value below 2⁵³ to the nearest integer, ties to even. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f; // exact: v and f share the exponent range
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The 16-bit pattern of `x` rounded to float16 (round-to-nearest-even). */
export function float16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= FLOAT16_OVERFLOW) return sign | 0x7c00;
  if (a < TWO_POW_MINUS_14) {
    // Subnormal range: value = m · 2⁻²⁴. a · 2²⁴ is exact (scaling by a power of two upward).
    // m may reach 1024, which is exactly the bit pattern of the smallest normal 2⁻¹⁴.
    return sign | roundHalfEven(a * TWO_POW_24);
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  // a / 2^e ∈ [1, 2); times 1024 is exact, minus 1024 is exact.
  const frac = roundHalfEven((a / 2 ** e) * 1024 - 1024);
  // frac may be 1024: the addition carries into the exponent, which is the correct rounding up.
  const bits = ((e + 15) << 10) + frac;
  return sign | (bits >= 0x7c00 ? 0x7c00 : bits);
}

/** The value of a float16 bit pattern (as a double, exactly). */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** `x` rounded to the nearest float16 value (ties to even), returned as a double. */
export function toFloat16(x: number): number {
  return fromFloat16Bits(float16Bits(x));
}

/** Element-wise float16 rounding (NumPy `values.astype(np.float16)`, read back as float64). */
export function castFloat16(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16(values[i] as number);
  return out;
}

/** `a − b` computed in float16 arithmetic (NumPy `np.float16(a) - np.float16(b)`), for float16 inputs. */
export function float16Sub(a: number, b: number): number {
  // a and b are float16 values; their exact difference fits a double (exponents span < 53 bits),
  // and NumPy computes half arithmetic in float32 then rounds, which is correctly rounded for + and −.
  return toFloat16(a - b);
}
