/**
 * Settings of the HTTP service, validated with zod; units are in the names. Unknown keys are rejected so a typo
 * never silently falls back to a default.
 */
import { z } from 'zod';
import { anomalyOverridesSchema } from '../infer/anomaly-settings.js';
import { parseWith } from '../validation.js';

/** One mebibyte in bytes. */
export const MIB = 1024 * 1024;

/**
 * Default largest image, pixels: peak RSS of a whole-mode prediction (mbv3 + GMM, torch engine, `gmmseg predict`)
 * measured 1 343 MiB at 2000×2000 and 1 926 MiB at 4000×4000, i.e. ≈ 1.12 GiB + 51 B per pixel (the backbone's local
 * prefix in bands, intermediates freed per stage, the allocator's kept memory capped; before: 0.33 GiB + 280 B per
 * pixel, 4.8 GB at 4000×4000), so 16 Mpx (4000×4000) keeps a request under 2 GiB.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 16_000_000;

/** Log levels of Fastify's pino logger ('silent' turns logging off). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().min(0);

/** Schema of {@link ServeOptions}. */
export const serveOptionsSchema = z
  .object({
    /** Largest accepted request body (raw image or whole multipart form), bytes. */
    maxBodyBytes: positiveInt.default(20 * MIB),
    /** Largest accepted image, width × height pixels, checked from the header before decoding. */
    maxImagePixels: positiveInt.default(DEFAULT_MAX_IMAGE_PIXELS),
    /**
     * Segmentation requests allowed to wait (from their arrival: still receiving their body, or in line) besides the
     * `workers` being segmented; one more gets 503 at once.
     */
    queueSize: nonNegativeInt.default(8),
    /** Longest time from receiving a segmentation request to answering it (queue wait included), ms. */
    requestTimeoutMs: positiveInt.default(60_000),
    /** Longest time from a request's arrival until its whole body is received; slower bodies get 408, ms. */
    bodyTimeoutMs: positiveInt.default(20_000),
    /** Worker processes segmenting in parallel (each with its own engine and copy of the model). */
    workers: positiveInt.default(1),
    /**
     * A worker whose resident memory grew by more than this since it started (after a large image) is replaced
     * after its job, so the service's memory returns to its baseline, bytes.
     */
    workerRecycleBytes: positiveInt.default(512 * MIB),
    /** Anomalous connected components smaller than this many pixels are left out of `regions`. */
    minRegionArea: positiveInt.default(1),
    /** At most this many regions (largest first) are listed; `regionsTruncated` says when more exist. */
    maxRegions: nonNegativeInt.default(200),
    /** Anomaly score override (default: the calibrated score, as `gmmseg predict`); the rule of `anomalySettings`. */
    score: anomalyOverridesSchema.shape.score,
    /** Anomaly threshold override, score units (default: the calibrated threshold); finite, as `anomalySettings`. */
    threshold: anomalyOverridesSchema.shape.threshold,
    /** Folder of the web page (default: the package's `src/web`). */
    webRoot: z.string().min(1).optional(),
    /**
     * Origins allowed to call the service from a browser (CORS), e.g. where a `gmmseg web-build` copy is hosted;
     * '*' allows any. Default: none (same origin only).
     */
    corsOrigins: z.array(z.string().min(1)).default([]),
    /** Logger level; logs are JSON lines on stderr. */
    logLevel: z.enum(LOG_LEVELS).default('info'),
  })
  .strict();

/** The service settings, every default filled in. */
export type ServeOptions = z.output<typeof serveOptionsSchema>;

/** What a caller may pass (every key optional). */
export type ServeOptionsInput = z.input<typeof serveOptionsSchema>;

/** The default settings. */
export const DEFAULT_SERVE_OPTIONS: ServeOptions = serveOptionsSchema.parse({});

/**
 * Validates `input` and fills in the defaults.
 *
 * @throws ValueError naming every offending key and what was expected.
 */
export function parseServeOptions(input: unknown = {}): ServeOptions {
  return parseWith(serveOptionsSchema, input, 'invalid serve options');
}

/** Human-readable byte count for error messages (e.g. '20 MiB', '1.5 KiB', '12 bytes'). */
export function formatBytes(bytes: number): string {
  if (bytes >= MIB) return `${trimNumber(bytes / MIB)} MiB`;
  if (bytes >= 1024) return `${trimNumber(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

function trimNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
