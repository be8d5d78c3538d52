import { F } from '../autograd';
import type { Tensor } from '../tensor/tensor';
import { Module } from './module';

/** Flattens every dim after the batch dim, like nn.Flatten(). */
export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    return F.flatten(x, 1);
  }
}
