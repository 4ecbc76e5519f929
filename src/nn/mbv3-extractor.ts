/**
 * The 'mbv3' extractor: the frozen COCO MobileNetV3 backbone of `@vladmandic/human` ({@link ./mbv3-backbone.ts})
 * composed with the trainable light decoder ({@link ./light-decoder.ts}); output stride 8 (4 with an s4 map first),
 * inputs multiples of 32.
 *
 *   frozenForward(images)        = backbone maps (s8 [, s16], s32), computed with the gradient tape paused
 *   forwardFromFrozen(maps, ctx) = decoder
 *   forward(images, ctx)         = forwardFromFrozen(frozenForward(images), ctx)
 *
 * Saved form: `config` (JSON-able) + the named tensors of `params` and `state`; {@link loadMbv3Extractor} rebuilds it.
 *
 * With `backboneMode: 'trainable'` the backbone is the project's own layers ({@link ./mbv3-trainable.ts}): its
 * `backbone.*` variables join `params` (trained and saved with the decoder), `forward` runs it inside the gradient tape,
 * and there is no `frozenForward`. The key is stored only for trainable models (frozen configs are unchanged). Only the
 * trainable backbone offers the stride-4 map `s4` (scales ['s4', 's8', 's32']: decoder and head at stride 4, for thin
 * classes; the frozen graph's large-image row bands start past it).
 */
import * as tf from '@tensorflow/tfjs';
import { FormatError, ValueError } from '../errors.js';
import type { Rng } from '../random.js';
import { CONTEXT_DILATIONS } from './decoder-context.js';
import {
  createLightDecoder,
  decoderTensorShapes,
  DEFAULT_DECODER,
  disposeLightDecoder,
  lightDecoderForward,
  validateDecoderConfig,
  type LightDecoder,
  type LightDecoderConfig,
} from './light-decoder.js';
import {
  checkScales,
  disposeMbv3Backbone,
  loadMbv3Backbone,
  MBV3_NODES,
  MBV3_SIZE_MULTIPLE,
  mbv3FrozenMaps,
  readMbv3Artifacts,
  type Mbv3Artifacts,
  type Mbv3Backbone,
  type Mbv3Scale,
} from './mbv3-backbone.js';
import { MBV2_BACKBONE_ID, MBV2_SPEC, readMbv2Artifacts } from './mbv2-backbone.js';
import {
  createMbv3Trainable,
  disposeMbv3Trainable,
  loadMbv3Trainable,
  MBV3_PARAM_PREFIX,
  MBV3_SPEC,
  mbv3TrainableScales,
  type GraphBackboneSpec,
  type Mbv3Trainable,
} from './mbv3-trainable.js';
import type { ConfigValue, Extractor, ForwardContext, Params } from './types.js';

export const MBV3_KIND = 'mbv3';
/** The same extractor over the ImageNet MobileNetV2 ({@link ./mbv2-backbone.ts}; trainable backbone only). */
export const MBV2_KIND = 'mbv2';
/** Identifies the frozen weights the decoder was trained on. */
export const MBV3_BACKBONE_ID = '@vladmandic/human@3.3.6/models/centernet';

/** The pretrained graphs this extractor runs, by the id stored in model files. */
const BACKBONES: Record<
  string,
  { kind: string; spec: GraphBackboneSpec; read: (dir?: string) => Promise<Mbv3Artifacts>; frozen: boolean }
> = {
  [MBV3_BACKBONE_ID]: { kind: MBV3_KIND, spec: MBV3_SPEC, read: readMbv3Artifacts, frozen: true },
  [MBV2_BACKBONE_ID]: { kind: MBV2_KIND, spec: MBV2_SPEC, read: readMbv2Artifacts, frozen: false },
};

function backboneOf(id: string): (typeof BACKBONES)[string] {
  return BACKBONES[id] as (typeof BACKBONES)[string];
}
/** 'frozen': the GraphModel, maps cached by training; 'trainable': the project's own layers, fine-tuned. */
export type Mbv3BackboneMode = 'frozen' | 'trainable';

