import test from 'node:test';
import assert from 'node:assert/strict';
import { cloneRng, createRng, normal, randInt, uniform } from '../../src/random.js';

test('same seed gives the same stream; a clone continues identically', () => {
  const a = createRng(42);
  const b = createRng(42);
  for (let i = 0; i < 100; i++) assert.equal(uniform(a), uniform(b));
  const c = cloneRng(a);
  for (let i = 0; i < 100; i++) assert.equal(normal(a), normal(c));
});

test('different seeds differ; uniform stays in [0, 1); randInt in range', () => {
  const a = createRng(1);
  const b = createRng(2);
  assert.notEqual(uniform(a), uniform(b));
  for (let i = 0; i < 10000; i++) {
    const u = uniform(a);
    assert.ok(u >= 0 && u < 1);
    const k = randInt(a, 7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
  }
});

test('normal draws have mean ≈ 0 and variance ≈ 1', () => {
  const r = createRng(7);
  const n = 20000;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = normal(r);
    s += x;
    s2 += x * x;
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
});
