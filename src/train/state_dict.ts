/**
 * State dicts as .safetensors files with PyTorch's keys and dtypes (F32 floats, I64 for
 * num_batches_tracked), so `model.load_state_dict(load_file(path))` takes them as they are.
 */
import { shown } from '../data/errors';
import type { HostTensor } from '../nn/module';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsTensor,
} from './safetensors';

/** Keys PyTorch stores as int64. */
const INT64_KEYS = /(^|\.)num_batches_tracked$/;

/** Encodes a host state dict as a .safetensors file. */
export function stateDictToSafetensors(
  sd: Map<string, HostTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [k, t] of sd) {
    tensors[k] =
      t.dtype === 'int32' || INT64_KEYS.test(k)
        ? { dtype: 'I64', shape: t.shape, data: BigInt64Array.from(t.data, (v) => BigInt(v)) }
        : { dtype: 'F32', shape: t.shape, data: Float32Array.from(t.data) };
  }
  return encodeSafetensors(tensors, metadata);
}

/**
 * Decodes a .safetensors file into a host state dict (floats as float32, integers as int32).
 * Throws SafetensorsError for a dtype Kiln cannot hold, or a value that would change on the way
 * (an integer past int32, a finite F64 past float32's range).
 */
export function safetensorsToStateDict(bytes: Uint8Array): Map<string, HostTensor> {
  const file = decodeSafetensors(bytes);
  const out = new Map<string, HostTensor>();
  for (const [k, t] of Object.entries(file.tensors)) {
    switch (t.dtype) {
      case 'F32':
      case 'F64': {
        const data = Float32Array.from(t.data as Float32Array);
        const i = data.findIndex((v, j) => !Number.isFinite(v) && Number.isFinite(t.data[j]));
        if (i >= 0)
          throw new SafetensorsError(
            `tensor '${shown(k)}': ${t.data[i]} at index ${i} is past float32's range`,
          );
        out.set(k, { shape: t.shape, dtype: 'float32', data });
        break;
      }
      case 'I64':
      case 'I32':
      case 'U8': {
        const source = t.data as ArrayLike<number | bigint>;
        const data = Int32Array.from(source, (v) => Number(v));
        const i = data.findIndex((v, j) => BigInt(v) !== BigInt(source[j]));
        if (i >= 0)
          throw new SafetensorsError(
            `tensor '${shown(k)}': ${source[i]} at index ${i} does not fit in int32`,
          );
        out.set(k, { shape: t.shape, dtype: 'int32', data });
        break;
      }
      default:
        throw new SafetensorsError(
          `tensor '${shown(k)}' has dtype ${t.dtype}, which Kiln cannot load (use F32)`,
        );
    }
  }
  return out;
}
