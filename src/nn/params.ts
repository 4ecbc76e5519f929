/**
 * Named network parameters: how they are declared (`add*`), initialised from an `Rng` (He normal, truncated normal,
 * constants) or taken from saved tensors (with a FormatError on a missing, extra or mis-shaped tensor), and the strict
 * config check shared by every network. Forward functions live in `layers.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import { FormatError, ValueError } from '../errors.js';
import { parseWith } from '../validation.js';
import { normal, type Rng } from '../random.js';
import { sizeOf } from '../shape.js';
import type { ConfigValue, Extractor, ForwardContext, Params } from './types.js';

/** How a fresh parameter is initialised. */
export type InitSpec = { kind: 'he'; fan: number } | { kind: 'trunc'; std: number } | { kind: 'const'; value: number };

/** Collects named parameters and state; `param`/`stateVar` return the created variable. */
export interface ParamBuilder {
  params: Params;
  state: Record<string, tf.Tensor>;
  param(name: string, shape: number[], init: InitSpec): tf.Variable;
  stateVar(name: string, shape: number[], value: number): tf.Variable;
}

/** Normal draws with std sqrt(2 / fan) (He / Kaiming normal). */
export function heNormal(rng: Rng, shape: number[], fan: number): tf.Tensor {
  const std = Math.sqrt(2 / fan);
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = normal(rng) * std;
  return tf.tensor(v, shape, 'float32');
}

/** Normal draws with std `std`, redrawn outside ±2 std (timm/PyTorch `trunc_normal_`). */
export function truncNormal(rng: Rng, shape: number[], std: number): tf.Tensor {
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) {
    let z = normal(rng);
    while (Math.abs(z) > 2) z = normal(rng);
    v[i] = z * std;
  }
  return tf.tensor(v, shape, 'float32');
}

function initTensor(rng: Rng, shape: number[], init: InitSpec): tf.Tensor {
  if (init.kind === 'he') return heNormal(rng, shape, init.fan);
  if (init.kind === 'trunc') return truncNormal(rng, shape, init.std);
  return tf.fill(shape, init.value);
}

