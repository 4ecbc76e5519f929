// @ts-check
/**
 * Drawing and DOM rendering of the page: canvases, the class and heat legends, the region list.
 * No state lives here; app.js owns it.
 */
import { heatColor, infernoGradientCss } from './colormap.js';
import { formatPercent } from './regions.js';

/** Largest number of regions listed (the rest are summarised). */
export const REGION_LIST_LIMIT = 100;

/**
 * A score with 4 significant digits.
 * @param {number} s
 * @returns {string}
 */
export function formatScore(s) {
  return Number.isFinite(s) ? s.toPrecision(4) : String(s);
}

/**
 * The canvas's 2D context (a page canvas never gets another kind of context, so it is always there).
 * @param {HTMLCanvasElement} canvas
 * @param {CanvasRenderingContext2DSettings} [settings]
 * @returns {CanvasRenderingContext2D}
 */
export function context2d(canvas, settings) {
  return /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', settings));
}

/**
 * Sizes a canvas and puts RGBA pixels on it.
 * @param {HTMLCanvasElement} canvas
 * @param {Uint8ClampedArray<ArrayBuffer>} rgba
 * @param {number} width
 * @param {number} height
 */
export function putRgba(canvas, rgba, width, height) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  context2d(canvas).putImageData(new ImageData(rgba, width, height), 0, 0);
}

/**
 * Draws an image (a PNG data URL, a Blob's bitmap…) onto a canvas sized width × height.
 * @param {HTMLCanvasElement} canvas
 * @param {CanvasImageSource} source
 * @param {number} width
 * @param {number} height
 */
export function drawSource(canvas, source, width, height) {
  canvas.width = width;
  canvas.height = height;
  const ctx = context2d(canvas, { willReadFrequently: true });
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(source, 0, 0, width, height);
}

/**
 * Loads a data URL as an image element.
 * @param {string} url
 * @returns {Promise<HTMLImageElement>}
 */
export async function loadImage(url) {
  const img = new Image();
  img.src = url;
  await img.decode();
  return img;
}

/**
 * The RGBA pixels of a canvas.
 * @param {HTMLCanvasElement} canvas
 * @returns {Uint8ClampedArray<ArrayBuffer>}
 */
export function readRgba(canvas) {
  return context2d(canvas, { willReadFrequently: true }).getImageData(0, 0, canvas.width, canvas.height).data;
}

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * A colour swatch.
 * @param {number[]} rgb
 * @returns {HTMLElement}
 */
export function swatch(rgb) {
  const s = el('span', 'swatch');
  s.style.background = `rgb(${rgb[0]} ${rgb[1]} ${rgb[2]})`;
  s.setAttribute('aria-hidden', 'true');
  return s;
}

/**
 * The class legend: swatch, name and (after an image) the share of its pixels.
 * @param {HTMLElement} list
 * @param {{index: number, name: string, color: number[]}[]} classes
 * @param {Map<number, number>} [shares] class index → fraction of the image
 */
export function renderClassLegend(list, classes, shares) {
  list.replaceChildren(
    ...classes.map((c) => {
      const li = el('li');
      li.dataset.classIndex = String(c.index);
      li.append(swatch(c.color), el('span', 'name', c.name));
      li.title = `class ${c.index}: ${c.name}, colour rgb(${c.color.join(', ')})`;
      if (shares) {
        const share = shares.get(c.index) ?? 0;
        li.append(el('span', 'share', formatPercent(share)));
        li.classList.toggle('absent', share === 0);
      }
      return li;
    }),
  );
}

/**
 * The heat colour bar with ticks at min, threshold and max.
 * @param {HTMLElement} bar
 * @param {HTMLElement} ticks
 * @param {{min: number, max: number}} scale
 * @param {number} threshold
 */
export function renderHeatLegend(bar, ticks, scale, threshold) {
  bar.style.background = infernoGradientCss();
  /** @param {number} v */
  const pos = (v) => (100 * (Math.min(Math.max(v, scale.min), scale.max) - scale.min)) / (scale.max - scale.min);
  /**
   * @param {number} value
   * @param {string} cls
   * @param {string} label
   */
  const tick = (value, cls, label) => {
    const t = el('span', `tick ${cls}`, label);
    t.style.left = `${pos(value)}%`;
    t.dataset.value = String(value);
    return t;
  };
  ticks.replaceChildren(
    tick(scale.min, 'start', `≤ ${formatScore(scale.min)}`),
    tick(threshold, 'threshold', `threshold ${formatScore(threshold)}`),
    tick(scale.max, 'end', `≥ ${formatScore(scale.max)}`),
  );
  const [r, g, b] = heatColor(threshold, scale);
  ticks.title = `threshold ${threshold} has colour rgb(${r}, ${g}, ${b})`;
}

/**
 * The region list, largest first, at most {@link REGION_LIST_LIMIT} items.
 * @param {HTMLOListElement} list
 * @param {HTMLElement} more
 * @param {import('./regions.js').Region[]} regions
 * @param {(region: import('./regions.js').Region | null) => void} onHighlight
 */
export function renderRegions(list, more, regions, onHighlight) {
  const sorted = [...regions].sort((a, b) => b.area - a.area || a.id - b.id);
  const shown = sorted.slice(0, REGION_LIST_LIMIT);
  if (shown.length === 0) {
    list.replaceChildren(el('li', 'empty', 'No pixel is above the threshold.'));
  } else {
    list.replaceChildren(
      ...shown.map((r) => {
        const li = el('li', 'region');
        li.tabIndex = 0;
        li.dataset.regionId = String(r.id);
        li.dataset.area = String(r.area);
        const b = r.bbox;
        li.textContent = `${r.area} px at (${b.x}, ${b.y}), ${b.width}×${b.height} · max ${formatScore(r.maxScore)} · mean ${formatScore(r.meanScore)}`;
        /** @type {[string, import('./regions.js').Region | null][]} */
        const events = [
          ['mouseenter', r],
          ['focus', r],
          ['mouseleave', null],
          ['blur', null],
        ];
        for (const [ev, arg] of events) {
          li.addEventListener(ev, () => onHighlight(arg));
        }
        return li;
      }),
    );
  }
  list.dataset.count = String(regions.length);
  more.hidden = regions.length <= REGION_LIST_LIMIT;
  more.textContent = `… and ${regions.length - REGION_LIST_LIMIT} smaller regions.`;
}

/**
 * Saves a canvas as a PNG download.
 * @param {HTMLCanvasElement} canvas
 * @param {string} filename
 */
export function downloadCanvas(canvas, filename) {
  canvas.toBlob((blob) => {
    if (!blob) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }, 'image/png');
}
