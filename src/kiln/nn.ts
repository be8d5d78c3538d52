/**
 * `kiln/nn`: modules, layers and losses with PyTorch's names, constructors and state-dict keys, and
 * models built from a spec (`kiln/spec`).
 *
 * @module kiln/nn
 */
export { type ForwardHook, GELU, LeakyReLU, ReLU, Sigmoid, Tanh } from '../nn/activation';
export {
  type AttentionWeightsHook,
  CausalSelfAttention,
  type CausalSelfAttentionOptions,
} from '../nn/attention';
export { Sequential } from '../nn/container';
export { Conv2d, type Conv2dOptions } from '../nn/conv';
export { Dropout } from '../nn/dropout';
export { Embedding, PositionalEmbedding } from '../nn/embedding';
export { Flatten } from '../nn/flatten';
export * as init from '../nn/init';
export { Linear } from '../nn/linear';
export { CrossEntropyLoss, type CrossEntropyOptions, MSELoss, NLLLoss } from '../nn/loss';
export { buildModel, LayerStack, Residual, SimpleNN, SpecModel } from '../nn/models';
export { type HostTensor, Module, Parameter, StateDictError } from '../nn/module';
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormOptions,
  LayerNorm,
  type LayerNormOptions,
} from '../nn/norm';
export { AvgPool2d, MaxPool2d, type PoolOptions } from '../nn/pool';
