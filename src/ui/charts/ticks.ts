/**
 * Axis ticks chosen here rather than by recharts: given explicitly (with interval 0), recharts does
 * not measure labels in the DOM to thin them, which made every redraw a long task; and the rules
 * an ML engineer expects (whole steps, powers of ten on a log axis) are ours to keep.
 */

/** m·10^e exactly as written (10 ** -3 is not always the double nearest 0.001). */
const decimal = (m: number, e: number) => Number(`${m}e${e}`);

/**
 * Ticks at multiples of a 1-2-5 step (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …) inside [lo, hi], the finest
 * step giving at most `maxCount` of them. With `integer`, the step is at least 1, so every tick is
 * a whole number (training steps). A range of one value gives that value.
 */
export function niceTicks(lo: number, hi: number, maxCount: number, integer: boolean): number[] {
  if (!(hi > lo)) return Number.isFinite(lo) ? [lo] : [];
  // An infinite end has no multiples to mark (and no step to find).
  if (!Number.isFinite(hi - lo)) return [];
  for (let e = Math.floor(Math.log10((hi - lo) / maxCount)); ; e++) {
    for (const m of [1, 2, 5]) {
      const step = decimal(m, e);
      if (integer && step < 1) continue;
      // The slack keeps a bound that is itself a multiple (0.38 / 0.02 = 18.999…) a tick.
      const [first, last] = [Math.ceil(lo / step - 1e-9), Math.floor(hi / step + 1e-9)];
      if (last - first + 1 > maxCount) continue;
      // k·m·10^e computed as one decimal, so 3 × 0.1 reads 0.3, not 0.30000000000000004.
      return Array.from({ length: last - first + 1 }, (_, i) => decimal((first + i) * m, e));
    }
  }
}

/**
 * Ticks for a log axis over [lo, hi] (both positive): 1-2-5 steps (0.1, 0.2, 0.5, 1, …) when at most
 * `maxCount` of them fit; else powers of ten (1e-3, 0.01, 0.1, 1, …), every second or third one when
 * there are too many; and a range narrower than any of these gets linear 1-2-5 ticks. The labels
 * never crowd: at most `maxCount`, spread over the axis.
 */
export function logTicks(lo: number, hi: number, maxCount: number): number[] {
  if (!(lo > 0 && hi > lo)) return lo > 0 && Number.isFinite(lo) ? [lo] : [];
  // Past float64's range the decades never end: no ticks rather than a loop that does not stop.
  if (!Number.isFinite(hi)) return [];
  const [e0, e1] = [Math.floor(Math.log10(lo)), Math.ceil(Math.log10(hi))];
  const oneTwoFive: number[] = [];
  for (let e = e0; e <= e1; e++)
    for (const m of [1, 2, 5]) {
      const v = decimal(m, e);
      if (v >= lo && v <= hi) oneTwoFive.push(v);
    }
  if (oneTwoFive.length >= 2 && oneTwoFive.length <= maxCount) return oneTwoFive;
  const powers: number[] = [];
  for (let e = e0; e <= e1; e++) if (decimal(1, e) >= lo && decimal(1, e) <= hi) powers.push(e);
  if (powers.length >= 2) {
    const every = Math.ceil(powers.length / maxCount);
    return powers.filter((e) => e % every === 0).map((e) => decimal(1, e));
  }
  return niceTicks(lo, hi, maxCount, false);
}
