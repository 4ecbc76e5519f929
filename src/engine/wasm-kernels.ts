/**
 * Registers, on the wasm backend, the kernels that tfjs-backend-wasm 4.22 lacks for training.
 * (Placeholder until the kernels land: registers nothing yet.)
 */
let registered = false;

/** Idempotent registration of the missing wasm training kernels. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
}
