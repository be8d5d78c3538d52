/**
 * Every op's gradient, in one table. A rule gets the upstream gradient g, the node (inputs and
 * what the forward pass saved), the forward output and `into`, and returns one gradient per input
 * (null where an input needs none). Rules use raw ops, so they are not themselves recorded.
 */
import * as ops from '../tensor/ops';
import type { GradNode, Tensor } from '../tensor/tensor';

/**
 * Where to compute input t's gradient, viewed as `shape` (t's own by default): a tensor the rule
 * must write it into and return (or return a view of), or undefined for a new tensor. backward()
 * gives one where t's gradient can go straight into its `.grad`.
 */
export type GradInto = (t: Tensor | undefined, shape?: readonly number[]) => Tensor | undefined;

type Rule = (g: Tensor, node: GradNode, out: Tensor, into: GradInto) => (Tensor | null)[];

/** Sums a broadcast gradient back down to `shape`. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  const r = dims.length ? ops.reduce('sum', g, dims, true) : g;
  return r.alias(shape);
}

const saved = <T>(node: GradNode, key: string) => node.saved[key] as T;
const [x0, x1] = [(n: GradNode) => n.inputs[0], (n: GradNode) => n.inputs[1]];

/** The gradient table, keyed by op name. */
export const RULES: Record<string, Rule> = {
  add: (g, n) => [sumTo(g, x0(n).shape), sumTo(g, x1(n).shape)],
  sub: (g, n) => [sumTo(g, x0(n).shape), sumTo(ops.unary('neg', g), x1(n).shape)],
  mul: (g, n) => [
    sumTo(ops.binary('mul', g, x1(n)), x0(n).shape),
    sumTo(ops.binary('mul', g, x0(n)), x1(n).shape),
  ],
  div: (g, n, out) => [
    sumTo(ops.binary('div', g, x1(n)), x0(n).shape),
    // d(a/b)/db = -(a/b)/b
    sumTo(ops.unary('neg', ops.binary('div', ops.binary('mul', g, out), x1(n))), x1(n).shape),
  ],
  affine: (g, n) => [ops.unary('affine', g, saved<number>(n, 'scale'), 0)],
  neg: (g) => [ops.unary('neg', g)],
  exp: (g, _n, out) => [ops.binary('mul', g, out)],
  log: (g, n) => [ops.binary('div', g, x0(n))],
  sqrt: (g, _n, out) => [ops.unary('affine', ops.binary('div', g, out), 0.5, 0)],
  pow: (g, n) => {
    const e = saved<number>(n, 'exponent');
    return [ops.binary('mul', g, ops.unary('affine', ops.unary('pow', x0(n), e - 1), e, 0))];
  },
  relu: (g, _n, out) => [ops.binary('reluGrad', g, out)],
  leakyRelu: (g, n) => [ops.binary('leakyReluGrad', g, x0(n), saved<number>(n, 'slope'))],
  gelu: (g, n) => [ops.binary('geluGrad', g, x0(n))],
  tanh: (g, _n, out) => [ops.binary('tanhGrad', g, out)],
  sigmoid: (g, _n, out) => [ops.binary('sigmoidGrad', g, out)],
  view: (g, n) => [g.alias(x0(n).shape)],
  permute: (g, n) => {
    const dims = saved<number[]>(n, 'dims');
    const inverse = dims.map((_, i) => dims.indexOf(i));
    return [ops.permute(g, inverse)];
  },
  asStrided: (g, n) => [
    ops.asStridedBackward(g, x0(n).shape, saved<number[]>(n, 'strides'), saved<number>(n, 'offset')),
  ],
  sum: (g, n) => [ops.broadcastTo(g.alias(saved<number[]>(n, 'keptShape')), x0(n).shape)],
  mean: (g, n) => {
    const full = ops.broadcastTo(g.alias(saved<number[]>(n, 'keptShape')), x0(n).shape);
    return [ops.unary('affine', full, saved<number>(n, 'scale'), 0)];
  },
  // Gradient of amax: split evenly among the elements equal to the maximum.
  max: (g, n, out) => {
    const kept = saved<number[]>(n, 'keptShape');
    const mask = ops.binary('eq', x0(n), out.alias(kept));
    const count = ops.reduce('sum', mask, saved<number[]>(n, 'dims'), true);
    return [ops.binary('mul', mask, ops.binary('div', g.alias(kept), count))];
  },
  matmul: (g, n) => {
    const [a, b] = [x0(n), x1(n)];
    const { transA, transB } = saved<ops.MatmulOptions>(n, 'opts');
    // With C = op(A) op(B): dop(A) = G op(B)^T, dop(B) = op(A)^T G, transposed back when stored so.
    const ga = !a.requiresGrad
      ? null
      : transA
        ? ops.matmul(b, g, { transA: transB, transB: true })
        : ops.matmul(g, b, { transB: !transB });
    const gb = !b.requiresGrad
      ? null
      : transB
        ? ops.matmul(g, a, { transA: true, transB: transA })
        : ops.matmul(a, g, { transA: !transA });
    return [ga && reduceBatch(ga, a.shape), gb && reduceBatch(gb, b.shape)];
  },
  linear: (g, n, _out, into) => {
    const [x, w] = [x0(n), x1(n)];
    // The first layer's input (the data) needs no gradient: skip the largest matmul of backward.
    const gx = x.requiresGrad ? ops.matmul(g, w) : null;
    const b = n.inputs[2];
    // The bias gradient (g's column sums) comes out of the weight gradient's launch when there is one.
    const gb = b ? (into(b) ?? ops.empty(g.backend, b.shape)) : null;
    const gw = w.requiresGrad
      ? ops.matmul(g, x, { transA: true, out: into(w), rowSums: gb ?? undefined })
      : null;
    if (gb && !gw) ops.reduce('sum', g, 0, false, 1, gb);
    return [gx, gw, gb];
  },
  // ReLU's gradient (through the fused output), then Linear's.
  linearRelu: (g, n, out, into) => RULES.linear(ops.binary('reluGrad', g, out), n, out, into),
  logSoftmax: (g, _n, out) => [ops.logSoftmaxBackward(out, g)],
  causalSoftmax: (g, n, out) => [ops.causalSoftmaxBackward(out, g, saved<number>(n, 'scale'))],
  crossEntropy: (g, n) => [
    ops.crossEntropyBackward(
      x0(n),
      saved<Tensor>(n, 'labels'),
      g,
      saved<number>(n, 'smoothing'),
      saved<number>(n, 'scale'),
    ),
  ],
  embedding: (g, n, _out, into) => [
    ops.embeddingBackward(g, saved<Tensor>(n, 'indices'), x0(n).shape[0], into(x0(n))),
  ],
  conv2d: (g, n, _out, into) => {
    const [x, w, b] = n.inputs;
    const geom = saved<ops.Conv2dGeometry>(n, 'geometry');
    // The bias gradient (dy's sums per channel) comes out of the weight gradient's launch.
    const gb = b ? (into(b) ?? ops.empty(g.backend, b.shape)) : undefined;
    const gw = w.requiresGrad || gb ? ops.conv2dBackwardWeight(g, x, w.shape, geom, into(w), gb) : null;
    // The first layer's input (the data) needs no gradient: skip the input gradient's launch.
    const gx = x.requiresGrad ? ops.conv2dBackwardInput(g, w, x.shape, geom) : null;
    // A frozen weight's gradient came only with its bias's: not returned, so freed here.
    if (gw && !w.requiresGrad) gw.dispose();
    return [gx, w.requiresGrad ? gw : null, gb ?? null];
  },
  // ReLU's gradient (through the fused output), then the convolution's.
  conv2dRelu: (g, n, out, into) => RULES.conv2d(ops.binary('reluGrad', g, out), n, out, into),
  batchNorm: (g, n, out, into) => {
    const [x, weight, bias] = n.inputs;
    const { dx, dweight, dbias } = ops.batchNormBackward(
      g,
      x,
      saved<Tensor>(n, 'stats'),
      weight,
      saved<boolean>(n, 'training'),
      x.requiresGrad,
      { dweight: into(weight), dbias: into(bias) },
      saved<boolean>(n, 'relu') ? out : undefined,
    );
    return [dx, weight ? dweight : null, bias ? dbias : null];
  },
  layerNorm: (g, n, _out, into) => {
    const [x, weight, bias] = n.inputs;
    const { dx, dweight, dbias } = ops.layerNormBackward(
      g,
      x,
      saved<Tensor>(n, 'stats'),
      weight,
      { input: x.requiresGrad, weight: !!weight?.requiresGrad, bias: !!bias?.requiresGrad },
      { dweight: into(weight), dbias: into(bias) },
    );
    return [dx, dweight, dbias];
  },
  maxPool2d: (g, n) => [
    ops.maxPool2dBackward(g, saved<Tensor>(n, 'indices'), x0(n).shape, saved(n, 'geometry')),
  ],
  avgPool2d: (g, n) => [ops.avgPool2dBackward(g, x0(n).shape, saved(n, 'geometry'))],
  dropout: (g, n) => [ops.dropoutMask(g, saved<number>(n, 'p'), saved<number>(n, 'seed'))],
};

/** Sums a batched matmul gradient over the batch when the operand was a shared 2-D matrix. */
function reduceBatch(g: Tensor, shape: readonly number[]): Tensor {
  return g.ndim === 3 && shape.length === 2 ? ops.reduce('sum', g, 0) : g;
}
