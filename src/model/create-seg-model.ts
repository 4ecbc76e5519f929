/**
 * The one constructor of fresh segmentation models: an extractor of a registered family and a GMM or softmax head
 * sized from the classes and the extractor's embedding size. The extractor draws its parameters from `rng` first,
 * then the head (then the optional auxiliary classifier), so one seed fixes the whole model.
 */
import { ValueError } from '../errors.js';
import { makeGmmConfig, type GmmConfig } from '../gmm/config.js';
import { createHeadState } from '../gmm/head.js';
import { createExtractor } from '../nn/registry.js';
import { createSoftmaxHead } from '../nn/softmax-head.js';
import type { Rng } from '../random.js';
import type { SegHead, SegModel } from './seg-model.js';

/** Which head: the GMM head with config overrides (classes and embedDim follow the model), or the softmax baseline. */
export type HeadSpec = { kind: 'gmm'; gmm?: Partial<GmmConfig> } | { kind: 'softmax' };

/** Which extractor: a registered family and settings on its defaults. */
export interface ExtractorSpec {
  kind: string;
  config?: Record<string, unknown>;
}

/** What a new model is made of. */
export interface SegModelSpec {
  classes: readonly string[];
  extractor: ExtractorSpec;
  head: HeadSpec;
  /** Also create the training-only auxiliary classifier (deep supervision; the extractor must offer `forwardAux`). */
  aux?: boolean;
}

/** A freshly initialised model; ValueError for an unknown extractor or an invalid setting (naming the key). */
export async function createSegModel(spec: SegModelSpec, rng: Rng): Promise<SegModel> {
  const classes = [...spec.classes];
  // validate the head's settings before the (slow) extractor is built
  if (spec.head.kind === 'gmm') makeGmmConfig({ ...spec.head.gmm, classes: classes.length });
  const extractor = await createExtractor(spec.extractor.kind, spec.extractor.config ?? {}, rng);
  let head: SegHead;
  if (spec.head.kind === 'softmax') {
    head = { kind: 'softmax', head: createSoftmaxHead({ embedDim: extractor.embedDim, classes: classes.length, rng }) };
  } else {
    const config = makeGmmConfig({ ...spec.head.gmm, classes: classes.length, embedDim: extractor.embedDim });
    head = { kind: 'gmm', state: createHeadState(config, rng, true) };
  }
  if (!spec.aux) return { classes, extractor, head };
  if (extractor.auxDim === undefined) {
    extractor.dispose();
    throw new ValueError(
      `extractor '${extractor.kind}' has no auxiliary map for deep supervision; set auxLossWeight to 0 or use unet`,
    );
  }
  return {
    classes,
    extractor,
    head,
    aux: createSoftmaxHead({ embedDim: extractor.auxDim, classes: classes.length, rng }),
  };
}
