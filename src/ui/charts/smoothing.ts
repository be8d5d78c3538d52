/**
 * TensorBoard's scalar smoothing: an exponential moving average debiased like Adam's moments, so the
 * first points are not dragged toward zero (tensorboard/plugins/scalar's `smooth`).
 */

/**
 * Smooths `values` with weight `w` in [0, 1): s_t = m_t / (1 - w^n), with m_t = w·m_{t-1} + (1-w)·x_t
 * and n the count of finite values so far. Non-finite values pass through and do not disturb the
 * average; a constant series is returned unchanged (floating-point error would otherwise wiggle it).
 */
export function smoothScalars(values: readonly number[], w: number): number[] {
  if (values.every((v) => v === values[0])) return [...values];
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    count++;
    const debias = w === 1 ? 1 : 1 - w ** count;
    return last / debias;
  });
}
