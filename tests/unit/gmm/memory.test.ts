import test from 'node:test';
import assert from 'node:assert/strict';
import {
  createQueueMemory,
  flattenQueue,
  linspaceIndices,
  pushRows,
  queueFromBuffers,
  slotFilled,
  slotMoments,
  type QueueMemory,
} from '../../../src/gmm/memory.js';
import { createRunningMemory } from '../../../src/gmm/running-stats.js';
import { ValueError } from '../../../src/errors.js';
import { createRng, normal } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

test('linspaceIndices reproduces torch.linspace(0, n−1, m, dtype=int64) (hand-computed)', () => {
  assert.deepEqual(
    Array.from(linspaceIndices(100, 20)),
    [0, 5, 10, 15, 20, 26, 31, 36, 41, 46, 52, 57, 62, 67, 72, 78, 83, 88, 93, 99],
  );
  assert.deepEqual(Array.from(linspaceIndices(5, 4)), [0, 1, 2, 4]); // step 4/3: 0, 1.33 → 1 | from the end: 4 − 4/3 = 2.67 → 2, 4
  assert.deepEqual(
    Array.from(linspaceIndices(21, 20)),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20],
  ); // second half from the end: 20 − 9·(20/19) = 10.53 → 10
  assert.deepEqual(Array.from(linspaceIndices(9, 1)), [0]);
});

test('ring write wraps around and keeps Σx, Σx² equal to a recomputation', () => {
  const rng = createRng(5);
  const [M, D] = [5, 3];
  const mem = createQueueMemory(2, M, D, rng);
  const feats = Float32Array.from({ length: 8 * D }, () => normal(rng));
  pushRows(mem, 1, feats, [0, 1, 2]);
  assert.equal(mem.pointer[1], 3);
  pushRows(mem, 1, feats, [3, 4, 5, 6]); // positions 3, 4, 0, 1
  assert.equal(mem.pointer[1], 2);
  assert.equal(mem.pointer[0], 0);
  const buf = mem.buffers[1] as Float32Array;
  const rowAt = (p: number) => Array.from(buf.slice(p * D, p * D + D));
  assert.deepEqual(rowAt(0), Array.from(feats.slice(5 * D, 6 * D)));
  assert.deepEqual(rowAt(1), Array.from(feats.slice(6 * D, 7 * D)));
  assert.deepEqual(rowAt(2), Array.from(feats.slice(2 * D, 3 * D)));
  assert.deepEqual(rowAt(4), Array.from(feats.slice(4 * D, 5 * D)));
  const fresh = queueFromBuffers(flattenQueue(mem), mem.pointer, M, D);
  expectClose(mem.sum1, fresh.sum1, { rtol: 0, atol: 1e-12 }, 'Σx');
  expectClose(mem.sum2, fresh.sum2, { rtol: 0, atol: 1e-12 }, 'Σx²');
});

test('initial queue entries are unit vectors; moments of a slot match the buffer', () => {
  const mem = createQueueMemory(3, 16, 8, createRng(6));
  for (const b of mem.buffers)
    for (let m = 0; m < 16; m++) expectClose(Math.hypot(...b.slice(m * 8, m * 8 + 8)), 1, { rtol: 0, atol: 1e-6 });
  const { mean1, mean2 } = slotMoments(mem, 2);
  const b = mem.buffers[2] as Float32Array;
  for (let d = 0; d < 8; d++) {
    let s1 = 0;
    let s2 = 0;
    for (let m = 0; m < 16; m++) {
      s1 += b[m * 8 + d] as number;
      s2 += (b[m * 8 + d] as number) ** 2;
    }
    expectClose([mean1[d] as number, mean2[d] as number], [s1 / 16, s2 / 16], { rtol: 1e-12, atol: 1e-15 });
  }
});

test('running memory: moments converge to the data moments with time constant M', () => {
  const mem = createRunningMemory(1, 10, 2);
  const feats = Float32Array.of(0.6, 0.8);
  pushRows(mem, 0, feats, new Array(200).fill(0));
  const { mean1, mean2 } = slotMoments(mem, 0);
  const [a, b] = [Math.fround(0.6), Math.fround(0.8)];
  expectClose(mean1, [a, b], { rtol: 1e-8, atol: 1e-8 });
  expectClose(mean2, [a * a, b * b], { rtol: 1e-8, atol: 1e-8 });
  const one = createRunningMemory(1, 10, 2);
  pushRows(one, 0, feats, [0]);
  expectClose(
    slotMoments(one, 0).mean1,
    [Math.fround(0.6) / 10, Math.fround(0.8) / 10],
    { rtol: 1e-12, atol: 0 },
    'one insertion moves E[x] by 1/M',
  );
});

