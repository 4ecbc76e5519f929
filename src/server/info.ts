/**
 * The bodies of the two read-only endpoints:
 * - `GET /healthz` → `{"status":"ok","engine","queue":{"running","waiting"},"rssBytes","workers":[{"pid","state",
 *   "rssBytes"}]}` — `rssBytes` is the whole service's: this process and its workers;
 * - `GET /v1/model` → classes with their palette colours, head and extractor kinds, the anomaly score, threshold and
 *   heat scale the service uses, the calibration and metrics stored in the model file (metrics null when none), the
 *   engine and the request limits.
 */
import { DATASET_PALETTES } from '../data/palettes.js';
import type { AnomalySettings } from '../infer/anomaly-settings.js';
import type { HeatScale } from '../infer/heatmap.js';
import { paletteFor, type Rgb } from '../infer/palette.js';
import type { ModelFile } from '../model/model-types.js';
import type { ViewsRecord } from '../model/sections.js';
import type { SegModel } from '../model/seg-model.js';
import type { ServeOptions } from './options.js';
import type { WorkerPool, WorkerStats } from './worker-pool.js';
import type { QueueStats, WorkQueue } from './work-queue.js';

/** Body of GET /healthz. */
export interface HealthBody {
  status: 'ok';
  engine: string;
  queue: QueueStats;
  /** Resident set size of the service (this process and its workers), bytes. */
  rssBytes: number;
  /** The segmentation worker processes. */
  workers: WorkerStats[];
}

/** One class of GET /v1/model. */
export interface ModelClass {
  index: number;
  name: string;
  color: Rgb;
}

/** Body of GET /v1/model. */
export interface ModelInfo {
  classes: ModelClass[];
  head: 'gmm' | 'softmax';
  extractor: string;
  /** The test-time views every image is predicted with (the model's stored ones; default one view at scale 1). */
  views: ViewsRecord;
  score: string;
  threshold: number;
  heatScale: HeatScale;
  calibration: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
  engine: string;
  limits: { maxBodyBytes: number; maxImagePixels: number };
}

/** The health report now. */
export function healthBody(engine: string, queue: WorkQueue, pool: WorkerPool): HealthBody {
  const workers = pool.stats();
  const rssBytes = workers.reduce((sum, w) => sum + w.rssBytes, process.memoryUsage.rss());
  return { status: 'ok', engine, queue: queue.stats(), rssBytes, workers };
}

/** The model description (computed once: it never changes while the service runs). */
export function modelInfo(
  model: SegModel,
  file: ModelFile,
  settings: AnomalySettings,
  engine: string,
  options: ServeOptions,
): ModelInfo {
  const palette = paletteFor(model.classes, DATASET_PALETTES);
  return {
    classes: model.classes.map((name, index) => ({ index, name, color: palette[index] as Rgb })),
    head: model.head.kind,
    extractor: model.extractor.kind,
    views: (file.preprocessing['views'] as ViewsRecord | undefined) ?? { scales: [1], flip: false },
    score: settings.score,
    threshold: settings.threshold,
    heatScale: settings.heatScale,
    calibration: file.calibration,
    metrics: Object.keys(file.metrics).length > 0 ? file.metrics : null,
    engine,
    limits: { maxBodyBytes: options.maxBodyBytes, maxImagePixels: options.maxImagePixels },
  };
}
