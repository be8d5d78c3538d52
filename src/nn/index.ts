/** nn: modules, layers, losses and models, with PyTorch's names. */
export * from './activation';
export * from './attention';
export * from './container';
export * from './conv';
export * from './dropout';
export * from './embedding';
export * from './flatten';
export * from './layers';
export * from './linear';
export * from './loss';
export * from './models';
export * from './module';
export * from './norm';
export * from './pool';
export * from './spec';
