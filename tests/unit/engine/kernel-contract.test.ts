/**
 * The TS↔C++ kernel contract: the table in src/engine/torch/kernel-contract.ts equals what the addon registers
 * (op names) and declares (attribute keys, types and optionality, from each GMM_OP); every native op the TypeScript
 * kernels call is in it (the compiler checks that: backend.run takes a NativeKernel). The native side also refuses
 * to read an attribute its GMM_OP does not declare, or with another type, so every differential test of an op
 * (torch-*.test.ts) checks its declaration too. The tests that need the addon skip, printing why, only when it is
 * not built.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { loadTorchAddon, type NativeOpDecl } from '../../../src/engine/torch/addon.js';
import { threadCount } from '../../../src/engine/torch/init.js';
import {
  attrPicker,
  isNativeKernel,
  NATIVE_KERNELS,
  type AttrDecl,
} from '../../../src/engine/torch/kernel-contract.js';
import { PIXEL_SCORES } from '../../../src/engine/kernels/pixel-scores.js';
import { HARD_SWISH } from '../../../src/nn/hard-swish.js';
import { BATCH_NORM_TRAIN } from '../../../src/nn/batch-norm-train.js';
import { ADAMW_UPDATE } from '../../../src/train/adamw.js';
import { torchKernelNames } from '../../../src/engine/torch/register.js';
import { torchSkip } from '../../helpers/backends.js';

const skip = torchSkip();

/** The addon's declarations as the TS table writes them: name → key → type (with '?' when optional). */
function addonTable(ops: NativeOpDecl[]): Record<string, Record<string, string>> {
  const table: Record<string, Record<string, string>> = {};
  for (const op of ops) {
    table[op.name] = Object.fromEntries(op.attrs.map((a) => [a.key, a.optional ? `${a.type}?` : a.type]));
  }
  return table;
}

function sortedTable(t: Readonly<Record<string, Readonly<Record<string, string>>>>): [string, [string, string][]][] {
  return Object.keys(t)
    .sort()
    .map((name) => [name, Object.entries(t[name] as Record<string, string>).sort(([a], [b]) => a.localeCompare(b))]);
}

function addon(): { ops?: () => NativeOpDecl[]; kernels: () => string[] } {
  const { addon: a, reason } = loadTorchAddon(threadCount(process.env));
  assert.ok(a, `native addon not loadable: ${reason}`);
  return a as unknown as { ops?: () => NativeOpDecl[]; kernels: () => string[] };
}

test('kernel contract: every declared type is one the native side can read', () => {
  const types: AttrDecl[] = ['int', 'float', 'bool', 'string', 'int[]', 'float[]'];
  for (const [name, attrs] of Object.entries(NATIVE_KERNELS)) {
    for (const [key, type] of Object.entries(attrs)) {
      assert.ok(types.includes(type.replace(/\?$/, '') as AttrDecl), `${name}.${key}: unknown type '${type}'`);
    }
  }
});

test('kernel contract: attrPicker takes exactly the declared keys tfjs set from the kernel attributes', () => {
  const pick = attrPicker('ResizeBilinear');
  const attrs = { size: [4, 6], alignCorners: false, halfPixelCenters: undefined, extra: 'dropped' };
  assert.deepEqual(pick(attrs as unknown as tf.NamedAttrMap), { size: [4, 6], alignCorners: false });
  assert.deepEqual(attrPicker('Add')({ x: 1 }), {});
  assert.ok(isNativeKernel('Conv2D') && !isNativeKernel('DepthwiseConv2dNative') && !isNativeKernel('toString'));
});

test('kernel contract: the addon registers exactly the ops of the TypeScript table', { skip }, () => {
  const names = addon().kernels().sort();
  const tsNames = Object.keys(NATIVE_KERNELS).sort();
  assert.deepEqual(
    names.filter((n) => !isNativeKernel(n)),
    [],
    'ops the addon registers but kernel-contract.ts does not list',
  );
  assert.deepEqual(
    tsNames.filter((n) => !names.includes(n)),
    [],
    'ops kernel-contract.ts lists but the addon does not register',
  );
});

test(
  'kernel contract: the addon declares each op with the attribute keys and types of the TypeScript table',
  { skip },
  () => {
    const a = addon();
    assert.equal(typeof a.ops, 'function', 'the addon has no ops() export: rebuild it (npm run build:native)');
    const native = addonTable((a.ops as () => NativeOpDecl[])());
    for (const [name, attrs] of Object.entries(native)) {
      for (const [key, type] of Object.entries(attrs))
        assert.ok(!type.startsWith('invalid'), `GMM_OP(${name}): bad entry '${key}' (${type})`);
    }
    assert.deepEqual(sortedTable(native), sortedTable(NATIVE_KERNELS));
  },
);

test('kernel contract: a missing required attribute fails naming the op and the key', { skip }, async () => {
  await initEngine('torch');
  const run = (tf.backend() as unknown as { addon: { run(k: string, i: unknown[], a: object): unknown[] } }).addon.run;
  const x = tf.tensor1d([3, 1, 2]);
  const h = (tf.backend() as unknown as { handle(t: tf.TensorInfo): unknown }).handle(x);
  assert.throws(() => run('TopK', [h], {}), /kernel 'TopK' failed: missing attribute 'k'/);
  x.dispose();
});

test("kernel contract: every kernel registered on the torch backend exists in tfjs or is gmmseg's own", () => {
  const own = [
    PIXEL_SCORES,
    HARD_SWISH,
    `${HARD_SWISH}Grad`,
    BATCH_NORM_TRAIN,
    `${BATCH_NORM_TRAIN}Grad`,
    ADAMW_UPDATE,
  ];
  const known = new Set([...tf.getKernelsForBackend('cpu').map((k) => k.kernelName), ...own]);
  assert.deepEqual(
    torchKernelNames().filter((n) => !known.has(n)),
    [],
  );
});
