/**
 * The typed JSON sections of a segmentation model file, validated on decode:
 *
 * - `config`: `{ head: {kind, config}, extractor: {kind, config}, train? }` — the head's full config (GMM or softmax),
 *   the extractor family and its stored config, and the training config the model was trained with (opaque here:
 *   `train/` owns its schema and checks it when a run resumes).
 * - `calibration`: the anomaly score, the threshold at the target inlier TPR and the inliers' median score
 *   (absent = `{}`).
 * - `preprocessing`: what the network expects as input (absent = `{}`).
 *
 * Files written before the nested layout kept one flat `config` (`headKind`, `extractorKind`, the head's keys,
 * `extractor.<key>`, `train.<key>`); {@link parseModelConfig} accepts that layout and converts it.
 */
import { z } from 'zod';
import { FormatError, ValueError } from '../errors.js';
import { gmmConfigSchema, type GmmConfig } from '../gmm/config.js';
import { softmaxHeadConfigSchema, type SoftmaxHeadConfig } from '../nn/softmax-head.js';
import type { ConfigValue } from '../nn/types.js';
import { parseWith } from '../validation.js';

const configValue: z.ZodType<ConfigValue> = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.array(z.number()),
  z.array(z.string()),
]);

/** The anomaly scores a calibration can be for (the names of `infer/predict.ts`). */
export const CALIBRATION_SCORES = ['gmm', 'msp', 'maxLogit', 'energy'] as const;

/** Calibration record: threshold of `score` at `targetTpr` of the inlier pixels of `dataset`. */
export const calibrationSchema = z
  .object({
    score: z.enum(CALIBRATION_SCORES),
    threshold: z.number(),
    inlierMedian: z.number(),
    targetTpr: z.number().gt(0).max(1),
    dataset: z.string().optional(),
    /** Written by older demo files only (it follows from threshold and inlierMedian). */
    heatScale: z.object({ min: z.number(), max: z.number() }).strict().optional(),
  })
  .strict();
export type CalibrationRecord = z.infer<typeof calibrationSchema>;

/**
 * The test-time views a model is predicted with by default: input scales whose outputs are averaged, and whether the
 * mirrored views are averaged in (infer/multi-view.ts). Absent = one view at scale 1.
 */
export const viewsSchema = z.object({ scales: z.array(z.number().gt(0).max(4)).min(1), flip: z.boolean() }).strict();
export type ViewsRecord = z.infer<typeof viewsSchema>;

/** True for the default: one unflipped view at scale 1 (nothing to store, nothing to average). */
export function isSingleView(v: { scales: readonly number[]; flip: boolean }): boolean {
  return !v.flip && v.scales.length === 1 && v.scales[0] === 1;
}

/** Preprocessing record: input encoding, the size constraints of the extractor, the default test-time views. */
export const preprocessingSchema = z
  .object({
    input: z.string(),
    sizeMultiple: z.number().int().positive(),
    stride: z.number().int().positive().optional(),
    views: viewsSchema.optional(),
  })
  .strict();
export type PreprocessingRecord = z.infer<typeof preprocessingSchema>;

/** The input encoding every extractor takes. */
export const INPUT_ENCODING = 'RGB uint8 0..255, NHWC';

/** Head part of the config. */
export type HeadSection = { kind: 'gmm'; config: GmmConfig } | { kind: 'softmax'; config: SoftmaxHeadConfig };

/** The nested model config. */
export const modelConfigSchema = z
  .object({
    head: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('gmm'), config: gmmConfigSchema }).strict(),
      z.object({ kind: z.literal('softmax'), config: softmaxHeadConfigSchema }).strict(),
    ]),
    extractor: z.object({ kind: z.string().min(1), config: z.record(configValue) }).strict(),
    train: z.record(z.unknown()).optional(),
  })
  .strict();
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/** All typed sections of a file. */
export interface ModelSections {
  config: ModelConfig;
  calibration?: CalibrationRecord;
  preprocessing?: PreprocessingRecord;
}

/** Validated config from the stored one, converting the flat layout of older files. Throws FormatError. */
export function parseModelConfig(raw: Record<string, unknown>): ModelConfig {
  const nested = 'headKind' in raw ? fromFlatLayout(raw) : raw;
  return decodeWith(modelConfigSchema, nested, 'model config');
}

/** Calibration record, or undefined for an empty section. Throws FormatError. */
export function parseCalibration(raw: Record<string, unknown>): CalibrationRecord | undefined {
  return Object.keys(raw).length === 0 ? undefined : decodeWith(calibrationSchema, raw, 'model calibration');
}

/** Preprocessing record, or undefined for an empty section. Throws FormatError. */
export function parsePreprocessing(raw: Record<string, unknown>): PreprocessingRecord | undefined {
  return Object.keys(raw).length === 0 ? undefined : decodeWith(preprocessingSchema, raw, 'model preprocessing');
}

/** The older flat layout → the nested one (no validation; the schema follows). */
export function fromFlatLayout(flat: Record<string, unknown>): Record<string, unknown> {
  const head: Record<string, unknown> = {};
  const extractor: Record<string, unknown> = {};
  const train: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) {
    if (k === 'headKind' || k === 'extractorKind') continue;
    if (k.startsWith('extractor.')) extractor[k.slice('extractor.'.length)] = v;
    else if (k.startsWith('train.')) train[k.slice('train.'.length)] = v;
    else head[k] = v;
  }
  // the demo once stored its GMM overrides beside the training config; they are part of the head config already
  delete train['gmm'];
  const out: Record<string, unknown> = {
    head: { kind: flat['headKind'], config: head },
    extractor: { kind: flat['extractorKind'], config: extractor },
  };
  if (Object.keys(train).length > 0) out['train'] = train;
  return out;
}

function decodeWith<S extends z.ZodTypeAny>(schema: S, raw: unknown, what: string): z.infer<S> {
  try {
    return parseWith(schema, raw, `invalid ${what}`);
  } catch (e) {
    throw e instanceof ValueError ? new FormatError(e.message) : e;
  }
}
