import { describe, expect, it } from 'vitest';
import { encodeSafetensors, SafetensorsError } from './safetensors';
import { safetensorsToStateDict, stateDictToSafetensors } from './state_dict';

function refusal(bytes: Uint8Array): string {
  try {
    safetensorsToStateDict(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return (e as Error).message;
  }
  throw new Error('expected a SafetensorsError');
}

describe('state dicts as safetensors', () => {
  it('round-trips floats and the int64 counter', () => {
    const sd = new Map([
      ['fc.weight', { shape: [2, 1], dtype: 'float32' as const, data: Float32Array.of(1.5, -2) }],
      ['bn.num_batches_tracked', { shape: [], dtype: 'int32' as const, data: Int32Array.of(7) }],
    ]);
    const back = safetensorsToStateDict(stateDictToSafetensors(sd));
    expect(back).toEqual(sd);
  });

  it('refuses values that would change on loading, and dtypes Kiln cannot hold', () => {
    const big = encodeSafetensors({ n: { dtype: 'I64', shape: [2], data: BigInt64Array.of(1n, 2n ** 40n) } });
    expect(refusal(big)).toBe("tensor 'n': 1099511627776 at index 1 does not fit in int32");
    const wide = encodeSafetensors({
      w: { dtype: 'F64', shape: [2], data: Float64Array.of(Infinity, 1e300) },
    });
    expect(refusal(wide)).toBe("tensor 'w': 1e+300 at index 1 is past float32's range");
    const half = encodeSafetensors({ h: { dtype: 'F16', shape: [1], data: Uint16Array.of(0x3c00) } });
    expect(refusal(half)).toBe("tensor 'h' has dtype F16, which Kiln cannot load (use F32)");
  });
});
