// @ts-check
/**
 * The gmmseg page: send an image to the service, draw its class map and anomaly heat map, and recompute the
 * flagged regions, anomaly fraction and overlay in the page whenever the threshold slider moves (from the raw
 * score map the service returned; no new request). Hovering any panel reads the pixel's class and score.
 */
import {
  base64ToBytes,
  base64ToFloat32,
  callService,
  loadConfig,
  segmentImage,
  serviceBase,
  ServiceError,
} from './api.js';
import { heatRgba } from './colormap.js';
import { findRegions, formatPercent, overlayRgba, thresholdMask } from './regions.js';
import {
  context2d,
  downloadCanvas,
  drawSource,
  formatScore,
  loadImage,
  putRgba,
  readRgba,
  renderClassLegend,
  renderHeatLegend,
  renderRegions,
  swatch,
} from './view.js';

/** @typedef {import('./api.js').ModelInfo} ModelInfo */
/** @typedef {import('./api.js').SegmentReply} SegmentReply */
/** @typedef {import('./regions.js').Region} Region */
/** @typedef {'original' | 'classes' | 'heat' | 'overlay'} PanelName */

/**
 * The page's element with this id (index.html has every id this script uses).
 * @param {string} id
 * @returns {HTMLElement}
 */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const $input = (id) => /** @type {HTMLInputElement} */ ($(id));
/** @param {string} id */
const $button = (id) => /** @type {HTMLButtonElement} */ ($(id));
/** @param {string} id */
const $canvas = (id) => /** @type {HTMLCanvasElement} */ ($(id));

const ui = {
  status: $('status'),
  error: $('error'),
  dropZone: $('drop-zone'),
  fileInput: $input('file-input'),
  fileHint: $('file-hint'),
  threshold: $input('threshold'),
  thresholdValue: $('threshold-value'),
  thresholdReset: $button('threshold-reset'),
  fraction: $('anomaly-fraction'),
  regionCount: $('region-count'),
  regions: /** @type {HTMLOListElement} */ ($('regions')),
  regionsMore: $('regions-more'),
  panels: $('panels'),
  hover: $('hover-info'),
  classLegend: $('class-legend'),
  heatBar: $('heat-bar'),
  heatTicks: $('heat-ticks'),
  /** @type {Record<PanelName, HTMLCanvasElement>} */
  canvases: {
    original: $canvas('canvas-original'),
    classes: $canvas('canvas-classes'),
    heat: $canvas('canvas-heat'),
    overlay: $canvas('canvas-overlay'),
  },
};

/** Everything the page knows. */
const state = {
  /** @type {URL | null} */ base: null,
  serviceLabel: '',
  /** @type {ModelInfo | null} */ model: null,
  threshold: 0,
  requestSeq: 0,
  /** @type {null | {name: string, width: number, height: number, labels: Uint8Array, scores: Float32Array,
   *   photo: Uint8ClampedArray<ArrayBuffer>, heat: Uint8ClampedArray<ArrayBuffer>,
   *   overlay: Uint8ClampedArray<ArrayBuffer> | null}} */
  result: null,
  pendingFrame: 0,
};

/**
 * @param {string} text
 * @param {'ok' | 'busy' | 'down'} kind
 */
function setStatus(text, kind) {
  ui.status.textContent = text;
  ui.status.dataset.state = kind;
}

/** @param {string} message empty: hide the error line */
function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = message === '';
}

/** @param {unknown} e */
function describe(e) {
  return e instanceof ServiceError
    ? e.describe()
    : `Unexpected error in the page: ${e instanceof Error ? e.message : String(e)}`;
}

function readyStatus() {
  return `Inference: gmmseg service at ${state.serviceLabel}, engine ${/** @type {ModelInfo} */ (state.model).engine}`;
}

