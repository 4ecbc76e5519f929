// @ts-check
/**
 * Client-side anomaly regions at any threshold, from the service's raw score map (no new request):
 * - {@link thresholdMask}: 1 where score > t (strictly, the project's rule), else 0;
 * - {@link findRegions}: connected components of the mask, 8-connectivity, ids 1..n in raster order of their
 *   first pixel, each with area, bounding box, max and mean score;
 * - {@link overlayRgba}: the overlay the service draws (src/infer/overlay.ts): the heat colour blended over the
 *   photo with α = 0.5 on flagged pixels, out = ⌊(1 − α)·photo + α·heat + 0.5⌋, then the contour of the flagged
 *   regions (a flagged pixel with a 4-neighbour unflagged or outside the image) in cyan.
 * Pure functions over typed arrays; a unit test runs them in Node.
 */

/** Outline colour of flagged regions: the service's `OUTLINE_RGB` (src/constants.ts; a unit test keeps them equal). */
export const OUTLINE = [0, 255, 255];

/**
 * @param {ArrayLike<number>} scores [H·W]
 * @param {number} threshold
 * @returns {{mask: Uint8Array, flagged: number}}
 */
export function thresholdMask(scores, threshold) {
  const mask = new Uint8Array(scores.length);
  let flagged = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] > threshold) {
      mask[i] = 1;
      flagged++;
    }
  }
  return { mask, flagged };
}

/**
 * @typedef {{id: number, area: number, bbox: {x: number, y: number, width: number, height: number},
 *   maxScore: number, meanScore: number}} Region
 */

/**
 * Connected components (8-connectivity) of the non-zero pixels of `mask` [H·W].
 * @param {Uint8Array} mask
 * @param {ArrayLike<number>} scores [H·W]
 * @param {number} width
 * @param {number} height
 * @returns {{labels: Int32Array, regions: Region[]}}
 */
export function findRegions(mask, scores, width, height) {
  if (mask.length !== width * height || scores.length !== width * height) {
    throw new Error(
      `findRegions: mask (${mask.length}) and scores (${scores.length}) must have ${width}×${height} pixels`,
    );
  }
  const labels = new Int32Array(mask.length);
  const queue = new Int32Array(mask.length);
  /** @type {Region[]} */
  const regions = [];
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    const id = regions.length + 1;
    labels[start] = id;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    let x0 = width,
      y0 = height,
      x1 = -1,
      y1 = -1,
      max = -Infinity,
      sum = 0;
    while (head < tail) {
      const p = queue[head++];
      const y = (p / width) | 0;
      const x = p - y * width;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      const s = scores[p];
      if (s > max) max = s;
      sum += s;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width || (dx === 0 && dy === 0)) continue;
          const q = yy * width + xx;
          if (mask[q] !== 0 && labels[q] === 0) {
            labels[q] = id;
            queue[tail++] = q;
          }
        }
      }
    }
    regions.push({
      id,
      area: tail,
      bbox: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 },
      maxScore: max,
      meanScore: sum / tail,
    });
  }
  return { labels, regions };
}

/**
 * The contour of a mask [H·W]: flagged pixels with a 4-neighbour unflagged or outside the image.
 * @param {Uint8Array} mask
 * @param {number} width
 * @param {number} height
 * @returns {Uint8Array}
 */
export function maskContour(mask, width, height) {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (mask[i] === 0) continue;
      const inner =
        x > 0 &&
        mask[i - 1] !== 0 &&
        x < width - 1 &&
        mask[i + 1] !== 0 &&
        y > 0 &&
        mask[i - width] !== 0 &&
        y < height - 1 &&
        mask[i + width] !== 0;
      if (!inner) out[i] = 1;
    }
  }
  return out;
}

/**
 * The overlay RGBA [H·W·4] (see the module comment).
 * @param {Uint8ClampedArray<ArrayBuffer>} photo RGBA [H·W·4]
 * @param {Uint8ClampedArray} heat RGBA [H·W·4]
 * @param {Uint8Array} mask [H·W]
 * @param {number} width
 * @param {number} height
 * @param {number} [alpha]
 * @returns {Uint8ClampedArray<ArrayBuffer>}
 */
export function overlayRgba(photo, heat, mask, width, height, alpha = 0.5) {
  const n = width * height;
  if (photo.length !== 4 * n || heat.length !== 4 * n || mask.length !== n) {
    throw new Error(
      `overlayRgba: photo (${photo.length}), heat (${heat.length}) and mask (${mask.length}) must match ${width}×${height}`,
    );
  }
  const out = new Uint8ClampedArray(photo);
  const contour = maskContour(mask, width, height);
  for (let p = 0; p < n; p++) {
    out[4 * p + 3] = 255;
    if (mask[p] === 0) continue;
    if (contour[p] === 1) {
      out.set(OUTLINE, 4 * p);
      continue;
    }
    for (let c = 0; c < 3; c++) {
      const i = 4 * p + c;
      out[i] = Math.floor((1 - alpha) * photo[i] + alpha * heat[i] + 0.5);
    }
  }
  return out;
}

/**
 * Fraction of flagged pixels as the page shows it: "12.34 %", with "< 0.01 %" for tiny non-zero fractions.
 * @param {number} fraction
 * @returns {string}
 */
export function formatPercent(fraction) {
  if (fraction > 0 && fraction < 1e-4) return '< 0.01 %';
  return `${(100 * fraction).toFixed(2)} %`;
}
