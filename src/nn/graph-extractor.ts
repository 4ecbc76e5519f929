/**
 * A user-supplied tfjs model as a frozen backbone: a `tf.GraphModel` (intermediate nodes by name) or a
 * `tf.LayersModel` (layer outputs by name), read at the named output nodes, then the shared trainable light decoder
 * (`light-decoder.ts`: per-map 1×1 → BN → ReLU, upsampling to the finest map, concat, fuse, Dropout2d, projection
 * to `embedDim`). Pure: the caller loads the model (file loading is CLI work) and hands it over; the extractor then
 * owns it (`dispose` frees it).
 *
 * The model must take one NHWC float input and produce NHWC maps. Images (0..255 RGB) are mapped linearly to
 * `inputRange` (default [0, 1]). Channels and strides of the maps are measured once on a zero probe image of size
 * `probeSize` and stored in the config; loading checks that the model still matches. Outputs are listed finest
 * first; the extractor's stride is the first map's.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { FormatError, ValueError } from '../errors.js';
import type { Rng } from '../random.js';
import { assertSizeMultiple, noGrad } from './layers.js';
import { buildLoaded, disposeAll, parseNetConfig, randomBuilder, type ParamBuilder } from './params.js';
import { lightDecoderForward, type LightDecoderConfig } from './light-decoder.js';
import { declareLightDecoder } from './segformer.js';
import type { Extractor, ForwardContext } from './types.js';

/** A loaded frozen backbone. */
export type FrozenModel = tf.GraphModel | tf.LayersModel;

const posInt = z.number().int().positive();

/** Config schema (unknown keys rejected). `mapChannels`/`mapStrides` are measured at creation. */
export const graphConfigSchema = z
  .object({
    outputs: z.array(z.string().min(1)).min(1),
    mapChannels: z.array(posInt).min(1),
    mapStrides: z.array(posInt).min(1),
    embedDim: posInt.default(64),
    channels: posInt.default(128),
    dropout: z.number().min(0).lt(1).default(0.1),
    bnMomentum: z.number().gt(0).max(1).default(0.1),
    inputRange: z.array(z.number()).length(2).default([0, 1]),
    sizeMultiple: posInt.default(32),
    probeSize: posInt.default(64),
  })
  .strict()
  .refine((c) => c.mapChannels.length === c.outputs.length && c.mapStrides.length === c.outputs.length, {
    message: 'outputs, mapChannels and mapStrides must have the same length',
  });

export type GraphExtractorConfig = z.infer<typeof graphConfigSchema>;

/** A runner: normalised images [B, H, W, Cin] → the named maps, in `outputs` order. */
type Runner = (x: tf.Tensor4D) => tf.Tensor[];

function makeRunner(model: FrozenModel, outputs: string[], fn: string): Runner {
  if (model instanceof tf.GraphModel) {
    return (x) => {
      const r = model.execute(x, outputs);
      return Array.isArray(r) ? r : [r];
    };
  }
  let sub: tf.LayersModel;
  try {
    sub = tf.model({
      inputs: model.inputs,
      outputs: outputs.map((n) => model.getLayer(n).output as tf.SymbolicTensor),
    });
  } catch (e) {
    throw new ValueError(
      `${fn}: cannot read layer outputs [${outputs.join(', ')}] from the layers model: ${(e as Error).message}`,
    );
  }
  return (x) => {
    const r = sub.predict(x);
    return Array.isArray(r) ? r : [r];
  };
}

/** images 0..255 [B, H, W, 3] → frozen maps, without gradient. */
function frozenMaps(
  run: Runner,
  c: Pick<GraphExtractorConfig, 'inputRange' | 'outputs'>,
  images: tf.Tensor4D,
  fn: string,
): tf.Tensor4D[] {
  const [lo, hi] = c.inputRange as [number, number];
  const maps = noGrad(() => tf.tidy(() => run(tf.add(tf.mul(images, (hi - lo) / 255), lo))));
  maps.forEach((m, i) => {
    if (m.rank !== 4) {
      tf.dispose(maps);
      throw new ValueError(
        `${fn}: output '${c.outputs[i]}' has shape [${m.shape.join(', ')}], expected an NHWC map [B, h, w, C]`,
      );
    }
  });
  return maps as tf.Tensor4D[];
}