async function init() {
  const config = await loadConfig();
  state.base = serviceBase(config);
  state.serviceLabel = config.service === '' ? state.base.origin : state.base.href;
  if (config.mode !== 'service') {
    setStatus(`Inference: unavailable (config.json mode '${config.mode}')`, 'down');
    showError(
      `This page only calls the gmmseg service; config.json asks for mode '${config.mode}'. Rebuild it with gmmseg web-build.`,
    );
    return;
  }
  try {
    state.model = /** @type {ModelInfo} */ (await callService(state.base, 'v1/model', {}, 30000));
  } catch (e) {
    setStatus(`Inference: gmmseg service at ${state.serviceLabel} is not available`, 'down');
    showError(describe(e));
    return;
  }
  const m = state.model;
  setupThreshold(m.heatScale, m.threshold);
  renderClassLegend(ui.classLegend, m.classes);
  const maxMb =
    m.limits && m.limits.maxBodyBytes
      ? `, up to ${(m.limits.maxBodyBytes / 1048576).toFixed(m.limits.maxBodyBytes < 1048576 ? 2 : 0)} MiB`
      : '';
  const maxPx = m.limits && m.limits.maxImagePixels ? ` and ${(m.limits.maxImagePixels / 1e6).toFixed(1)} Mpx` : '';
  ui.fileHint.textContent = `PNG, JPEG or WebP${maxMb}${maxPx}`;
  setStatus(`${readyStatus()} · ${m.classes.length} classes, ${m.head} head, score ${m.score}`, 'ok');
}

/**
 * @param {import('./api.js').HeatScale} scale
 * @param {number} threshold
 */
function setupThreshold(scale, threshold) {
  const min = Math.min(scale.min, threshold);
  const max = Math.max(scale.max, threshold);
  Object.assign(ui.threshold, { min: String(min), max: String(max), disabled: false });
  ui.threshold.value = String(threshold);
  ui.thresholdReset.disabled = false;
  setThreshold(threshold);
}

/**
 * Sets the threshold and redraws what depends on it (once per animation frame). Called once the model is known.
 * @param {number} t
 */
function setThreshold(t) {
  const model = /** @type {ModelInfo} */ (state.model);
  state.threshold = t;
  ui.thresholdValue.textContent = formatScore(t);
  ui.threshold.setAttribute('aria-valuetext', `threshold ${formatScore(t)}`);
  renderHeatLegend(ui.heatBar, ui.heatTicks, model.heatScale, t);
  if (state.pendingFrame === 0) {
    state.pendingFrame = requestAnimationFrame(() => {
      state.pendingFrame = 0;
      applyThreshold();
    });
  }
}

/** Flagged mask, regions, fraction and overlay at the current threshold. */
function applyThreshold() {
  const r = state.result;
  if (!r) return;
  const t = state.threshold;
  const { mask, flagged } = thresholdMask(r.scores, t);
  const { regions } = findRegions(mask, r.scores, r.width, r.height);
  r.overlay = overlayRgba(r.photo, r.heat, mask, r.width, r.height);
  putRgba(ui.canvases.overlay, r.overlay, r.width, r.height);
  const fraction = flagged / (r.width * r.height);
  ui.fraction.textContent = `${formatPercent(fraction)} of pixels`;
  ui.fraction.dataset.fraction = String(fraction);
  ui.fraction.dataset.flagged = String(flagged);
  ui.fraction.dataset.threshold = String(t);
  ui.regionCount.textContent = `(${flagged} px in ${regions.length} region${regions.length === 1 ? '' : 's'})`;
  renderRegions(ui.regions, ui.regionsMore, regions, highlightRegion);
}

/**
 * Outlines one region's bounding box on the overlay (null: plain overlay).
 * @param {Region | null} region
 */
function highlightRegion(region) {
  const r = state.result;
  if (!r || !r.overlay) return;
  putRgba(ui.canvases.overlay, r.overlay, r.width, r.height);
  if (!region) return;
  const ctx = context2d(ui.canvases.overlay);
  const b = region.bbox;
  const lw = Math.max(1, Math.round(Math.max(r.width, r.height) / 256));
  ctx.lineWidth = lw;
  ctx.strokeStyle = '#ff2bd6';
  ctx.strokeRect(b.x - lw / 2, b.y - lw / 2, b.width + lw, b.height + lw);
}