/** Options of {@link createMbv3Extractor}. */
export interface Mbv3ExtractorOptions {
  /** D (default 64). */
  embedDim?: number;
  /** Decoder width (default 128). */
  channels?: number;
  /** Initialises the decoder parameters. */
  rng: Rng;
  /** Folder with the backbone's files (default: the installed package: @vladmandic/human or nsfwjs). */
  modelDir?: string;
  /** Which pretrained graph (default {@link MBV3_BACKBONE_ID}; {@link MBV2_BACKBONE_ID} needs 'trainable'). */
  backbone?: string;
  /**
   * Backbone maps fed to the decoder, finest first (default ['s8', 's32']; ['s8', 's16', 's32'] adds stride 16;
   * ['s4', 's8', 's32'] runs the decoder at stride 4, trainable backbone only).
   */
  scales?: Mbv3Scale[];
  /** Dropout2d probability (default 0.1). */
  dropout?: number;
  /** Default 'frozen'. */
  backboneMode?: Mbv3BackboneMode;
  /** End of the decoder's projection block: 'relu' (reference, default) or 'none' (linear embedding). */
  projectionActivation?: 'relu' | 'none';
  /** 'light' (reference shape, every conv 1×1; default) or 'context' (adds 3×3 context blocks after the fusion). */
  decoder?: Mbv3Decoder;
}

/** The decoder shapes: 'light' (the reference's 1×1 convs) or 'context' ({@link ./decoder-context.ts}). */
export type Mbv3Decoder = 'light' | 'context';

/** The flat config stored with a model. */
export interface Mbv3Config {
  backbone: string;
  scales: Mbv3Scale[];
  channels: number;
  embedDim: number;
  dropout: number;
  bnMomentum: number;
  /** Present (and 'trainable') only for a trainable backbone. */
  backboneMode?: 'trainable';
  /** Present (and 'none') only for a linear projection (older files and the reference: ReLU). */
  projectionActivation?: 'none';
  /** Present (and 'context') only for the context decoder (older files and the default: light). */
  decoder?: 'context';
}

/** Creates a new extractor with freshly initialised decoder parameters. */
export async function createMbv3Extractor(opts: Mbv3ExtractorOptions): Promise<Extractor> {
  const scales = opts.scales ?? ['s8', 's32'];
  checkScales(scales, 'createMbv3Extractor');
  const id = opts.backbone ?? MBV3_BACKBONE_ID;
  if (!Object.hasOwn(BACKBONES, id))
    throw new ValueError(`createMbv3Extractor: unknown backbone '${id}'; valid: ${Object.keys(BACKBONES).join(', ')}`);
  if (!backboneOf(id).frozen && opts.backboneMode !== 'trainable')
    throw new ValueError(`createMbv3Extractor: backbone '${id}' is available only with backboneMode 'trainable'`);
  if (scales[0] === 's4' && opts.backboneMode !== 'trainable')
    throw new ValueError(`createMbv3Extractor: scale 's4' is available only with backboneMode 'trainable'`);
  const config: Mbv3Config = {
    backbone: id,
    scales: [...scales],
    channels: opts.channels ?? DEFAULT_DECODER.channels,
    embedDim: opts.embedDim ?? DEFAULT_DECODER.embedDim,
    dropout: opts.dropout ?? DEFAULT_DECODER.dropout,
    bnMomentum: DEFAULT_DECODER.bnMomentum,
    ...(opts.backboneMode === 'trainable' ? { backboneMode: 'trainable' as const } : {}),
    ...(opts.projectionActivation === 'none' ? { projectionActivation: 'none' as const } : {}),
    ...(opts.decoder === 'context' ? { decoder: 'context' as const } : {}),
  };
  const decCfg = decoderConfig(config);
  validateDecoderConfig(decCfg, 'createMbv3Extractor');
  if (config.backboneMode === 'trainable') {
    const bb = backboneOf(id);
    const tb = createMbv3Trainable(await bb.read(opts.modelDir), bb.spec);
    return composeTrainable(config, tb, createLightDecoder(decCfg, opts.rng));
  }
  const backbone = await loadMbv3Backbone({
    scales,
    ...(opts.modelDir !== undefined ? { modelDir: opts.modelDir } : {}),
  });
  return composeMbv3(config, backbone, createLightDecoder(decCfg, opts.rng));
}

