import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  FORMAT_VERSION,
  FORMAT_VERSION_KEY,
  SafetensorsError,
  type SafetensorsTensor,
  safetensorsMetadata,
  withMetadata,
} from './safetensors';

// Written by scripts/torch/safetensors_reference.py with struct + json from the state dict of
// torch.manual_seed(0); fc1 = Linear(3, 2); bn1 = BatchNorm1d(2), after one training batch.
const TORCH_HEX =
  '18020000000000007b225f5f6d657461646174615f5f223a7b226672616d65776f726b223a227079746f726368222c226b69' +
  '6c6e2e666f726d61745f76657273696f6e223a2231227d2c226663312e776569676874223a7b226474797065223a22463332' +
  '222c227368617065223a5b322c335d2c22646174615f6f666673657473223a5b302c32345d7d2c226663312e62696173223a' +
  '7b226474797065223a22463332222c227368617065223a5b325d2c22646174615f6f666673657473223a5b32342c33325d7d' +
  '2c22626e312e776569676874223a7b226474797065223a22463332222c227368617065223a5b325d2c22646174615f6f6666' +
  '73657473223a5b33322c34305d7d2c22626e312e62696173223a7b226474797065223a22463332222c227368617065223a5b' +
  '325d2c22646174615f6f666673657473223a5b34302c34385d7d2c22626e312e72756e6e696e675f6d65616e223a7b226474' +
  '797065223a22463332222c227368617065223a5b325d2c22646174615f6f666673657473223a5b34382c35365d7d2c22626e' +
  '312e72756e6e696e675f766172223a7b226474797065223a22463332222c227368617065223a5b325d2c22646174615f6f66' +
  '6673657473223a5b35362c36345d7d2c22626e312e6e756d5f626174636865735f747261636b6564223a7b22647479706522' +
  '3a22493634222c227368617065223a5b5d2c22646174615f6f666673657473223a5b36342c37325d7d7d2020e8a38dbb1393' +
  '9e3e7e4bf3bec98bd9beb1b463be53891e3e406b3bbc7a61ea3e0000803f0000803f000000000000000072e780bc2823693d' +
  '1e266c3f48eb6c3f0100000000000000';
const TORCH_VALUES: Record<string, { dtype: string; shape: number[]; values: number[] }> = {
  'fc1.weight': {
    dtype: 'F32',
    shape: [2, 3],
    values: [
      -0.004322517663240433, 0.3097158372402191, -0.4751853346824646, -0.4248946011066437,
      -0.2223689705133438, 0.15482072532176971,
    ],
  },
  'fc1.bias': { dtype: 'F32', shape: [2], values: [-0.011439144611358643, 0.45777493715286255] },
  'bn1.weight': { dtype: 'F32', shape: [2], values: [1.0, 1.0] },
  'bn1.bias': { dtype: 'F32', shape: [2], values: [0.0, 0.0] },
  'bn1.running_mean': { dtype: 'F32', shape: [2], values: [-0.015735361725091934, 0.05691829323768616] },
  'bn1.running_var': { dtype: 'F32', shape: [2], values: [0.9224566221237183, 0.9254651069641113] },
  'bn1.num_batches_tracked': { dtype: 'I64', shape: [], values: [1] },
};

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => Number.parseInt(b, 16));
const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The fixture's state dict as Kiln holds it. */
function torchStateDict(): Record<string, SafetensorsTensor> {
  return Object.fromEntries(
    Object.entries(TORCH_VALUES).map(([name, { dtype, shape, values }]) => [
      name,
      dtype === 'I64'
        ? { dtype: 'I64', shape, data: BigInt64Array.from(values, BigInt) }
        : { dtype: 'F32', shape, data: Float32Array.from(values) },
    ]),
  );
}

