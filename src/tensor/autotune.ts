/**
 * The matmul autotuner. Which matmul kernel runs fastest depends on the adapter and on the shape:
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

/** A launch of a matrix product, by any of its kernels. */
export type MatmulCall = KernelCall<MatmulKernel>;

/** A way to run a matrix product: a kernel and the pipeline constants it adds. */
export interface MatmulVariant {
  kernel: MatmulKernel;
  constants: KernelConstants;
}

/** Every matmul variant, by name. */
export const MATMUL_VARIANTS = {
  tiled: { kernel: 'matmul', constants: {} },
  tiled128: { kernel: 'matmulBig', constants: {} },
  direct16: { kernel: 'matmulDirect', constants: { WG: 16 } },
  direct32: { kernel: 'matmulDirect', constants: { WG: 32 } },
  direct64: { kernel: 'matmulDirect', constants: { WG: 64 } },
} satisfies Record<string, MatmulVariant>;

/** A matmul variant's name. */
export type MatmulVariantName = keyof typeof MATMUL_VARIANTS;

/** Seconds one launch of a call takes, as the backend measures it. */
export type TimeCall = (call: MatmulCall) => Promise<number>;

/** Choices per adapter, shared by every backend on that adapter in this process. */
const byAdapter = new Map<string, Map<string, MatmulVariantName>>();

/** What a matmul's speed depends on: its sizes and which operands are transposed. */
export function matmulShapeKey(call: MatmulCall): string {
  const { M, K, N, batch } = call.params;
  const c = call.constants ?? {};
  return `${M}x${K}x${N}x${batch}${c.TRANS_A ? 'T' : 'N'}${c.TRANS_B ? 'T' : 'N'}${c.ROW_SUMS ? 'S' : ''}`;
}

/** The call launched as the named variant. */
export function asVariant(call: MatmulCall, name: MatmulVariantName): MatmulCall {
  const v: MatmulVariant = MATMUL_VARIANTS[name];
  return { ...call, kernel: v.kernel, constants: { ...call.constants, ...v.constants } };
}

/** Picks a matmul variant per shape for one adapter. */
export class MatmulTuner {
  /** Forces one variant for every shape (tests check each against the cpu reference). */
  force: MatmulVariantName | null = null;
  /** The variants timed on a new shape. */
  readonly candidates: MatmulVariantName[];
  /** The variant used until a shape is tuned. */
  readonly fallback: MatmulVariantName;
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
  }

  /** The call as the variant chosen for its shape (the fallback until the shape is tuned). */
  resolve(call: MatmulCall): MatmulCall {
    if (this.force) return asVariant(call, this.force);
    const key = matmulShapeKey(call);
    const chosen = this.choices.get(key);
    if (chosen) return asVariant(call, chosen);
    if (!this.pending.has(key)) this.pending.set(key, call);
    return asVariant(call, this.fallback);
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
      if (Object.hasOwn(MATMUL_VARIANTS, name) && !this.choices.has(key)) {
        this.choices.set(key, name as MatmulVariantName);
      }
    }
  }

  /** Times every candidate on each pending shape and keeps the fastest. */
  async tune(time: TimeCall): Promise<void> {
    for (const [key, call] of this.pending) {
      let best = Number.POSITIVE_INFINITY;
      let winner = this.fallback;
      for (const name of this.candidates) {
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
