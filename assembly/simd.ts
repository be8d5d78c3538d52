// Vector helpers the kernels share (not exported from the module: assembly/kernels.ts does not
// re-export this file).

/**
 * c + a * b: one fused multiply-add in the relaxed-SIMD builds (where the CPU has one; else the
 * engine multiplies and adds), a multiply and an add in the others (scripts/build-wasm.mjs).
 */
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  return ASC_FEATURE_RELAXED_SIMD ? f32x4.relaxed_madd(a, b, c) : f32x4.add(c, f32x4.mul(a, b));
}

/** The last r lanes (of 4) kept and the others zeroed: a row's last vector re-reads lanes counted already. */
@inline
export function tailMask(r: i32): v128 {
  return i32x4.gt_s(i32x4(0, 1, 2, 3), i32x4.splat(3 - r));
}

/** The sum of a vector's four lanes. */
@inline
export function lanes(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** v stored at o, or added to what o holds (a sum over chunks of images). */
@inline
export function putSum(o: usize, v: f32, accumulate: bool): void {
  store<f32>(o, accumulate ? load<f32>(o) + v : v);
}
