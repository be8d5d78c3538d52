/**
 * The matmul autotuner, for matrix products and for the convolutions, which are implicit matrix
 * products on the same register-blocked design. Which kernel runs fastest depends on the adapter and on the shape:
 * on GPUs one of the tiled kernels with workgroup memory (64x64 or 128x128 tiles), on CPU adapters
 * the register-blocked direct kernel, whose best workgroup size changes with the shape by up to
 * 2x there. The backend asks the tuner which variant to launch; a shape seen for the first time
 * gets the adapter's default and is queued, and tune() (called between training steps) times every
 * candidate on it and keeps the fastest, per adapter, for the life of the process. All variants
 * sum over k in the same order, so the choice never changes a result.
 */
import type { KernelCall, KernelConstants } from './backend';

/** The kernels that compute a matrix product. */
export type MatmulKernel = 'matmul' | 'matmulBig' | 'matmulDirect';

/** The kernels the tuner picks a variant of: the matrix products and the convolution. */
export type TunedKernel = MatmulKernel | 'convGemm';

/** A launch of a matrix product (by any of its kernels) or of a convolution. */
export type MatmulCall = KernelCall<TunedKernel>;

/** A way to run a matrix product: a kernel and the pipeline constants it adds. */
export interface MatmulVariant {
  kernel: TunedKernel;
  constants: KernelConstants;
}

/** Every matmul variant, by name. */
export const MATMUL_VARIANTS = {
  tiled: { kernel: 'matmul', constants: {} },
  tiled128: { kernel: 'matmulBig', constants: {} },
  direct16: { kernel: 'matmulDirect', constants: { WG: 16 } },
  direct32: { kernel: 'matmulDirect', constants: { WG: 32 } },
  direct64: { kernel: 'matmulDirect', constants: { WG: 64 } },
  conv16: { kernel: 'convGemm', constants: { WG: 16 } },
  conv32: { kernel: 'convGemm', constants: { WG: 32 } },
  conv64: { kernel: 'convGemm', constants: { WG: 64 } },
} satisfies Record<string, MatmulVariant>;

/** A matmul variant's name. */
export type MatmulVariantName = keyof typeof MATMUL_VARIANTS;

/** Seconds one launch of a call takes, as the backend measures it. */
export type TimeCall = (call: MatmulCall) => Promise<number>;

/** Choices per adapter, shared by every backend on that adapter in this process. */
const byAdapter = new Map<string, Map<string, MatmulVariantName>>();

/**
 * What a matmul's speed depends on: its sizes and which operands are transposed; a convolution's,
 * its product (which of the three, CONV_MODE), sizes and window.
 */
export function matmulShapeKey(call: MatmulCall): string {
  const { M, K, N, batch } = call.params;
  const c = call.constants ?? {};
  const sums = c.ROW_SUMS ? 'S' : '';
  if (call.kernel === 'convGemm') {
    const p = call.params as Record<string, number>;
    return `conv${c.CONV_MODE ?? 0}:${M}x${K}x${N}x${batch}:${p.C}x${p.H}x${p.W}k${p.KH}s${p.stride}p${p.pad}${sums}`;
  }
  return `${M}x${K}x${N}x${batch}${c.TRANS_A ? 'T' : 'N'}${c.TRANS_B ? 'T' : 'N'}${sums}`;
}

/** Whether a variant computes what a call (or a shape key) asks: a convolution, or a matrix product. */
function sameKind(name: MatmulVariantName, conv: boolean): boolean {
  return (MATMUL_VARIANTS[name].kernel === 'convGemm') === conv;
}

/** The call launched as the named variant. */
export function asVariant(call: MatmulCall, name: MatmulVariantName): MatmulCall {
  const v: MatmulVariant = MATMUL_VARIANTS[name];
  // The variant is of the call's kind (sameKind), so its params fit the kernel.
  return { ...call, kernel: v.kernel, constants: { ...call.constants, ...v.constants } } as MatmulCall;
}

/** Picks a matmul variant per shape for one adapter. */
export class MatmulTuner {
  /**
   * Forces one variant for every shape of its kind (tests check each against the cpu reference):
   * a matmul variant for the products, a conv one for the convolutions.
   */
  force: MatmulVariantName | null = null;
  /** The variants timed on a new matmul shape. */
  readonly candidates: MatmulVariantName[];
  /** The variant used until a matmul shape is tuned. */
  readonly fallback: MatmulVariantName;
  /** The variants timed on a new convolution, and the one used until it is tuned. */
  readonly convCandidates: MatmulVariantName[] = ['conv16', 'conv32', 'conv64'];
  readonly convFallback: MatmulVariantName;
  private readonly choices: Map<string, MatmulVariantName>;
  private readonly pending = new Map<string, MatmulCall>();

  constructor(
    readonly adapterKey: string,
    software: boolean,
  ) {
    let choices = byAdapter.get(adapterKey);
    if (!choices) {
      choices = new Map();
      byAdapter.set(adapterKey, choices);
    }
    this.choices = choices;
    // CPU adapters emulate barriers and workgroup memory, which costs the tiled kernel 5-10x there:
    // it is not worth timing (a 1024-square product would take seconds).
    this.candidates = software
      ? ['direct16', 'direct32', 'direct64']
      : ['tiled', 'tiled128', 'direct32', 'direct64'];
    this.fallback = software ? 'direct16' : 'tiled';
    this.convFallback = software ? 'conv16' : 'conv64';
  }

  /** The call as the variant chosen for its shape (the fallback until the shape is tuned). */
  resolve(call: MatmulCall): MatmulCall {
    const conv = call.kernel === 'convGemm';
    if (this.force && sameKind(this.force, conv)) return asVariant(call, this.force);
    const key = matmulShapeKey(call);
    const chosen = this.choices.get(key);
    if (chosen) return asVariant(call, chosen);
    if (!this.pending.has(key)) this.pending.set(key, call);
    return asVariant(call, conv ? this.convFallback : this.fallback);
  }

  /** Shapes waiting to be timed. */
  get pendingShapes(): string[] {
    return [...this.pending.keys()];
  }

  /** The variant chosen for each tuned shape on this adapter. */
  get chosen(): Record<string, MatmulVariantName> {
    return Object.fromEntries(this.choices);
  }

  /** Takes choices saved by an earlier page or process on this adapter; unknown names are ignored. */
  restore(saved: Record<string, string>): void {
    for (const [key, name] of Object.entries(saved)) {
      const known = Object.hasOwn(MATMUL_VARIANTS, name);
      if (known && sameKind(name as MatmulVariantName, key.startsWith('conv')) && !this.choices.has(key)) {
        this.choices.set(key, name as MatmulVariantName);
      }
    }
  }

  /** Times every candidate on each pending shape and keeps the fastest. */
  async tune(time: TimeCall): Promise<void> {
    for (const [key, call] of this.pending) {
      const conv = call.kernel === 'convGemm';
      let best = Number.POSITIVE_INFINITY;
      let winner = conv ? this.convFallback : this.fallback;
      for (const name of conv ? this.convCandidates : this.candidates) {
        const seconds = await time(asVariant(call, name));
        if (seconds < best) {
          best = seconds;
          winner = name;
        }
      }
      this.choices.set(key, winner);
      this.pending.delete(key);
    }
  }
}