function toVariable(t: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

/** A builder that initialises every parameter from `rng` (draws in creation order, so the seed fixes the network). */
export function randomBuilder(rng: Rng): ParamBuilder {
  const b: ParamBuilder = {
    params: {},
    state: {},
    param(name, shape, init) {
      if (b.params[name]) throw new ValueError(`randomBuilder: parameter '${name}' created twice`);
      return (b.params[name] = toVariable(initTensor(rng, shape, init), true));
    },
    stateVar(name, shape, value) {
      return (b.state[name] = toVariable(tf.fill(shape, value), false));
    },
  };
  return b;
}

/**
 * A builder that takes every parameter and state tensor from `tensors` (copied into new variables), checking names and
 * shapes; call `finishLoaded` after building to reject unused tensors.
 */
export function loadedBuilder(tensors: Record<string, tf.Tensor>, fnName: string): ParamBuilder {
  const take = (name: string, shape: number[], trainable: boolean): tf.Variable => {
    const t = tensors[name];
    if (!t) throw new FormatError(`${fnName}: tensor '${name}' is missing from the saved weights`);
    if (t.shape.join(',') !== shape.join(',')) {
      throw new FormatError(
        `${fnName}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] for this config`,
      );
    }
    return tf.variable(t.toFloat(), trainable);
  };
  const b: ParamBuilder = {
    params: {},
    state: {},
    param: (name, shape) => (b.params[name] = take(name, shape, true)),
    stateVar: (name, shape) => (b.state[name] = take(name, shape, false)),
  };
  return b;
}

/** Throws a FormatError if `tensors` holds names the built network does not use (another architecture's weights). */
export function finishLoaded(b: ParamBuilder, tensors: Record<string, tf.Tensor>, fnName: string): void {
  const extra = Object.keys(tensors).filter((k) => !(k in b.params) && !(k in b.state));
  if (extra.length > 0) {
    disposeAll(b.params, b.state);
    throw new FormatError(
      `${fnName}: saved weights hold ${extra.length} tensors this config does not use, e.g. '${extra[0]}'`,
    );
  }
}

/**
 * Builds a network's parameters from saved tensors: `build` declares them on a loaded builder, then unused tensors are
 * rejected. On any FormatError the variables created so far are freed.
 */
export function buildLoaded(
  tensors: Record<string, tf.Tensor>,
  fnName: string,
  build: (b: ParamBuilder) => void,
): ParamBuilder {
  const b = loadedBuilder(tensors, fnName);
  try {
    build(b);
  } catch (e) {
    disposeAll(b.params, b.state);
    throw e;
  }
  finishLoaded(b, tensors, fnName);
  return b;
}

/** Disposes every tensor of the given records. */
export function disposeAll(...records: Record<string, tf.Tensor>[]): void {
  for (const r of records) for (const t of Object.values(r)) t.dispose();
}

/** Non-trainable variables saved with a network (batch-norm running statistics). */
export type LayerState = Record<string, tf.Tensor>;

/**
 * Creates conv params directly in `params` (for code that does not use a ParamBuilder): `${name}.weight`
 * [kh, kw, cin, cout], He normal with fan-out kh·kw·cout drawn from `rng`, and optional zero bias [cout].
 */
export function createConv2d(
  params: Params,
  name: string,
  rng: Rng,
  kh: number,
  kw: number,
  cin: number,
  cout: number,
  bias = false,
): void {
  params[`${name}.weight`] = toVariable(heNormal(rng, [kh, kw, cin, cout], kh * kw * cout), true);
  if (bias) params[`${name}.bias`] = toVariable(tf.zeros([cout]), true);
}

/** Creates batch-norm params (γ = 1, β = 0) in `params` and running statistics (mean 0, var 1) in `state`. */
export function createBatchNorm(params: Params, state: Record<string, tf.Tensor>, name: string, c: number): void {
  params[`${name}.weight`] = toVariable(tf.ones([c]), true);
  params[`${name}.bias`] = toVariable(tf.zeros([c]), true);
  state[`${name}.running_mean`] = toVariable(tf.zeros([c]), false);
  state[`${name}.running_var`] = toVariable(tf.ones([c]), false);
}

/** Adds a conv `${name}.weight` [k, k, cin, cout] (He normal, fan-out as PyTorch's mmseg init) and optional bias [cout]. */
export function addConv(b: ParamBuilder, name: string, k: number, cin: number, cout: number, bias = false): void {
  b.param(`${name}.weight`, [k, k, cin, cout], { kind: 'he', fan: k * k * cout });
  if (bias) b.param(`${name}.bias`, [cout], { kind: 'const', value: 0 });
}

/** Adds a depthwise conv `${name}.weight` [k, k, c, 1] (He normal, fan-out k²) and optional bias [c]. */
export function addDepthwise(b: ParamBuilder, name: string, k: number, c: number, bias = true): void {
  b.param(`${name}.weight`, [k, k, c, 1], { kind: 'he', fan: k * k });
  if (bias) b.param(`${name}.bias`, [c], { kind: 'const', value: 0 });
}

/** Adds a linear `${name}.weight` [cin, cout] (trunc-normal std 0.02) and bias [cout] (zeros). */
export function addLinear(b: ParamBuilder, name: string, cin: number, cout: number, bias = true): void {
  b.param(`${name}.weight`, [cin, cout], { kind: 'trunc', std: 0.02 });
  if (bias) b.param(`${name}.bias`, [cout], { kind: 'const', value: 0 });
}

/** Adds batch-norm affine params (1, 0) and running statistics (mean 0, var 1) for `c` channels. */
export function addBatchNorm(b: ParamBuilder, name: string, c: number): void {
  b.param(`${name}.weight`, [c], { kind: 'const', value: 1 });
  b.param(`${name}.bias`, [c], { kind: 'const', value: 0 });
  b.stateVar(`${name}.running_mean`, [c], 0);
  b.stateVar(`${name}.running_var`, [c], 1);
}

/** Adds layer-norm affine params (1, 0) for `c` channels. */
export function addLayerNorm(b: ParamBuilder, name: string, c: number): void {
  b.param(`${name}.weight`, [c], { kind: 'const', value: 1 });
  b.param(`${name}.bias`, [c], { kind: 'const', value: 0 });
}

/** Adds `${name}.conv` (k×k, no bias: BN follows, as MMCV ConvModule) and `${name}.bn`. */
export function addConvBn(b: ParamBuilder, name: string, k: number, cin: number, cout: number): void {
  addConv(b, `${name}.conv`, k, cin, cout);
  addBatchNorm(b, `${name}.bn`, cout);
}

/** Validates a network config with a strict zod schema (defaults applied); a ValueError names bad or unknown keys. */
export function parseNetConfig<S extends z.ZodTypeAny>(schema: S, raw: unknown, fnName: string): z.infer<S> {
  return parseWith(schema, raw, `${fnName}: invalid config`);
}

/** What distinguishes one trainable-from-scratch extractor from another, besides its parameters. */
export interface ExtractorSpec<C> {
  kind: string;
  config: C;
  embedDim: number;
  stride: number;
  sizeMultiple: number;
  /** Pure forward over the extractor's own params and state. */
  forward: (ex: Extractor, images: tf.Tensor4D, ctx: ForwardContext) => tf.Tensor4D;
  /** Deep supervision (optional): channels of the auxiliary map and the forward that also returns it. */
  aux?: { dim: number; forward: (ex: Extractor, images: tf.Tensor4D, ctx: ForwardContext) => AuxForward };
}

/** Features and the auxiliary map of one training pass (see `Extractor.forwardAux`). */
export interface AuxForward {
  /** [B, h, w, D] */
  feats: tf.Tensor4D;
  /** [B, h', w', auxDim] */
  aux: tf.Tensor4D;
}

/** An Extractor owning the builder's params and state (disposed together). */
export function extractorFromBuilder<C extends object>(b: ParamBuilder, spec: ExtractorSpec<C>): Extractor {
  const ex: Extractor = {
    kind: spec.kind,
    config: { ...spec.config } as Record<string, ConfigValue>,
    embedDim: spec.embedDim,
    stride: spec.stride,
    sizeMultiple: spec.sizeMultiple,
    params: b.params,
    state: b.state,
    forward: (images, ctx) => spec.forward(ex, images, ctx),
    dispose: () => disposeAll(b.params, b.state),
  };
  const aux = spec.aux;
  if (aux) {
    ex.auxDim = aux.dim;
    ex.forwardAux = (images, ctx) => aux.forward(ex, images, ctx);
  }
  return ex;
}

/** A network trained from scratch: its config schema, parameter declarations and extractor shape. */
export interface ScratchNetwork<C extends { embedDim: number }> {
  kind: string;
  schema: z.ZodType<C, z.ZodTypeDef, unknown>;
  stride: number;
  sizeMultiple: number;
  /** Declares every parameter in a fixed order (so a seed fixes the network). */
  build: (b: ParamBuilder, c: C) => void;
  /** Pure forward over the extractor's own params and state. */
  forward: (ex: Extractor, c: C, images: tf.Tensor4D, ctx: ForwardContext) => tf.Tensor4D;
  /** Deep supervision (optional): the auxiliary map's channels and the forward that also returns it. */
  aux?: {
    dim: (c: C) => number;
    forward: (ex: Extractor, c: C, images: tf.Tensor4D, ctx: ForwardContext) => AuxForward;
  };
}

function assembleScratch<C extends { embedDim: number }>(net: ScratchNetwork<C>, b: ParamBuilder, c: C): Extractor {
  return extractorFromBuilder(b, {
    kind: net.kind,
    config: c,
    embedDim: c.embedDim,
    stride: net.stride,
    sizeMultiple: net.sizeMultiple,
    forward: (ex, images, ctx) => net.forward(ex, c, images, ctx),
    ...(net.aux ? { aux: scratchAux(net.aux, c) } : {}),
  });
}

function scratchAux<C extends { embedDim: number }>(
  aux: NonNullable<ScratchNetwork<C>['aux']>,
  c: C,
): NonNullable<ExtractorSpec<C>['aux']> {
  return { dim: aux.dim(c), forward: (ex, images, ctx) => aux.forward(ex, c, images, ctx) };
}

/** A fresh network: `settings` parsed strictly (errors name `fnName`), parameters drawn from `rng`. */
export function createScratch<C extends { embedDim: number }>(
  net: ScratchNetwork<C>,
  settings: unknown,
  rng: Rng,
  fnName: string,
): Extractor {
  const c = parseNetConfig(net.schema, settings, fnName);
  const b = randomBuilder(rng);
  net.build(b, c);
  return assembleScratch(net, b, c);
}

/** A saved network rebuilt from its `config` and named tensors (params and state); FormatError on a mismatch. */
export function loadScratch<C extends { embedDim: number }>(
  net: ScratchNetwork<C>,
  config: unknown,
  tensors: Record<string, tf.Tensor>,
  fnName: string,
): Extractor {
  const c = parseNetConfig(net.schema, config, fnName);
  return assembleScratch(
    net,
    buildLoaded(tensors, fnName, (b) => net.build(b, c)),
    c,
  );
}
