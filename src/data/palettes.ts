/**
 * The datasets whose class lists come with conventional colours, for colourising class maps: a model trained on
 * exactly these classes (same names and order, case-insensitive) is drawn in the dataset's colours; any other
 * class list gets the generic palette of `infer/palette.ts`. Colourisation (infer) does not know the datasets:
 * callers hand it this list (`paletteFor(classes, DATASET_PALETTES)`).
 */
import { CAMVID_CLASSES, CAMVID_PALETTE } from './camvid.js';
import { CITYSCAPES_CLASSES, CITYSCAPES_PALETTE } from './cityscapes.js';

/** A dataset's class names `[C]` with one colour `[r, g, b]` (0..255) per class `[C]`. */
export interface DatasetPalette {
  classes: readonly string[];
  palette: readonly (readonly [number, number, number])[];
}

/** Cityscapes (19 trainId classes) and CamVid (11 classes), tried in this order. */
export const DATASET_PALETTES: readonly DatasetPalette[] = [
  { classes: CITYSCAPES_CLASSES, palette: CITYSCAPES_PALETTE },
  { classes: CAMVID_CLASSES, palette: CAMVID_PALETTE },
];
