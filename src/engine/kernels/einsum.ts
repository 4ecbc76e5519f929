/**
 * `Einsum` for the wasm backend (missing in tfjs-backend-wasm 4.22).
 *
 * Same algorithm as the tfjs cpu kernel (tfjs' own einsum planner: per step, transpose each operand into the common
 * dimension order, broadcast-multiply, sum the contracted dimension), built from wasm ops. Forward only: tfjs has no
 * einsum gradient on any backend.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../../errors.js';
import { asTensor, WASM } from './kernel-util.js';

const NAME = 'Einsum';

/** Kernel function: inputs an array of tensors, attrs {equation}. */
export function einsumWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.Tensor {
  const { equation } = args.attrs as unknown as tf.EinsumAttrs;
  const infos = Object.values(args.inputs) as tf.TensorInfo[];
  for (const info of infos) {
    if (info.dtype !== 'float32' && info.dtype !== 'int32')
      throw new EngineError(`${NAME} (wasm): inputs must be float32 or int32, got ${info.dtype}`);
  }
  const { allDims, summedDims, idDims } = tf.backend_util.decodeEinsumEquation(equation, infos.length);
  return tf.tidy(() => {
    const tensors = infos.map((info) => asTensor(info, args.backend));
    tf.backend_util.checkEinsumDimSizes(allDims.length, idDims, tensors);
    const { path, steps } = tf.backend_util.getEinsumComputePath(summedDims, idDims);
    let out: tf.Tensor | null = null;
    let numDimsRemaining = allDims.length;
    steps.forEach((step, i) => {
      for (const idTerm of step) {
        const { permutationIndices: perm, expandDims } = tf.backend_util.getEinsumPermutation(
          numDimsRemaining,
          idDims[idTerm] as number[],
        );
        let t = tensors[idTerm] as tf.Tensor;
        if (!tf.backend_util.isIdentityPermutation(perm)) t = tf.transpose(t, perm);
        const targetShape = t.shape.slice();
        for (const dim of expandDims) targetShape.splice(dim, 0, 1);
        if (targetShape.length !== t.shape.length) t = tf.reshape(t, targetShape);
        out = out === null ? t : tf.mul(t, out);
      }
      if (i < steps.length - 1) {
        const axis = path[i] as number;
        if (axis >= 0 && out !== null) out = tf.sum(out, axis - (allDims.length - numDimsRemaining));
        numDimsRemaining--;
      }
    });
    if (out === null) throw new EngineError(`${NAME} (wasm): equation '${equation}' has no operands`);
    // An operand returned unchanged would share its input's data; return a distinct tensor.
    return tensors.includes(out) ? tf.clone(out) : out;
  });
}

/** Registration record. */
export const einsumConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: einsumWasm as unknown as tf.KernelFunc,
};
