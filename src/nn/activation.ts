import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { LEAKY_RELU_SLOPE } from './defaults';
import { Module } from './module';

/** Called with a ReLU module's output on each forward while registered (PyTorch's forward hook). */
export type ForwardHook = (module: ReLU, output: Tensor) => void;

/** max(x, 0) */
export class ReLU extends Module {
  private readonly hooks = new Set<ForwardHook>();

  forward(x: Tensor): Tensor {
    return this.runForwardHooks(F.relu(x));
  }

  /**
   * Calls `hook` with every output until the handle is removed, as PyTorch's
   * register_forward_hook; a model that fuses this ReLU into the layer before it still calls it.
   */
  registerForwardHook(hook: ForwardHook): { remove(): void } {
    this.hooks.add(hook);
    return { remove: () => this.hooks.delete(hook) };
  }

  /** Hands `output` (this module's, however computed) to the hooks, and returns it. */
  runForwardHooks(output: Tensor): Tensor {
    for (const hook of this.hooks) hook(this, output);
    return output;
  }
}

/** x for x > 0, negativeSlope * x otherwise (default 0.01). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = LEAKY_RELU_SLOPE) {
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
