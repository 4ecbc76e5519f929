import test from 'node:test';
import assert from 'node:assert/strict';
import { ENGINE_ENV_VAR } from '../../../src/engine/engine.js';
import { EngineFallbackError } from '../../../src/engine/fallback-error.js';
import { EngineError } from '../../../src/errors.js';

test('EngineFallbackError: an EngineError naming the problem, the fallback engine and its env var, no CLI flag', () => {
  const e = new EngineFallbackError("kernel 'Dilation2D' is not implemented on the native torch engine", 'torch');
  assert.ok(e instanceof EngineError);
  assert.equal(e.name, 'EngineFallbackError');
  assert.equal(e.engine, 'torch');
  assert.equal(e.fallback, 'wasm');
  assert.equal(
    e.message,
    `kernel 'Dilation2D' is not implemented on the native torch engine; use the wasm engine instead (${ENGINE_ENV_VAR}=wasm)`,
  );
  assert.ok(!e.message.includes('--'), 'engine errors name no command-line flag');
});