/** Builds a file from a raw header object and data bytes, for hand-made invalid files. */
function rawFile(header: unknown, data = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors against PyTorch', () => {
  it('decodes the file Python wrote to the same numbers, keys and order', () => {
    const { tensors, metadata } = decodeSafetensors(hex(TORCH_HEX));
    expect(metadata).toEqual({ framework: 'pytorch', [FORMAT_VERSION_KEY]: '1' });
    expect(Object.keys(tensors)).toEqual(Object.keys(TORCH_VALUES));
    for (const [name, { dtype, shape, values }] of Object.entries(TORCH_VALUES)) {
      const t = tensors[name];
      expect([t.dtype, t.shape]).toEqual([dtype, shape]);
      expect(Array.from(t.data, Number)).toEqual(values);
    }
    expect(tensors['bn1.num_batches_tracked'].data).toEqual(BigInt64Array.of(1n));
  });

  it("writes byte for byte what Python wrote, so Python's reader reads Kiln's file the same", () => {
    expect(toHex(encodeSafetensors(torchStateDict(), { framework: 'pytorch' }))).toBe(TORCH_HEX);
  });
});

describe('safetensors round trip', () => {
  it('keeps every dtype, scalar and empty shapes, order and metadata', () => {
    const tensors: Record<string, SafetensorsTensor> = {
      'fc1.weight': { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, Math.PI, -0, 1e-30) },
      scalar: { dtype: 'I64', shape: [], data: BigInt64Array.of(-(2n ** 63n)) },
      empty: { dtype: 'F64', shape: [0, 4], data: new Float64Array(0) },
      bytes: { dtype: 'U8', shape: [3], data: Uint8Array.of(0, 128, 255) },
      ints: { dtype: 'I32', shape: [1, 2], data: Int32Array.of(-1, 2 ** 31 - 1) },
      half: { dtype: 'BF16', shape: [1], data: Uint16Array.of(0x3f80) },
      mask: { dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 0) },
      u64: { dtype: 'U64', shape: [1], data: BigUint64Array.of(2n ** 64n - 1n) },
    };
    const bytes = encodeSafetensors(tensors, { note: 'ünïcode' });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.tensors).toEqual(tensors);
    expect(Object.keys(back.tensors)).toEqual(Object.keys(tensors));
    expect(back.metadata).toEqual({ note: 'ünïcode', [FORMAT_VERSION_KEY]: String(FORMAT_VERSION) });
  });

  it('adds metadata to a file, its tensors kept byte for byte; reads metadata from the header alone', () => {
    // fromEntries: in a literal, __proto__ would set the prototype instead of naming a tensor.
    const tensors: Record<string, SafetensorsTensor> = Object.fromEntries([
      ['w', { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, -0, Number.NaN, 3e38) }],
      ['__proto__', { dtype: 'I64', shape: [], data: BigInt64Array.of(5n) }],
      ['b', { dtype: 'U8', shape: [3], data: Uint8Array.of(9, 8, 7) }],
    ]);
    const bytes = encodeSafetensors(tensors, { note: 'a', other: 'b' });
    const more = withMetadata(bytes, { note: 'é', 'kiln.run': '{"name":"x"}' });
    expect(Number(new DataView(more.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const back = decodeSafetensors(more);
    expect(back.tensors).toEqual(tensors);
    expect(Object.keys(back.tensors)).toEqual(['w', '__proto__', 'b']);
    const metadata = { note: 'é', other: 'b', 'kiln.run': '{"name":"x"}', [FORMAT_VERSION_KEY]: '1' };
    expect(back.metadata).toEqual(metadata);
    expect(safetensorsMetadata(more)).toEqual(metadata);
    // The data section (16 + 8 + 3 bytes) is the same bytes, after the longer header.
    expect(more.subarray(more.length - 27)).toEqual(bytes.subarray(bytes.length - 27));
    expect(() => withMetadata(Uint8Array.of(1, 2), {})).toThrow(SafetensorsError);
  });

  it('reads tensors whose offsets are not aligned to their element size', () => {
    const data = new Uint8Array(9);
    data[0] = 7;
    new DataView(data.buffer).setFloat64(1, 2.5, true);
    const file = rawFile(
      {
        a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
        b: { dtype: 'F64', shape: [], data_offsets: [1, 9] },
      },
      data,
    );
    expect(decodeSafetensors(file).tensors.b.data).toEqual(Float64Array.of(2.5));
  });

  it('refuses to write data that disagrees with its dtype or shape', () => {
    const bad = (t: SafetensorsTensor) => () => encodeSafetensors({ t });
    expect(bad({ dtype: 'F32', shape: [2], data: new Float64Array(2) })).toThrow(/F32 needs a Float32Array/);
    expect(bad({ dtype: 'F32', shape: [3], data: new Float32Array(2) })).toThrow(
      /2 elements for shape \[3\]/,
    );
  });
});

