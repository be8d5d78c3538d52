/**
 * A small seeded random generator (PCG32, O'Neill 2014) whose whole state is two numbers, so a
 * checkpoint can save it and a resumed run draws exactly the same numbers.
 */
export class Generator {
  private state = 0n;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Re-seeds the generator, like torch.Generator.manual_seed. */
  manualSeed(seed: number): this {
    this.state = 0n;
    this.nextU32();
    this.state = (this.state + BigInt.asUintN(64, BigInt(Math.floor(seed)))) & MASK;
    this.nextU32();
    this.spare = null;
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const old = this.state;
    this.state = (old * MULT + INC) & MASK;
    const xorshifted = Number(((old >> 18n) ^ old) >> 27n) >>> 0;
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << (-rot & 31))) >>> 0;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  random(): number {
    return this.nextU32() / 4294967296;
  }

  /** A uniform float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** A standard normal sample (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = 1 - this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  randperm(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** The state, as a JSON-safe value for checkpoints. */
  getState(): GeneratorState {
    return { state: this.state.toString(), spare: this.spare };
  }

  /** Restores a state from getState(). */
  setState(s: GeneratorState): void {
    this.state = BigInt(s.state) & MASK;
    this.spare = s.spare;
  }
}

/** A generator's saved state. */
export interface GeneratorState {
  state: string;
  spare: number | null;
}

const MASK = (1n << 64n) - 1n;
const MULT = 6364136223846793005n;
const INC = 1442695040888963407n;
