import { F } from '../autograd';
import * as ops from '../tensor/ops';
import { Tensor } from '../tensor/tensor';
import { normal } from './init';
import { Module, Parameter } from './module';

/**
 * A lookup table, like nn.Embedding: int32 indices [...] pick rows of weight
 * [num_embeddings, embedding_dim] (initialised N(0, 1), as PyTorch does), giving [..., dim].
 * State-dict key: weight.
 */
export class Embedding extends Module {
  weight: Parameter;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
  ) {
    super();
    this.weight = new Parameter(normal(this.backend, [numEmbeddings, embeddingDim]));
  }

  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight);
  }
}

/**
 * Learned absolute positions, like nanoGPT's `wpe`: x [..., T, C] + weight[:T], weight
 * [num_embeddings (the block size), C] initialised N(0, 1) as nn.Embedding. State-dict key: weight.
 */
export class PositionalEmbedding extends Module {
  weight: Parameter;
  /** 0 .. numEmbeddings - 1 on the weight's backend, made once: a step uploads nothing. */
  private positions?: Tensor;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
  ) {
    super();
    this.weight = new Parameter(normal(this.backend, [numEmbeddings, embeddingDim]));
  }

  forward(x: Tensor): Tensor {
    const [T, C] = x.shape.slice(-2);
    if (x.ndim < 2 || C !== this.embeddingDim) {
      throw new Error(`PositionalEmbedding expects input [..., T, ${this.embeddingDim}], got [${x.shape}]`);
    }
    if (T > this.numEmbeddings) {
      throw new Error(
        `PositionalEmbedding: cannot forward a sequence of length ${T}, the block size is only ${this.numEmbeddings}`,
      );
    }
    const b = this.weight.backend;
    this.positions ??= ops
      .tensor(
        b,
        Int32Array.from({ length: this.numEmbeddings }, (_, i) => i),
      )
      .keep();
    // The first T positions: a view of the same storage, which the lookup reads only so far.
    const first = new Tensor(b, this.positions.storage, [T], 'int32');
    return F.add(x, F.embedding(first, this.weight));
  }
}
