/**
 * PyTorch's constructor defaults of the layers, written once: the modules use them when an
 * argument is left out, and the layer registry (layers.ts) shows and exports them. Plain data,
 * so the page reads them without loading a module.
 */

/** LeakyReLU's negative_slope. */
export const LEAKY_RELU_SLOPE = 0.01;

/** Conv2d's stride and padding. */
export const CONV_DEFAULTS = { stride: 1, padding: 0 } as const;

/** Dropout's drop probability. */
export const DROPOUT_P = 0.5;

/** nn.Flatten's dims: every dim after the batch dim. */
export const FLATTEN_DEFAULTS = { startDim: 1, endDim: -1 } as const;

/** The BatchNorm layers' eps and momentum. */
export const BATCH_NORM_DEFAULTS = { eps: 1e-5, momentum: 0.1 } as const;

/** LayerNorm's eps. */
export const LAYER_NORM_EPS = 1e-5;

/** The pooling layers' padding. */
export const POOL_PADDING = 0;
