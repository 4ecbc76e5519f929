/**
 * Label maps at feature resolution, exactly as PyTorch's `F.interpolate(mode='nearest')` picks them.
 */
import { ValueError } from '../errors.js';
import { assertInt, assertLength } from '../shape.js';

/**
 * PyTorch's nearest source index (UpSample.h `nearest_idx`): identity when sizes match, `i >> 1` when the output is
 * twice the input, otherwise floor(i · float32(in / out)) in float32 arithmetic, clamped to in − 1.
 */
export function nearestSourceIndex(i: number, inSize: number, outSize: number): number {
  if (outSize === inSize) return i;
  if (outSize === 2 * inSize) return i >> 1;
  const scale = Math.fround(inSize / outSize);
  return Math.min(Math.floor(Math.fround(i * scale)), inSize - 1);
}

/**
 * Nearest resize of a batch of label maps.
 * @param labels [B, H, W]
 * @returns [B, h, w]
 */
export function nearestResizeLabels(
  labels: ArrayLike<number>,
  B: number,
  H: number,
  W: number,
  h: number,
  w: number,
): Int32Array {
  assertLength(labels.length, [B, H, W], 'labels', 'nearestResizeLabels');
  assertInt(h, 1, 1 << 30, 'h', 'nearestResizeLabels');
  assertInt(w, 1, 1 << 30, 'w', 'nearestResizeLabels');
  const out = new Int32Array(B * h * w);
  const cols = Array.from({ length: w }, (_, x) => nearestSourceIndex(x, W, w));
  for (let b = 0; b < B; b++) {
    for (let y = 0; y < h; y++) {
      const sy = nearestSourceIndex(y, H, h);
      const src = (b * H + sy) * W;
      const dst = (b * h + y) * w;
      for (let x = 0; x < w; x++) out[dst + x] = labels[src + (cols[x] as number)] as number;
    }
  }
  return out;
}

/**
 * Checks that every label is a class index in [0, C) or the ignore index; names the first bad value.
 */
export function checkLabels(labels: ArrayLike<number>, classes: number, ignoreIndex: number, fnName: string): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i] as number;
    if (v !== ignoreIndex && !(Number.isInteger(v) && v >= 0 && v < classes)) {
      throw new ValueError(
        `${fnName}: label value ${v} at flat index ${i} is neither a class in [0, ${classes}) nor the ignore index ${ignoreIndex}`,
      );
    }
  }
}

/** Sorted distinct class values present in `labels`, the ignore index excluded. */
export function presentClasses(labels: ArrayLike<number>, ignoreIndex: number): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i] as number;
    if (v !== ignoreIndex) seen.add(v);
  }
  return [...seen].sort((a, b) => a - b);
}
