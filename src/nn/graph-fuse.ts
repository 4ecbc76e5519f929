/**
 * Fusing a parsed graph program ({@link ./mbv3-graph.ts}): each hard-swish written as four nodes —
 * `add = x + 3`, `r = relu6(add)`, `m = scale · x`, `y = m · r` (operands in either order) — becomes one `hardswish`
 * op named `y` ({@link ./hard-swish.ts}), provided `add`, `r` and `m` are read by nothing else and are not protected
 * (outputs, band cuts). Every other op is kept as it is, in order; the program computes the same values.
 */
import type { GraphOp, GraphProgram, Operand } from './mbv3-graph.js';
import { opReads } from './graph-run.js';

/** `program` with its hard-swish patterns fused; `protect`: nodes that must stay readable. */
export function fuseHardSwish(program: GraphProgram, protect: readonly string[] = []): GraphProgram {
  const byNode = new Map(program.ops.map((op) => [op.node, op]));
  const readers = new Map<string, number>();
  for (const op of program.ops) for (const r of opReads(op)) readers.set(r, (readers.get(r) ?? 0) + 1);
  const kept = new Set([...program.outputs, ...protect, program.input]);
  const inner = (name: string): GraphOp | undefined =>
    readers.get(name) === 1 && !kept.has(name) ? byNode.get(name) : undefined;
  const removed = new Set<string>();
  const ops: GraphOp[] = [];
  for (const op of program.ops) {
    const fused = op.kind === 'binary' && op.fn === 'mul' ? matchHardSwish(op, inner) : undefined;
    if (fused) fused.parts.forEach((n) => removed.add(n));
    ops.push(fused ? fused.op : op);
  }
  return { ...program, ops: ops.filter((op) => !removed.has(op.node)) };
}

type Binary = Extract<GraphOp, { kind: 'binary' }>;

/** The four-node pattern ending at `y`, or undefined. */
function matchHardSwish(
  y: Binary,
  inner: (name: string) => GraphOp | undefined,
): { op: GraphOp; parts: string[] } | undefined {
  for (const [first, second] of [
    [y.a, y.b],
    [y.b, y.a],
  ] as const) {
    const m = 'node' in first ? inner(first.node) : undefined;
    const r = 'node' in second ? inner(second.node) : undefined;
    if (m?.kind !== 'binary' || m.fn !== 'mul' || r?.kind !== 'unary' || r.fn !== 'relu6') continue;
    const add = inner(r.input);
    if (add?.kind !== 'binary' || add.fn !== 'add') continue;
    const scaled = nodeAndScalar(m.a, m.b);
    const shifted = nodeAndScalar(add.a, add.b);
    if (!scaled || !shifted || shifted.node !== scaled.node || shifted.value !== 3) continue;
    return {
      op: { kind: 'hardswish', node: y.node, input: scaled.node, scale: scaled.value },
      parts: [m.node, r.node, add.node],
    };
  }
  return undefined;
}

/** A node operand with a one-value constant (either order). */
function nodeAndScalar(a: Operand, b: Operand): { node: string; value: number } | undefined {
  const [n, c] = 'node' in a ? [a, b] : [b, a];
  if (!('node' in n) || !('constant' in c) || c.constant.values.length !== 1) return undefined;
  return { node: n.node, value: c.constant.values[0] as number };
}