/**
 * Rebuilds an extractor from its saved config and named tensors (params and state, e.g. read from a model file).
 * The tensors are copied; the caller keeps ownership of `tensors`. Throws FormatError on a missing, extra or
 * mis-shaped tensor, or a config for other backbone weights.
 */
export async function loadMbv3Extractor(
  config: Record<string, ConfigValue>,
  tensors: Record<string, tf.Tensor>,
  opts: { modelDir?: string } = {},
): Promise<Extractor> {
  const fn = 'loadMbv3Extractor';
  const cfg = parseMbv3Config(config, fn);
  const decCfg = decoderConfig(cfg);
  const shapes = decoderTensorShapes(decCfg);
  const isBackbone = (n: string): boolean => cfg.backboneMode === 'trainable' && n.startsWith(MBV3_PARAM_PREFIX);
  for (const [name, shape] of Object.entries(shapes)) {
    const t = tensors[name];
    if (t === undefined) throw new FormatError(`${fn}: tensor '${name}' is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new FormatError(
        `${fn}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] for config channels=${cfg.channels} embedDim=${cfg.embedDim}`,
      );
    }
  }
  const extra = Object.keys(tensors).filter((n) => shapes[n] === undefined && !isBackbone(n));
  if (extra.length > 0) throw new FormatError(`${fn}: unexpected tensors for an mbv3 extractor: ${extra.join(', ')}`);
  const params: Params = {};
  const state: Record<string, tf.Variable> = {};
  for (const name of Object.keys(shapes)) {
    const isState = name.endsWith('.running_mean') || name.endsWith('.running_var');
    const init = tf.cast(tensors[name] as tf.Tensor, 'float32');
    const v = tf.variable(init, !isState);
    init.dispose();
    if (isState) state[name] = v;
    else params[name] = v;
  }
  if (cfg.backboneMode === 'trainable') {
    const saved = Object.fromEntries(Object.entries(tensors).filter(([n]) => isBackbone(n)));
    const bb = backboneOf(cfg.backbone);
    const tb = loadMbv3Trainable(await bb.read(opts.modelDir), saved, bb.spec);
    return composeTrainable(cfg, tb, { config: decCfg, params, state });
  }
  const backbone = await loadMbv3Backbone({
    scales: cfg.scales,
    ...(opts.modelDir !== undefined ? { modelDir: opts.modelDir } : {}),
  });
  return composeMbv3(cfg, backbone, { config: decCfg, params, state });
}

function decoderConfig(c: Mbv3Config): LightDecoderConfig {
  const act = c.projectionActivation === 'none' ? { projectionActivation: 'none' as const } : {};
  return {
    inChannels: c.scales.map((s) => backboneOf(c.backbone).spec.nodes[s].channels),
    channels: c.channels,
    embedDim: c.embedDim,
    dropout: c.dropout,
    bnMomentum: c.bnMomentum,
    ...act,
    ...(c.decoder === 'context' ? { contextDilations: [...CONTEXT_DILATIONS] } : {}),
  };
}

/** Validates a stored config (unknown keys are errors). */
export function parseMbv3Config(config: Record<string, ConfigValue>, fn: string): Mbv3Config {
  const keys = [
    'backbone',
    'scales',
    'channels',
    'embedDim',
    'dropout',
    'bnMomentum',
    'backboneMode',
    'projectionActivation',
    'decoder',
  ];
  const unknown = Object.keys(config).filter((k) => !keys.includes(k));
  if (unknown.length > 0) throw new FormatError(`${fn}: unknown mbv3 config keys: ${unknown.join(', ')}`);
  const num = (k: string): number => {
    const v = config[k];
    if (typeof v !== 'number') throw new FormatError(`${fn}: config '${k}' must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const id = config.backbone;
  if (typeof id !== 'string' || !Object.hasOwn(BACKBONES, id))
    throw new FormatError(
      `${fn}: model was built on backbone '${String(id)}', this build provides ${Object.keys(BACKBONES)
        .map((k) => `'${k}'`)
        .join(', ')}`,
    );
  const scales = config.scales;
  if (!Array.isArray(scales) || scales.some((s) => typeof s !== 'string'))
    throw new FormatError(`${fn}: config 'scales' must be a list of names`);
  try {
    checkScales(scales as string[], fn);
  } catch (err) {
    throw new FormatError((err as ValueError).message);
  }
  const mode = config.backboneMode ?? 'frozen';
  if (mode !== 'frozen' && mode !== 'trainable')
    throw new FormatError(`${fn}: config 'backboneMode' must be 'frozen' or 'trainable', got ${JSON.stringify(mode)}`);
  if (mode === 'frozen' && !backboneOf(id).frozen)
    throw new FormatError(`${fn}: backbone '${id}' needs config 'backboneMode' 'trainable'`);
  if (mode === 'frozen' && scales[0] === 's4')
    throw new FormatError(`${fn}: scale 's4' needs config 'backboneMode' 'trainable'`);
  const act = config.projectionActivation ?? 'relu';
  if (act !== 'relu' && act !== 'none')
    throw new FormatError(`${fn}: config 'projectionActivation' must be 'relu' or 'none', got ${JSON.stringify(act)}`);
  const decoder = config.decoder ?? 'light';
  if (decoder !== 'light' && decoder !== 'context')
    throw new FormatError(`${fn}: config 'decoder' must be 'light' or 'context', got ${JSON.stringify(decoder)}`);
  const cfg: Mbv3Config = {
    backbone: id,
    scales: [...(scales as Mbv3Scale[])],
    channels: num('channels'),
    embedDim: num('embedDim'),
    dropout: num('dropout'),
    bnMomentum: num('bnMomentum'),
    ...(mode === 'trainable' ? { backboneMode: mode } : {}),
    ...(act === 'none' ? { projectionActivation: act } : {}),
    ...(decoder === 'context' ? { decoder } : {}),
  };
  try {
    validateDecoderConfig(decoderConfig(cfg), fn);
  } catch (err) {
    throw new FormatError((err as ValueError).message);
  }
  return cfg;
}

/** What every mbv3 extractor shares: kind, stored config, geometry, its params and BN state. */
function mbv3Shell(config: Mbv3Config, params: Extractor['params'], state: Extractor['state']) {
  const shell = {
    kind: backboneOf(config.backbone).kind,
    config: { ...config, scales: [...config.scales] },
    embedDim: config.embedDim,
  };
  return {
    ...shell,
    stride: MBV3_NODES[config.scales[0] as Mbv3Scale].stride,
    sizeMultiple: MBV3_SIZE_MULTIPLE,
    params,
    state,
  };
}

function composeMbv3(config: Mbv3Config, backbone: Mbv3Backbone, decoder: LightDecoder): Extractor {
  const frozenForward = (images: tf.Tensor4D): tf.Tensor4D[] => mbv3FrozenMaps(backbone, images);
  const forwardFromFrozen = (maps: tf.Tensor4D[], ctx: ForwardContext): tf.Tensor4D =>
    lightDecoderForward(decoder, maps, ctx);
  return {
    ...mbv3Shell(config, decoder.params, decoder.state),
    frozenForward,
    forwardFromFrozen,
    forward(images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
      const maps = frozenForward(images);
      try {
        return forwardFromFrozen(maps, ctx);
      } finally {
        maps.forEach((m) => m.dispose());
      }
    },
    dispose(): void {
      disposeLightDecoder(decoder);
      disposeMbv3Backbone(backbone);
    },
  };
}

/** The extractor over a trainable backbone: params = backbone.* + decoder; no frozen front. */
function composeTrainable(config: Mbv3Config, tb: Mbv3Trainable, decoder: LightDecoder): Extractor {
  return {
    ...mbv3Shell(config, { ...tb.params, ...decoder.params }, decoder.state),
    forward(images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
      return tf.tidy(() => {
        return lightDecoderForward(decoder, mbv3TrainableScales(tb, images, config.scales), ctx);
      });
    },
    dispose(): void {
      disposeLightDecoder(decoder);
      disposeMbv3Trainable(tb);
    },
  };
}
