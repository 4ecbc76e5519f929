/**
 * The extractor families: one entry per kind with its settings schema, their defaults, a factory for fresh networks
 * and a loader for saved ones. The CLI generates `gmmseg train` flags from `defaults` and builds new models through
 * `create`; the model loader rebuilds saved extractors through `load`. Adding a family means adding one entry here.
 *
 * `configSchema` covers the settings a user may choose when creating a network (every key has a default); the config
 * stored in a model file may hold more (e.g. mbv3's backbone id), which `load` validates itself.
 */
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ValueError } from '../errors.js';
import type { Rng } from '../random.js';
import { parseWith } from '../validation.js';
import { createDeeplabExtractor, deeplabConfigSchema, loadDeeplabExtractor } from './deeplab.js';
import { DEFAULT_DECODER } from './light-decoder.js';
import { checkScales, MBV3_SCALES } from './mbv3-backbone.js';
import { MBV2_BACKBONE_ID } from './mbv2-backbone.js';
import { createMbv3Extractor, loadMbv3Extractor, MBV2_KIND, MBV3_KIND } from './mbv3-extractor.js';
import { createSegformerExtractor, loadSegformerExtractor, segformerConfigSchema } from './segformer.js';
import type { ConfigValue, Extractor } from './types.js';
import { createUnetExtractor, loadUnetExtractor, unetConfigSchema } from './unet.js';

/** Settings of an extractor (JSON-able, flat). */
export type ExtractorSettings = Record<string, ConfigValue>;

/** Rebuilds an extractor of one kind from its stored config and tensors (params and state, without prefixes). */
export type ExtractorLoader = (
  config: Record<string, ConfigValue>,
  tensors: Record<string, tf.Tensor>,
) => Promise<Extractor>;

/** One extractor family. */
export interface ExtractorFamily {
  /** The name stored in model files and given to `--extractor`. */
  kind: string;
  /** Settings chosen at creation (strict; every key has a default). */
  configSchema: z.ZodType<ExtractorSettings, z.ZodTypeDef, unknown>;
  /** `configSchema`'s defaults. */
  defaults: ExtractorSettings;
  /** A freshly initialised network (parameters drawn from `rng`). */
  create(config: ExtractorSettings, rng: Rng): Promise<Extractor>;
  /** A saved network; FormatError on a bad config or tensor. */
  load: ExtractorLoader;
}

const posInt = z.number().int().positive();

/** mbv3's creation settings (the stored config adds the backbone id and the decoder's BN momentum). */
export const mbv3SettingsSchema = z
  .object({
    embedDim: posInt.default(DEFAULT_DECODER.embedDim),
    channels: posInt.default(DEFAULT_DECODER.channels),
    dropout: z.number().min(0).lt(1).default(DEFAULT_DECODER.dropout),
    /** Backbone maps, finest first, starting at 's8' or 's4' (checked as the extractor checks them). */
    scales: z
      .array(z.enum(MBV3_SCALES))
      .min(1)
      .superRefine((v, ctx) => {
        try {
          checkScales(v, 'scales');
        } catch (e) {
          const why = (e as Error).message.replace(/^scales: scales /, ''); // the issue already names the key
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: why });
        }
      })
      .default(['s8', 's32']),
    /** 'frozen' (the COCO GraphModel, maps cacheable) or 'trainable' (own layers, fine-tuned at the base lr). */
    backboneMode: z.enum(['frozen', 'trainable']).default('frozen'),
    /** End of the decoder's projection: 'relu' (reference) or 'none' (linear embedding). */
    projectionActivation: z.enum(['relu', 'none']).default('relu'),
    /** 'light' (reference shape: 1×1 convs) or 'context' (3×3 context blocks after the fusion). */
    decoder: z.enum(['light', 'context']).default('light'),
  })
  .strict();

/** mbv2's creation settings: mbv3's without `backboneMode` (the MobileNetV2 is always fine-tuned, own layers). */
export const mbv2SettingsSchema = mbv3SettingsSchema.omit({ backboneMode: true }).strict();

function family(
  kind: string,
  schema: z.ZodType<ExtractorSettings, z.ZodTypeDef, unknown>,
  create: (config: ExtractorSettings, rng: Rng) => Promise<Extractor>,
  load: ExtractorLoader,
): ExtractorFamily {
  return { kind, configSchema: schema, defaults: schema.parse({}), create, load };
}

/** Every family this build knows, by kind. */
export const EXTRACTOR_FAMILIES: Readonly<Record<string, ExtractorFamily>> = Object.fromEntries(
  [
    family(
      MBV3_KIND,
      mbv3SettingsSchema,
      (c, rng) => createMbv3Extractor({ ...(c as z.infer<typeof mbv3SettingsSchema>), rng }),
      (config, tensors) => loadMbv3Extractor(config, tensors),
    ),
    family(
      MBV2_KIND,
      mbv2SettingsSchema,
      (c, rng) =>
        createMbv3Extractor({
          ...(c as z.infer<typeof mbv2SettingsSchema>),
          rng,
          backbone: MBV2_BACKBONE_ID,
          backboneMode: 'trainable',
        }),
      (config, tensors) => loadMbv3Extractor(config, tensors),
    ),
    family(
      'deeplab',
      deeplabConfigSchema,
      async (c, rng) => createDeeplabExtractor({ ...c, rng }),
      async (config, tensors) => loadDeeplabExtractor(config, tensors),
    ),
    family(
      'segformer',
      segformerConfigSchema,
      async (c, rng) => createSegformerExtractor({ ...c, rng }),
      async (config, tensors) => loadSegformerExtractor(config, tensors),
    ),
    family(
      'unet',
      unetConfigSchema,
      async (c, rng) => createUnetExtractor({ ...c, rng }),
      async (config, tensors) => loadUnetExtractor(config, tensors),
    ),
  ].map((f) => [f.kind, f]),
);

/** The family of `kind`; a ValueError lists the known ones. */
export function extractorFamily(kind: string): ExtractorFamily {
  const f = Object.hasOwn(EXTRACTOR_FAMILIES, kind) ? EXTRACTOR_FAMILIES[kind] : undefined;
  if (!f) throw new ValueError(`unknown extractor '${kind}'; valid: ${Object.keys(EXTRACTOR_FAMILIES).join(', ')}`);
  return f;
}

/** `overrides` on the family's defaults, validated (unknown keys and bad values name the key). */
export function extractorSettings(kind: string, overrides: Record<string, unknown> = {}): ExtractorSettings {
  const f = extractorFamily(kind);
  return parseWith(f.configSchema, { ...f.defaults, ...overrides }, `invalid ${kind} extractor config`);
}

/** A fresh extractor of `kind` with `overrides` on its defaults. */
export async function createExtractor(kind: string, overrides: Record<string, unknown>, rng: Rng): Promise<Extractor> {
  return extractorFamily(kind).create(extractorSettings(kind, overrides), rng);
}
