import assert from 'node:assert/strict';

/** Tolerances: pass when |actual − expected| ≤ atol + rtol·|expected|. */
export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Result of a comparison: the worst element, for messages. */
export interface CloseReport {
  ok: boolean;
  /** Number of elements that failed. */
  bad: number;
  /** Flat index of the worst violation (largest excess over the allowed error), or −1. */
  worstIndex: number;
  worstActual: number;
  worstExpected: number;
  maxAbsDiff: number;
}

/**
 * The project's one tolerance rule: |a − e| ≤ atol + rtol·|e|; NaN equals only NaN; ±Inf only the same infinity.
 */
export function compareClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): CloseReport {
  if (actual.length !== expected.length) {
    return {
      ok: false,
      bad: Math.max(actual.length, expected.length),
      worstIndex: -1,
      worstActual: NaN,
      worstExpected: NaN,
      maxAbsDiff: Infinity,
    };
  }
  let bad = 0;
  let worstIndex = -1;
  let worstExcess = -Infinity;
  let maxAbsDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    let excess: number;
    if (Number.isNaN(e) || Number.isNaN(a)) excess = Number.isNaN(e) && Number.isNaN(a) ? -Infinity : Infinity;
    else if (!Number.isFinite(e) || !Number.isFinite(a)) excess = a === e ? -Infinity : Infinity;
    else {
      const diff = Math.abs(a - e);
      maxAbsDiff = Math.max(maxAbsDiff, diff);
      excess = diff - (tol.atol + tol.rtol * Math.abs(e));
    }
    if (excess > 0) bad++;
    if (excess > worstExcess) {
      worstExcess = excess;
      worstIndex = i;
    }
  }
  return {
    ok: bad === 0,
    bad,
    worstIndex,
    worstActual: worstIndex >= 0 ? (actual[worstIndex] as number) : NaN,
    worstExpected: worstIndex >= 0 ? (expected[worstIndex] as number) : NaN,
    maxAbsDiff,
  };
}

/** Asserts closeness with a message giving the worst element. */
export function expectClose(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  tol: Tolerance,
  what = 'value',
): void {
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  const r = compareClose(a, e, tol);
  assert.ok(
    r.ok,
    `${what}: ${r.bad} of ${e.length} elements out of tolerance (rtol ${tol.rtol}, atol ${tol.atol}); ` +
      `worst at flat index ${r.worstIndex}: actual ${r.worstActual}, expected ${r.worstExpected}; max |diff| ${r.maxAbsDiff}` +
      (a.length !== e.length ? `; lengths differ: ${a.length} vs ${e.length}` : ''),
  );
}