/** @param {File} file */
async function handleFile(file) {
  if (!state.model || !state.base) return;
  showError('');
  const limit = state.model.limits && state.model.limits.maxBodyBytes;
  if (limit && file.size > limit) {
    showError(
      `${file.name} is ${(file.size / 1048576).toFixed(1)} MiB; the service accepts at most ${(limit / 1048576).toFixed(1)} MiB per image.`,
    );
    return;
  }
  const seq = ++state.requestSeq;
  setStatus(`${readyStatus()} · segmenting ${file.name}…`, 'busy');
  ui.panels.setAttribute('aria-busy', 'true');
  const t0 = performance.now();
  try {
    const res = await segmentImage(state.base, file, ['classes', 'heat', 'raw']);
    if (seq !== state.requestSeq) return;
    const roundTrip = performance.now() - t0;
    await showResult(file, res);
    if (seq !== state.requestSeq) return;
    // An answer without timings shows NaN ms rather than failing.
    const tm = /** @type {NonNullable<SegmentReply['timingMs']>} */ (res.timingMs || {});
    setStatus(
      `Inference: gmmseg service at ${state.serviceLabel}, engine ${res.engine} · ${file.name} ${res.width}×${res.height}: ` +
        `${Math.round(roundTrip)} ms round trip (service: decode ${Math.round(tm.decode)} ms, predict ${Math.round(tm.predict)} ms, total ${Math.round(tm.total)} ms)`,
      'ok',
    );
  } catch (e) {
    if (seq !== state.requestSeq) return;
    showError(`${file.name}: ${describe(e)}`);
    setStatus(readyStatus(), 'ok');
  } finally {
    if (seq === state.requestSeq) ui.panels.removeAttribute('aria-busy');
  }
}

/**
 * @param {File} file
 * @param {SegmentReply} res
 */
async function showResult(file, res) {
  const model = /** @type {ModelInfo} */ (state.model);
  const { width, height } = res;
  const n = width * height;
  const labels = base64ToBytes(res.maps.labels);
  if (labels.length !== n)
    throw new ServiceError(200, 'bad_response', `The label map has ${labels.length} values; expected ${n}`);
  const scores = base64ToFloat32(res.maps.scores, n);
  const [classesImg, heatImg] = await Promise.all([loadImage(res.maps.classes), loadImage(res.maps.heat)]);
  drawSource(ui.canvases.classes, classesImg, width, height);
  drawSource(ui.canvases.heat, heatImg, width, height);
  await drawOriginal(file, width, height);
  state.result = {
    name: file.name.replace(/\.[^.]*$/, '') || 'image',
    width,
    height,
    labels,
    scores,
    photo: readRgba(ui.canvases.original),
    heat: heatRgba(scores, model.heatScale),
    overlay: null,
  };
  renderClassLegend(ui.classLegend, model.classes, new Map(res.classes.map((c) => [c.index, c.fraction])));
  ui.panels.classList.add('has-result');
  ui.panels.dataset.image = file.name;
  ui.fileHint.textContent = `Showing ${file.name} (${width}×${height}); drop or choose another image`;
  for (const id of ['download-classes', 'download-heat', 'download-overlay']) $button(id).disabled = false;
  applyThreshold();
}

/**
 * The photo as the service saw it (EXIF orientation not applied, like the service's decoder).
 * @param {File} file
 * @param {number} width
 * @param {number} height
 */
async function drawOriginal(file, width, height) {
  const canvas = ui.canvases.original;
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'none' });
    drawSource(canvas, bitmap, width, height);
    bitmap.close();
  } catch {
    canvas.width = width;
    canvas.height = height;
    const ctx = context2d(canvas, { willReadFrequently: true });
    ctx.fillStyle = '#808080';
    ctx.fillRect(0, 0, width, height);
    showError(`${file.name}: this browser cannot display the image itself; the maps come from the service.`);
  }
}