test('queueFromBuffers rejects a pointer outside the ring and a wrong length', () => {
  assert.throws(() => queueFromBuffers(new Float32Array(12), Int32Array.of(0, 4), 2, 3), ValueError);
  assert.throws(() => queueFromBuffers(new Float32Array(11), Int32Array.of(0, 1), 2, 3), /'memory' has 11 values/);
  const ok: QueueMemory = queueFromBuffers(new Float32Array(12), Int32Array.of(0, 1), 2, 3);
  assert.equal(ok.slots, 2);
});

test("an 'empty' queue counts only written rows: moments are the rows' exact means, the count stops at M", () => {
  const [M, D] = [4, 2];
  const mem = createQueueMemory(2, M, D, createRng(1), 'empty');
  assert.deepEqual(Array.from(mem.filled), [0, 0]);
  assert.ok(mem.buffers.every((b) => b.every((v) => v === 0)));
  const feats = Float32Array.of(1, 0, 0, 1, 0.6, 0.8, 0.8, 0.6, 0, -1);
  pushRows(mem, 1, feats, [0, 1]); // rows (1, 0), (0, 1): E[x] = (0.5, 0.5), E[x²] = (0.5, 0.5)
  assert.equal(slotFilled(mem, 1), 2);
  assert.equal(slotFilled(mem, 0), 0);
  expectClose(slotMoments(mem, 1).mean1, [0.5, 0.5], { rtol: 1e-12, atol: 0 });
  expectClose(slotMoments(mem, 1).mean2, [0.5, 0.5], { rtol: 1e-12, atol: 0 });
  pushRows(mem, 1, feats, [2, 3, 4]); // 5 rows into 4 places: (0, 1), 0.6/0.8, 0.8/0.6, (0, −1) remain
  assert.equal(slotFilled(mem, 1), M);
  const [a, b] = [Math.fround(0.6), Math.fround(0.8)];
  expectClose(slotMoments(mem, 1).mean1, [(a + b) / 4, (1 + b + a - 1) / 4], { rtol: 1e-12, atol: 1e-15 });
  expectClose(slotMoments(mem, 1).mean2, [(a * a + b * b) / 4, (1 + b * b + a * a + 1) / 4], {
    rtol: 1e-12,
    atol: 1e-15,
  });
  assert.deepEqual(Array.from(createQueueMemory(3, 5, 2, createRng(1)).filled), [5, 5, 5], 'random rows count');
});

test("an 'empty' running memory averages its first M rows exactly, then fades with rate 1/M", () => {
  const [M, D] = [3, 1];
  const mem = createRunningMemory(1, M, D, 'empty');
  assert.equal(slotFilled(mem, 0), 0);
  const feats = Float32Array.of(1, 2, 4, 8);
  pushRows(mem, 0, feats, [0]);
  expectClose(slotMoments(mem, 0).mean1, [1], { rtol: 0, atol: 0 }, 'the first row sets E[x]');
  pushRows(mem, 0, feats, [1, 2]);
  expectClose(slotMoments(mem, 0).mean1, [7 / 3], { rtol: 1e-15, atol: 0 });
  expectClose(slotMoments(mem, 0).mean2, [21 / 3], { rtol: 1e-15, atol: 0 });
  pushRows(mem, 0, feats, [3]); // now full: E ← E + (x − E)/M
  expectClose(slotMoments(mem, 0).mean1, [7 / 3 + (8 - 7 / 3) / 3], { rtol: 1e-15, atol: 0 });
  assert.equal(slotFilled(mem, 0), M);
  assert.equal(slotFilled(createRunningMemory(2, M, D), 1), M, 'neutral moments count as M insertions');
});

test('queueFromBuffers checks the filled counts and defaults them to full', () => {
  assert.throws(
    () => queueFromBuffers(new Float32Array(12), Int32Array.of(0, 1), 2, 3, Int32Array.of(0, 3)),
    /filled 3/,
  );
  assert.throws(() => queueFromBuffers(new Float32Array(12), Int32Array.of(0, 1), 2, 3, Int32Array.of(0)), /'filled'/);
  assert.deepEqual(Array.from(queueFromBuffers(new Float32Array(12), Int32Array.of(0, 1), 2, 3).filled), [2, 2]);
});
