/**
 * PyTorch-style methods on Tensor (x.add(y), x.relu(), loss.backward(), ...). They live here, not
 * in tensor/, because they record gradients and tensor/ sits below autograd/.
 */
import { Tensor } from '../tensor/tensor';
import { backward } from './backward';
import * as F from './functional';

declare module '../tensor/tensor' {
  interface Tensor {
    add(b: F.Operand): Tensor;
    sub(b: F.Operand): Tensor;
    mul(b: F.Operand): Tensor;
    div(b: F.Operand): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    pow(exponent: number): Tensor;
    relu(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    sum(dims?: number | number[], keepdim?: boolean): Tensor;
    mean(dims?: number | number[], keepdim?: boolean): Tensor;
    max(dims?: number | number[], keepdim?: boolean): Tensor;
    argmax(dim?: number, keepdim?: boolean): Tensor;
    matmul(b: Tensor): Tensor;
    /** A view with a new shape (one dim may be -1), recorded for autograd. */
    view(shape: readonly number[]): Tensor;
    reshape(shape: readonly number[]): Tensor;
    flatten(startDim?: number): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(d0?: number, d1?: number): Tensor;
    logSoftmax(): Tensor;
    softmax(): Tensor;
    /** Computes gradients into the leaves' `.grad`, like torch's backward(). */
    backward(grad?: Tensor): void;
    /** The same values, cut off from the graph. */
    detach(): Tensor;
    /** Sets requiresGrad (on a leaf) and returns this, like requires_grad_(). */
    requiresGrad_(on?: boolean): Tensor;
  }
}

const methods: Partial<Tensor> = {
  add(this: Tensor, b: F.Operand) {
    return F.add(this, b);
  },
  sub(this: Tensor, b: F.Operand) {
    return F.sub(this, b);
  },
  mul(this: Tensor, b: F.Operand) {
    return F.mul(this, b);
  },
  div(this: Tensor, b: F.Operand) {
    return F.div(this, b);
  },
  neg(this: Tensor) {
    return F.neg(this);
  },
  exp(this: Tensor) {
    return F.exp(this);
  },
  log(this: Tensor) {
    return F.log(this);
  },
  sqrt(this: Tensor) {
    return F.sqrt(this);
  },
  pow(this: Tensor, e: number) {
    return F.pow(this, e);
  },
  relu(this: Tensor) {
    return F.relu(this);
  },
  tanh(this: Tensor) {
    return F.tanh(this);
  },
  sigmoid(this: Tensor) {
    return F.sigmoid(this);
  },
  sum(this: Tensor, dims?: number | number[], keepdim?: boolean) {
    return F.sum(this, dims, keepdim);
  },
  mean(this: Tensor, dims?: number | number[], keepdim?: boolean) {
    return F.mean(this, dims, keepdim);
  },
  max(this: Tensor, dims?: number | number[], keepdim?: boolean) {
    return F.max(this, dims, keepdim);
  },
  argmax(this: Tensor, dim?: number, keepdim?: boolean) {
    return F.argmax(this, dim, keepdim);
  },
  matmul(this: Tensor, b: Tensor) {
    return F.matmul(this, b);
  },
  view(this: Tensor, shape: readonly number[]) {
    return F.view(this, shape);
  },
  reshape(this: Tensor, shape: readonly number[]) {
    return F.view(this, shape);
  },
  flatten(this: Tensor, startDim?: number) {
    return F.flatten(this, startDim);
  },
  permute(this: Tensor, dims: readonly number[]) {
    return F.permute(this, dims);
  },
  transpose(this: Tensor, d0?: number, d1?: number) {
    return F.transpose(this, d0, d1);
  },
  logSoftmax(this: Tensor) {
    return F.logSoftmax(this);
  },
  softmax(this: Tensor) {
    return F.softmax(this);
  },
  backward(this: Tensor, grad?: Tensor) {
    backward(this, grad);
  },
  detach(this: Tensor) {
    return F.detach(this);
  },
  requiresGrad_(this: Tensor, on = true) {
    this.requiresGrad = on;
    return this;
  },
};

Object.assign(Tensor.prototype, methods);
