/**
 * `node dist/bench/torch-kernels.js [--reps N] [--warmup N] [--no-torch] [--json]`: milliseconds per call of the
 * native torch engine's heavy kernels at the bench network's shapes (bench/train.ts: batch 4 × 256 × 256 × 3, four
 * stride-2 stages of 32–256 channels, decoder at 64 × 64), side by side with the same libtorch ops called from
 * PyTorch (Debian's /usr/bin/python3 or `GMMSEG_TORCH_PYTHON`, same thread count, channels-last tensors) and their
 * ratio. Kernels: Conv2D forward, Conv2DBackpropInput, Conv2DBackpropFilter ('same' padding; PyTorch uses its
 * symmetric padding = k // 2, so stride-2 layers on even sizes, where tfjs pads only bottom/right, show the cost of
 * our extra constant_pad_nd), and BatchMatMul (incl. the GMM head's 65536 × 128 @ 128 × 950 chunk).
 *
 * Each figure is the median of `--reps` calls after `--warmup` calls. On CUDA every call ends with a 1-element read
 * of its output, so the asynchronous device is timed to completion (CPU kernels return when done).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { engineSummary, initEngine } from '../src/engine/engine.js';
import { threadCount } from '../src/engine/torch/init.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const reps = Number(flag('--reps') ?? 10);
const warmup = Number(flag('--warmup') ?? 2);
const json = args.includes('--json');
if (!Number.isInteger(reps) || reps < 1 || !Number.isInteger(warmup) || warmup < 0)
  throw new Error(
    `bench torch-kernels: --reps must be a positive integer and --warmup a non-negative one (got ${reps}, ${warmup})`,
  );

interface ConvShape {
  name: string;
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
}

const B = 4;

/** A conv of a [B, hw, hw, cin] input with a k×k filter into `cout` channels. */
function conv(name: string, hw: number, cin: number, k: number, cout: number, stride = 1): ConvShape {
  return { name, x: [B, hw, hw, cin], k, cout, stride };
}

/** The bench network's encoder: four stages (32–256 channels) of a 3×3 stride-2 conv, then a 3×3 stride-1 one. */
function encoderConvs(): ConvShape[] {
  const out: ConvShape[] = [];
  let hw = 256;
  let cin = 3;
  [32, 64, 128, 256].forEach((cout, i) => {
    out.push(conv(`enc${i + 1} down`, hw, cin, 3, cout, 2));
    hw /= 2;
    out.push(conv(`enc${i + 1}`, hw, cout, 3, cout));
    cin = cout;
  });
  return out;
}

const CONVS: ConvShape[] = [
  ...encoderConvs(),
  conv('lateral16 1x1', 16, 256, 1, 64),
  conv('lateral4 1x1', 64, 64, 1, 64),
  conv('fuse', 64, 64, 3, 64),
  conv('classifier 1x1', 64, 64, 1, 19),
  conv('no-copy check', 128, 64, 3, 64),
];

interface MatShape {
  name: string;
  a: number[];
  b: number[];
}

const MATS: MatShape[] = [
  { name: 'matmul 4096x128@128x950', a: [4096, 128], b: [128, 950] },
  { name: 'GMM chunk 65536x128@128x950', a: [65536, 128], b: [128, 950] },
  { name: 'batched 16x256x64@16x64x256', a: [16, 256, 64], b: [16, 64, 256] },
];

interface Row {
  op: string;
  shape: string;
  gflop: number;
  ms: number;
  torchMs?: number;
}

function outSize(n: number, stride: number): number {
  return Math.ceil(n / stride);
}

/** Median ms of `f` (whose output is read (CUDA) and disposed). */
function time(f: () => tf.Tensor): number {
  const once = (): number => {
    const t0 = performance.now();
    const y = f();
    if (cuda) tf.tidy(() => tf.slice(y, new Array(y.rank).fill(0), new Array(y.rank).fill(1)).dataSync());
    const ms = performance.now() - t0;
    y.dispose();
    return ms;
  };
  for (let i = 0; i < warmup; i++) once();
  const t = Array.from({ length: reps }, once).sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)] as number;
}

await initEngine('torch');
const cuda = engineSummary('torch').includes('cuda');
const rows: Row[] = [];
for (const c of CONVS) {
  const [n, h, w, cin] = c.x;
  const dyShape: [number, number, number, number] = [n, outSize(h, c.stride), outSize(w, c.stride), c.cout];
  const fShape: [number, number, number, number] = [c.k, c.k, cin, c.cout];
  const gflop = (2 * dyShape[0] * dyShape[1] * dyShape[2] * c.cout * c.k * c.k * cin) / 1e9;
  const x = tf.randomNormal(c.x, 0, 1, 'float32', 1);
  const f = tf.randomNormal(fShape, 0, 0.1, 'float32', 2);
  const dy = tf.randomNormal(dyShape, 0, 1, 'float32', 3);
  const attrs = { strides: c.stride, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
  const shape = `[${c.x}] k${c.k} s${c.stride} → ${c.cout}`;
  rows.push({
    op: `conv fwd ${c.name}`,
    shape,
    gflop,
    ms: time(() => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, 'same')),
  });
  rows.push({
    op: `conv dx  ${c.name}`,
    shape,
    gflop,
    ms: time(
      () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: c.x }) as tf.Tensor,
    ),
  });
  rows.push({
    op: `conv dw  ${c.name}`,
    shape,
    gflop,
    ms: time(
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: fShape }) as tf.Tensor,
    ),
  });
  tf.dispose([x, f, dy]);
}
for (const m of MATS) {
  const a = tf.randomNormal(m.a, 0, 1, 'float32', 4);
  const b = tf.randomNormal(m.b, 0, 1, 'float32', 5);
  const batch = m.a.length === 3 ? (m.a[0] as number) : 1;
  const [rowsA, inner] = m.a.slice(-2) as [number, number];
  const gflop = (2 * batch * rowsA * inner * (m.b[m.b.length - 1] as number)) / 1e9;
  rows.push({ op: m.name, shape: `[${m.a}] @ [${m.b}]`, gflop, ms: time(() => tf.matMul(a, b)) });
  tf.dispose([a, b]);
}

