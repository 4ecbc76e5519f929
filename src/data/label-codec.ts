/**
 * Label encodings: how the raw values of a dataset's label PNG become the common convention (class indices
 * 0..C-1 with 255 = ignore, or anomaly masks 0/1/255). Every codec rejects values outside its encoding with
 * a ValueError naming the file, the bad values, how many pixels carry them and where the first one is.
 */
import { ValueError } from '../errors.js';
import { IGNORE_INDEX } from './sample.js';

/** Turns raw label values into normalised ones. */
export interface LabelCodec {
  /** 'semantic' → `Sample.label`; 'anomaly' → `Sample.anomaly` (and `label` is all 255). */
  kind: 'semantic' | 'anomaly';
  /** Raw `[H, W]` values of `file` → normalised `[H, W]` values (a new array). */
  map(raw: Uint8Array, width: number, file: string): Uint8Array;
}

/** Value of a lookup table entry that marks a raw value as invalid. */
export const INVALID = -1;

/**
 * A codec from a 256-entry lookup table (`INVALID` = not allowed). `allowed` describes the valid raw values
 * for the error message, e.g. "0..10 or 11/255 (void)".
 */
export function lutCodec(kind: 'semantic' | 'anomaly', lut: Int16Array, allowed: string): LabelCodec {
  if (lut.length !== 256) throw new ValueError(`lutCodec: lookup table has ${lut.length} entries, expected 256`);
  return {
    kind,
    map(raw, width, file) {
      const out = new Uint8Array(raw.length);
      let bad = -1;
      for (let i = 0; i < raw.length; i++) {
        const v = lut[raw[i] as number] as number;
        if (v === INVALID) {
          bad = i;
          break;
        }
        out[i] = v;
      }
      if (bad >= 0) throw badValues(raw, lut, width, file, allowed);
      return out;
    },
  };
}

/** Class indices 0..numClasses-1 kept as they are, 255 = ignore, anything else rejected. */
export function classIndexCodec(numClasses: number): LabelCodec {
  const lut = new Int16Array(256).fill(INVALID);
  for (let c = 0; c < numClasses; c++) lut[c] = c;
  lut[IGNORE_INDEX] = IGNORE_INDEX;
  return lutCodec('semantic', lut, `0..${numClasses - 1} or ${IGNORE_INDEX} (ignore)`);
}

/** Anomaly masks already in the common encoding: 0 inlier, 1 anomaly, 255 void. */
export function anomalyMaskCodec(): LabelCodec {
  const lut = new Int16Array(256).fill(INVALID);
  lut[0] = 0;
  lut[1] = 1;
  lut[IGNORE_INDEX] = IGNORE_INDEX;
  return lutCodec('anomaly', lut, `0 (inlier), 1 (anomaly) or ${IGNORE_INDEX} (void)`);
}

/** A lookup table from `[raw, mapped]` pairs; every other raw value gets `fill`. */
export function lutFrom(pairs: readonly (readonly [number, number])[], fill: number): Int16Array {
  const lut = new Int16Array(256).fill(fill);
  for (const [raw, mapped] of pairs) lut[raw] = mapped;
  return lut;
}

/** The distinct values of a map, ascending. */
export function distinctValues(data: Uint8Array): number[] {
  const seen = new Uint8Array(256);
  for (let i = 0; i < data.length; i++) seen[data[i] as number] = 1;
  const out: number[] = [];
  for (let v = 0; v < 256; v++) if (seen[v]) out.push(v);
  return out;
}

function badValues(raw: Uint8Array, lut: Int16Array, width: number, file: string, allowed: string): ValueError {
  const counts = new Map<number, number>();
  let first = -1;
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i] as number;
    if (lut[r] !== INVALID) continue;
    if (first < 0) first = i;
    counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  const values = [...counts.keys()].sort((a, b) => a - b);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const shown = values.slice(0, 8).join(', ') + (values.length > 8 ? ', …' : '');
  const x = first % width;
  const y = Math.floor(first / width);
  return new ValueError(
    `label '${file}' has values outside the class range: {${shown}} on ${total} pixel(s), first at (x=${x}, y=${y}); allowed: ${allowed}`,
  );
}
