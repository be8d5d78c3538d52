/** optim: optimizers, learning-rate schedulers and gradient clipping, with PyTorch's names. */
export * from './adam';
export * from './clip_grad';
export * from './lr_scheduler';
export * from './optimizer';
export * from './rmsprop';
export * from './sgd';
