import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { Module } from './module';

/** max(x, 0) */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

/** x for x > 0, negativeSlope * x otherwise (default 0.01). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
}

/** GELU, exact erf form (PyTorch's default approximate='none'). */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return F.gelu(x);
  }
}

/** Hyperbolic tangent. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

/** Logistic sigmoid. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}