describe('safetensors validation', () => {
  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({
    dtype: 'F32',
    shape,
    data_offsets: [begin, end],
  });
  const cases: [string, Uint8Array, RegExp][] = [
    ['short file', new Uint8Array(7), /^the file is not a safetensors file, or is truncated: it is 7 bytes/],
    [
      'header past the end',
      rawFile({}, undefined, 100),
      /^the file is truncated, or not a safetensors file: .* runs past/,
    ],
    [
      'huge header',
      rawFile({}, undefined, 100_000_001),
      /^the file is not a safetensors file, or is corrupt: its first 8 bytes are no header length \(they read as 100000001/,
    ],
    [
      'a zip (a .pt pickle)',
      new TextEncoder().encode('PK\x03\x04\x14\0\0\0\0\0'),
      /^the file is not a safetensors file, or is corrupt/,
    ],
    ['invalid JSON', rawFile('{"a":'), /^the file is corrupt: its header is not valid UTF-8 JSON/],
    ['invalid UTF-8', rawFile('{"\xff":1}').map((b, i) => (i === 10 ? 0xff : b)), /not valid UTF-8 JSON/],
    [
      'no object',
      rawFile('"a"'),
      /^the file is not a safetensors file, or is corrupt: its header does not start with '\{'/,
    ],
    [
      'array header',
      rawFile([]),
      /the file is not a safetensors file, or is corrupt: its header does not start/,
    ],
    [
      'unknown dtype',
      rawFile({ a: { dtype: 'F128', shape: [], data_offsets: [0, 0] } }),
      /unknown dtype "F128"/,
    ],
    ['negative dim', rawFile({ a: f32(0, 4, [-1]) }, new Uint8Array(4)), /invalid dimension/],
    ['size mismatch', rawFile({ a: f32(0, 8, [3]) }, new Uint8Array(8)), /needs 12 bytes, offsets give 8/],
    ['out of range', rawFile({ a: f32(0, 8) }, new Uint8Array(4)), /out of range of 4 data bytes/],
    ['reversed offsets', rawFile({ a: f32(8, 4, [0]) }, new Uint8Array(8)), /out of range/],
    [
      'bad offsets',
      rawFile({ a: { dtype: 'F32', shape: [], data_offsets: [0] } }),
      /not two non-negative integers/,
    ],
    ['overlap', rawFile({ a: f32(0, 8), b: f32(4, 12) }, new Uint8Array(12)), /'b' overlaps/],
    ['gap', rawFile({ a: f32(0, 4), b: f32(8, 12) }, new Uint8Array(12)), /gap of 4 bytes before tensor 'b'/],
    ['trailing data', rawFile({ a: f32(0, 4) }, new Uint8Array(8)), /4 bytes of data after the last tensor/],
    ['non-string metadata', rawFile({ __metadata__: { epoch: 3 } }), /'epoch' is not a string/],
    [
      'newer format',
      rawFile({ __metadata__: { [FORMAT_VERSION_KEY]: String(FORMAT_VERSION + 1) } }),
      /format version 2 is newer than this Kiln supports \(1\)/,
    ],
    [
      'non-integer format',
      rawFile({ __metadata__: { [FORMAT_VERSION_KEY]: '1.5' } }),
      /"1.5" is not an integer/,
    ],
  ];
  for (const [name, file, message] of cases) {
    it(`rejects ${name}`, () => {
      expect(() => decodeSafetensors(file)).toThrow(SafetensorsError);
      expect(() => decodeSafetensors(file)).toThrow(message);
    });
  }

  it('keeps a tensor named __proto__ as a tensor', () => {
    const t: SafetensorsTensor = { dtype: 'U8', shape: [1], data: Uint8Array.of(9) };
    const tensors = JSON.parse('{"__proto__": 0}');
    Object.defineProperty(tensors, '__proto__', { value: t, enumerable: true });
    const back = decodeSafetensors(encodeSafetensors(tensors)).tensors;
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});
