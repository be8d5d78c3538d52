/**
 * A small seeded random generator (PCG32, O'Neill 2014) whose whole state is two numbers, so a
 * checkpoint can save it and a resumed run draws exactly the same numbers.
 */
export class Generator {
  /** The 64-bit state as two unsigned 32-bit halves: BigInt arithmetic costs ~1 us a draw. */
  private hi = 0;
  private lo = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Re-seeds the generator, like torch.Generator.manual_seed. */
  manualSeed(seed: number): this {
    this.setState64(0n);
    this.nextU32();
    this.setState64(this.state64() + BigInt.asUintN(64, BigInt(Math.floor(seed))));
    this.nextU32();
    this.spare = null;
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const { hi, lo } = this;
    // state = state * MULT + INC (mod 2^64). The high half of lo * MULT_LO is summed from 16-bit
    // partial products, each exact in a double.
    const [a0, a1, b0, b1] = [lo & 0xffff, lo >>> 16, MULT_LO & 0xffff, MULT_LO >>> 16];
    const [p01, p10] = [a0 * b1, a1 * b0];
    const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const carryHi = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
    const nextLo = (Math.imul(lo, MULT_LO) >>> 0) + INC_LO;
    this.lo = nextLo >>> 0;
    this.hi =
      (carryHi + Math.imul(hi, MULT_LO) + Math.imul(lo, MULT_HI) + INC_HI + (nextLo > 0xffffffff ? 1 : 0)) >>>
      0;
    // Output: rotate the low 32 bits of ((old ^ (old >> 18)) >> 27) by old's top five bits.
    const xhi = hi ^ (hi >>> 18);
    const xlo = lo ^ ((lo >>> 18) | (hi << 14));
    const xorshifted = ((xlo >>> 27) | (xhi << 5)) >>> 0;
    const rot = hi >>> 27;
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
    return { state: this.state64().toString(), spare: this.spare };
  }

  /** Restores a state from getState(). */
  setState(s: GeneratorState): void {
    this.setState64(BigInt(s.state));
    this.spare = s.spare;
  }

  private state64(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  private setState64(v: bigint): void {
    this.hi = Number(BigInt.asUintN(32, v >> 32n));
    this.lo = Number(BigInt.asUintN(32, v));
  }
}

/** A generator's saved state. */
export interface GeneratorState {
  state: string;
  spare: number | null;
}

// PCG's 64-bit multiplier 6364136223846793005 and increment 1442695040888963407, in 32-bit halves.
const MULT_HI = 0x5851f42d;
const MULT_LO = 0x4c957f2d;
const INC_HI = 0x14057b7e;
const INC_LO = 0xf767814f;
