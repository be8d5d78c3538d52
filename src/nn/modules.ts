/**
 * The layer classes the registry (layers.ts) builds, as one namespace: models.ts hands it to each
 * entry's `build`, so the registry itself imports no module code and the page can read it.
 */
export { GELU, LeakyReLU, ReLU, Sigmoid, Tanh } from './activation';
export { CausalSelfAttention } from './attention';
export { Conv2d } from './conv';
export { Dropout } from './dropout';
export { Embedding, PositionalEmbedding } from './embedding';
export { Flatten } from './flatten';
export { Linear } from './linear';
export { BatchNorm1d, BatchNorm2d, LayerNorm } from './norm';
export { AvgPool2d, MaxPool2d } from './pool';
