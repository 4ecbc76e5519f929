/**
 * Constants shared by several rooms. A leaf module: it imports nothing, so every folder (data, metrics, gmm, infer,
 * train, cli, server) may use it without an arrow against the design.
 */

/** Label value that marks ignored / void pixels in semantic labels and anomaly masks (mmsegmentation convention). */
export const IGNORE_INDEX = 255;

/** Inlier true-positive rate at which FPR is reported (FPR95) and anomaly thresholds are calibrated. */
export const INLIER_TPR = 0.95;

/** Colour (RGB) of the outline drawn around flagged anomalous regions in overlays. */
export const OUTLINE_RGB: readonly [number, number, number] = [0, 255, 255];