/** Runs the model on a zero probe image; returns the channels and strides of each named map. */
function probe(
  run: Runner,
  outputs: string[],
  inputRange: number[],
  size: number,
  fn: string,
): { mapChannels: number[]; mapStrides: number[] } {
  let maps: tf.Tensor4D[];
  const img = tf.zeros([1, size, size, 3]) as tf.Tensor4D;
  try {
    maps = frozenMaps(run, { outputs, inputRange }, img, fn);
  } catch (e) {
    throw e instanceof ValueError
      ? e
      : new ValueError(`${fn}: running the model to outputs [${outputs.join(', ')}] failed: ${(e as Error).message}`);
  } finally {
    img.dispose();
  }
  const shapes = maps.map((m) => m.shape);
  tf.dispose(maps);
  const mapStrides = shapes.map(([, h, w], i) => {
    const s = size / h;
    if (!Number.isInteger(s) || size / w !== s)
      throw new ValueError(
        `${fn}: output '${outputs[i]}' is ${h}×${w} for a ${size}×${size} probe; not an integer stride (choose probeSize as a multiple of the largest stride)`,
      );
    return s;
  });
  const mapChannels = shapes.map((sh) => sh[3]);
  if (mapStrides.some((s) => s < (mapStrides[0] as number)))
    throw new ValueError(`${fn}: list outputs finest first; strides are [${mapStrides.join(', ')}]`);
  return { mapChannels, mapStrides };
}

function decoderConfig(c: GraphExtractorConfig): LightDecoderConfig {
  return {
    inChannels: c.mapChannels,
    channels: c.channels,
    embedDim: c.embedDim,
    dropout: c.dropout,
    bnMomentum: c.bnMomentum,
  };
}

function assemble(b: ParamBuilder, c: GraphExtractorConfig, model: FrozenModel, run: Runner): Extractor {
  const dec = { config: decoderConfig(c), params: b.params, state: b.state };
  const frozenForward = (images: tf.Tensor4D): tf.Tensor4D[] => {
    assertSizeMultiple(images, c.sizeMultiple, 'graph.frozenForward');
    return frozenMaps(run, c, images, 'graph.frozenForward');
  };
  const forwardFromFrozen = (maps: tf.Tensor4D[], ctx: ForwardContext): tf.Tensor4D =>
    lightDecoderForward(dec, maps, ctx);
  return {
    kind: 'graph',
    config: { ...c },
    embedDim: c.embedDim,
    stride: c.mapStrides[0] as number,
    sizeMultiple: c.sizeMultiple,
    params: b.params,
    state: b.state,
    frozenForward,
    forwardFromFrozen,
    forward: (images, ctx) => {
      const maps = frozenForward(images);
      try {
        return forwardFromFrozen(maps, ctx);
      } finally {
        tf.dispose(maps);
      }
    },
    dispose: () => {
      disposeAll(b.params, b.state);
      model.dispose();
    },
  };
}

/** Options of {@link createGraphExtractor}: the loaded model, the output node names, decoder settings, init rng. */
export type GraphExtractorOptions = Partial<Omit<GraphExtractorConfig, 'mapChannels' | 'mapStrides' | 'outputs'>> & {
  model: FrozenModel;
  outputs: string[];
  rng: Rng;
};

/**
 * A frozen-backbone extractor on a loaded model: maps at `outputs` (finest first) → trainable light decoder.
 * forward: images [B, H, W, 3] 0..255 (multiples of `sizeMultiple`) → feats [B, H/s, W/s, embedDim], s = stride of
 * the first output. The model is owned by the extractor from now on.
 */
export function createGraphExtractor(opts: GraphExtractorOptions): Extractor {
  const fn = 'createGraphExtractor';
  const { model, rng, ...rest } = opts;
  const partial = parseNetConfig(graphConfigSchema, { ...rest, mapChannels: [1], mapStrides: [1], outputs: ['_'] }, fn);
  const run = makeRunner(model, rest.outputs, fn);
  const measured = probe(run, rest.outputs, partial.inputRange, partial.probeSize, fn);
  const c = parseNetConfig(graphConfigSchema, { ...partial, outputs: rest.outputs, ...measured }, fn);
  const b = randomBuilder(rng);
  declareLightDecoder(b, decoderConfig(c));
  return assemble(b, c, model, run);
}

/**
 * Rebuilds an extractor from its config, the saved decoder tensors and the (re)loaded model. FormatError when the model
 * no longer yields the stored channels/strides or the tensors do not fit the config.
 */
export function loadGraphExtractor(
  config: Record<string, unknown>,
  tensors: Record<string, tf.Tensor>,
  model: FrozenModel,
): Extractor {
  const fn = 'loadGraphExtractor';
  const c = parseNetConfig(graphConfigSchema, config, fn);
  const run = makeRunner(model, c.outputs, fn);
  const m = probe(run, c.outputs, c.inputRange, c.probeSize, fn);
  if (m.mapChannels.join(',') !== c.mapChannels.join(',') || m.mapStrides.join(',') !== c.mapStrides.join(',')) {
    throw new FormatError(
      `${fn}: the model's outputs have channels [${m.mapChannels.join(', ')}] and strides [${m.mapStrides.join(', ')}], ` +
        `the saved extractor expects [${c.mapChannels.join(', ')}] and [${c.mapStrides.join(', ')}]`,
    );
  }
  return assemble(
    buildLoaded(tensors, fn, (b) => declareLightDecoder(b, decoderConfig(c))),
    c,
    model,
    run,
  );
}
