/**
 * Learning-rate schedule of the reference (MMCV `PolyLrUpdaterHook` with linear warm-up, iteration based):
 *   regular(i) = (base − min)·(1 − i/maxIters)^power + min
 *   warm-up (i < warmupIters): regular(i) · (1 − k),  k = (1 − i/warmupIters)·(1 − warmupRatio)
 */
import { ValueError } from '../errors.js';

/** Schedule settings. */
export interface PolySchedule {
  baseLr: number;
  minLr: number;
  power: number;
  maxIters: number;
  warmupIters: number;
  warmupRatio: number;
}

/** Learning rate at iteration `i` (0-based). */
export function polyLr(s: PolySchedule, i: number): number {
  if (!(s.maxIters > 0)) throw new ValueError(`polyLr: maxIters must be > 0, got ${s.maxIters}`);
  const progress = Math.min(i, s.maxIters) / s.maxIters;
  const regular = (s.baseLr - s.minLr) * (1 - progress) ** s.power + s.minLr;
  if (i >= s.warmupIters || s.warmupIters === 0) return regular;
  const k = (1 - i / s.warmupIters) * (1 - s.warmupRatio);
  return regular * (1 - k);
}