/** The same ops in PyTorch (libtorch through Python), in the order of `rows`; undefined when it cannot run. */
function torchTimes(): number[] | undefined {
  if (args.includes('--no-torch')) return undefined;
  const py = process.env.GMMSEG_TORCH_PYTHON ?? '/usr/bin/python3';
  const spec = JSON.stringify({ convs: CONVS, mats: MATS, reps, warmup, threads: threadCount(process.env), cuda });
  const r = spawnSync(py, ['-c', PYTHON, spec], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(
      `bench torch-kernels: PyTorch reference failed (${py}): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`,
    );
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as number[];
}

const PYTHON = `
import json, statistics, sys, time
import torch
s = json.loads(sys.argv[1])
torch.set_num_threads(s["threads"])
dev = torch.device("cuda" if s["cuda"] else "cpu")
cl = torch.channels_last
def sync():
    if s["cuda"]: torch.cuda.synchronize()
def med(f):
    def once():
        t0 = time.perf_counter(); f(); sync(); return (time.perf_counter() - t0) * 1000
    for _ in range(s["warmup"]): once()
    return statistics.median([once() for _ in range(s["reps"])])
out = []
with torch.inference_mode():
    for c in s["convs"]:
        n, h, w, cin = c["x"]; k = c["k"]; st = c["stride"]; p = k // 2
        x = torch.randn(n, cin, h, w, device=dev).contiguous(memory_format=cl)
        wt = (torch.randn(c["cout"], cin, k, k, device=dev) * 0.1).contiguous(memory_format=cl)
        y = torch.convolution(x, wt, None, [st, st], [p, p], [1, 1], False, [0, 0], 1)
        dy = torch.randn_like(y)
        out.append(med(lambda: torch.convolution(x, wt, None, [st, st], [p, p], [1, 1], False, [0, 0], 1)))
        out.append(med(lambda: torch.ops.aten.convolution_backward(dy, x, wt, None, [st, st], [p, p], [1, 1], False, [0, 0], 1, [True, False, False])))
        out.append(med(lambda: torch.ops.aten.convolution_backward(dy, x, wt, None, [st, st], [p, p], [1, 1], False, [0, 0], 1, [False, True, False])))
    for m in s["mats"]:
        a = torch.randn(*m["a"], device=dev); b = torch.randn(*m["b"], device=dev)
        out.append(med(lambda: torch.matmul(a, b)))
print(json.dumps(out))
`;

const ref = torchTimes();
ref?.forEach((t, i) => {
  if (rows[i]) rows[i].torchMs = t;
});
if (json) console.log(JSON.stringify({ engine: engineSummary('torch'), rows }));
else {
  console.log(
    `bench torch-kernels  ${engineSummary('torch')}, median of ${reps} after ${warmup} warm-up${ref ? '; PyTorch: same libtorch ops, channels-last, symmetric padding k//2' : ''}`,
  );
  console.log(
    `${'op'.padEnd(36)}${'shape'.padEnd(32)}${'ms'.padStart(9)}${'GFLOP/s'.padStart(9)}${ref ? `${'torch ms'.padStart(10)}${'ratio'.padStart(7)}` : ''}`,
  );
  for (const r of rows) {
    const torch =
      r.torchMs === undefined ? '' : `${r.torchMs.toFixed(2).padStart(10)}${(r.ms / r.torchMs).toFixed(2).padStart(7)}`;
    console.log(
      `${r.op.padEnd(36)}${r.shape.padEnd(32)}${r.ms.toFixed(2).padStart(9)}${(r.gflop / (r.ms / 1000)).toFixed(0).padStart(9)}${torch}`,
    );
  }
  const total = (k: 'ms' | 'torchMs'): number =>
    rows.filter((r) => r.op.startsWith('conv') && !r.op.includes('no-copy')).reduce((s, r) => s + (r[k] ?? 0), 0);
  console.log(
    `bench-network convs, fwd + dx + dw: ${total('ms').toFixed(1)} ms${ref ? ` (PyTorch ${total('torchMs').toFixed(1)} ms, ratio ${(total('ms') / total('torchMs')).toFixed(2)})` : ''}`,
  );
}
