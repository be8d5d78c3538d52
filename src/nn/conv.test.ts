/**
 * Conv2d's padding as PyTorch allows it: any amount, even more than half the kernel. A 1x1 kernel
 * with padding 2 gives a border of bias alone around the scaled input; 3x3 with padding 3 and 1x1
 * with padding 2 have gradients that match finite differences, and webgpu matches the cpu reference.
 * A frozen weight with a trainable bias still gets its bias gradient (from the weight gradient's launch).
 */
import { describe, expect, it } from 'vitest';
import { F } from '../autograd';
import { gradcheck, leaf, normal } from '../autograd/testing';
import { CpuBackend } from '../tensor/cpu';
import * as ops from '../tensor/ops';
import { assertClose, bothBackends } from '../tensor/testing';
import { inferShapes, parseSpec } from './spec';

describe('Conv2d padding past half the kernel', () => {
  it('is a valid layer, as in PyTorch', () => {
    const spec = parseSpec('conv:4:3:1:3,flatten,linear:10', [1, 5, 5]);
    expect(inferShapes(spec)[0].outShape).toEqual([4, 9, 9]);
  });

  it('pads a 1x1 kernel with a border of bias alone', async () => {
    const b = new CpuBackend();
    const x = ops.tensor(b, [1, 2, 3, 4], [1, 1, 2, 2]);
    const y = F.conv2d(x, ops.tensor(b, [2], [1, 1, 1, 1]), ops.tensor(b, [0.5], [1]), {
      stride: 1,
      padding: 2,
    });
    expect(y.shape).toEqual([1, 1, 6, 6]);
    const expected = Array.from({ length: 36 }, (_, i) => {
      const [r, c] = [Math.floor(i / 6) - 2, (i % 6) - 2];
      return r >= 0 && r < 2 && c >= 0 && c < 2 ? 2 * (r * 2 + c + 1) + 0.5 : 0.5;
    });
    expect(Array.from(await y.data())).toEqual(expected);
  });

  for (const [k, padding, stride] of [
    [3, 3, 2],
    [1, 2, 1],
  ]) {
    it(`k${k} padding ${padding} stride ${stride}: gradients by finite differences, webgpu against cpu`, async () => {
      await gradcheck(`conv2d k${k} p${padding}`, (b) => {
        const x = leaf(b, normal([2, 3, 5, 4], 1), [2, 3, 5, 4]);
        const w = leaf(b, normal([4, 3, k, k], 2), [4, 3, k, k]);
        const bias = leaf(b, normal([4], 3), [4]);
        return { leaves: [x, w, bias], forward: () => F.conv2d(x, w, bias, { stride, padding }) };
      });
    });
  }
});

describe('Conv2d with a frozen weight', () => {
  it('a frozen weight with a trainable bias: the bias gets dy summed per channel, the weight nothing', async () => {
    for (const b of await bothBackends()) {
      const x = leaf(b, normal([2, 3, 5, 4], 4), [2, 3, 5, 4]);
      x.requiresGrad = false;
      const w = leaf(b, normal([4, 3, 3, 3], 5), [4, 3, 3, 3]);
      w.requiresGrad = false;
      const bias = leaf(b, normal([4], 6), [4]);
      // The sum's gradient is 1 everywhere: each channel's bias gradient counts its 2 x 3 x 2 outputs.
      F.sum(F.conv2d(x, w, bias, { stride: 2, padding: 1 })).backward();
      expect(w.grad).toBeNull();
      assertClose(await bias.grad!.data(), [12, 12, 12, 12], 0, 0, `bias grad on ${b.constructor.name}`);
    }
  });
});