/**
 * The hover read-out and the position markers on every panel.
 * @param {PointerEvent} event
 */
function onPointer(event) {
  const r = state.result;
  const canvas = /** @type {HTMLCanvasElement} */ (event.currentTarget);
  if (!r) return;
  const model = /** @type {ModelInfo} */ (state.model); // set before any result
  const rect = canvas.getBoundingClientRect();
  const x = Math.min(r.width - 1, Math.max(0, Math.floor(((event.clientX - rect.left) / rect.width) * r.width)));
  const y = Math.min(r.height - 1, Math.max(0, Math.floor(((event.clientY - rect.top) / rect.height) * r.height)));
  const i = y * r.width + x;
  const cls = model.classes.find((c) => c.index === r.labels[i]);
  const score = r.scores[i];
  const flagged = score > state.threshold;
  Object.assign(ui.hover.dataset, {
    x: String(x),
    y: String(y),
    class: cls ? cls.name : '',
    classIndex: String(r.labels[i]),
    score: String(score),
    flagged: String(flagged),
  });
  const name = document.createElement('strong');
  name.textContent = cls ? cls.name : `class ${r.labels[i]}`;
  ui.hover.replaceChildren(
    `(${x}, ${y}) · class `,
    ...(cls ? [swatch(cls.color)] : []),
    name,
    ` · anomaly score ${formatScore(score)} ${flagged ? '> threshold: flagged' : '≤ threshold'}`,
  );
  ui.panels.classList.add('hovering');
  for (const m of /** @type {NodeListOf<HTMLElement>} */ (ui.panels.querySelectorAll('.marker'))) {
    m.style.left = `${((x + 0.5) / r.width) * 100}%`;
    m.style.top = `${((y + 0.5) / r.height) * 100}%`;
  }
}

function wireEvents() {
  ui.fileInput.addEventListener('change', () => {
    const file = ui.fileInput.files && ui.fileInput.files[0];
    if (file) void handleFile(file);
    ui.fileInput.value = '';
  });
  for (const ev of ['dragenter', 'dragover']) {
    ui.dropZone.addEventListener(ev, (e) => {
      e.preventDefault();
      ui.dropZone.classList.add('dragging');
    });
  }
  for (const ev of ['dragleave', 'drop'])
    ui.dropZone.addEventListener(ev, () => ui.dropZone.classList.remove('dragging'));
  ui.dropZone.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) void handleFile(file);
  });
  // A file dropped outside the zone must not make the browser navigate away from the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  window.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData ? e.clipboardData.files : [])].find((f) => f.type.startsWith('image/'));
    if (file) void handleFile(file);
  });
  ui.threshold.addEventListener('input', () => {
    const t = Number(ui.threshold.value);
    if (Number.isFinite(t) && state.model) setThreshold(t);
  });
  ui.thresholdReset.addEventListener('click', () => {
    const model = /** @type {ModelInfo} */ (state.model); // the button is enabled once the model is known
    ui.threshold.value = String(model.threshold);
    setThreshold(model.threshold);
  });
  for (const canvas of Object.values(ui.canvases)) {
    canvas.addEventListener('pointermove', onPointer);
    canvas.addEventListener('pointerdown', onPointer);
    canvas.addEventListener('pointerleave', () => ui.panels.classList.remove('hovering'));
  }
  /** @type {[string, PanelName, string][]} */
  const downloads = [
    ['download-classes', 'classes', 'classes'],
    ['download-heat', 'heat', 'anomaly'],
    ['download-overlay', 'overlay', 'overlay'],
  ];
  for (const [id, key, suffix] of downloads) {
    $(id).addEventListener('click', () => {
      if (state.result) downloadCanvas(ui.canvases[key], `${state.result.name}.${suffix}.png`);
    });
  }
}

wireEvents();
init().catch((e) => {
  setStatus('Inference: unavailable', 'down');
  showError(describe(e));
});
