import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../tensor/cpu';
import { Generator } from '../tensor/random';
import { DataLoader, RandomSampler } from './dataloader';
import {
  blockSizeError,
  buildVocab,
  decode,
  decodeText,
  encode,
  splitByPosition,
  TextWindows,
  textData,
} from './text';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('the character vocabulary', () => {
  it('is the sorted unique characters, by code point, and encodes and decodes the text', () => {
    const text = 'hello, world\né😀';
    const vocab = buildVocab(text);
    expect([...vocab]).toEqual(['\n', ' ', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w', 'é', '😀']);
    const ids = encode(text, vocab);
    expect(ids.length).toBe([...text].length);
    expect(decode(ids, vocab)).toBe(text);
  });

  it('refuses a character outside it in one line naming it and where it is', () => {
    const vocab = buildVocab('abc\n');
    expect(() => encode('ab\nca!', vocab)).toThrow(
      /^text: the character "!" \(U\+0021\) at line 2, column 3 is not in the vocabulary of 4 characters$/,
    );
    expect(() => encode('a\u0000', vocab)).toThrow(/"\\u0000" \(U\+0000\)/);
  });
});

describe('a text file', () => {
  it('is refused when empty, binary, not UTF-8 or of one character', () => {
    expect(() => decodeText(new Uint8Array(), 'a.txt')).toThrow(/^a.txt: is empty/);
    expect(() => decodeText(Uint8Array.of(104, 105, 0, 1), 'b.bin')).toThrow(
      /^b.bin: is a binary file, not text \(a NUL byte at offset 2\)$/,
    );
    expect(() => decodeText(Uint8Array.of(104, 0xff, 0xfe, 105), 'c.txt')).toThrow(
      /^c.txt: is not UTF-8 text/,
    );
    expect(() => decodeText(utf8('aaaa'), 'd.txt')).toThrow(/^d.txt: holds one character only \("a"\)/);
    expect(decodeText(utf8('ab'), 'e.txt')).toBe('ab');
  });

  it('is read in pieces: a character cut by a piece edge (4 MiB) is whole, the ids as encode gives them', () => {
    const text = `${'a'.repeat((1 << 22) - 1)}é😀b\n`;
    const t = textData(utf8(text), 'big.txt', 'big');
    expect(t.vocab).toBe(buildVocab(text));
    // One code point fewer than UTF-16 units: the emoji is two.
    expect(t.train.length + t.val.length).toBe(text.length - 1);
    expect(decode(t.val.subarray(-4), t.vocab)).toBe('é😀b\n');
    expect(() => textData(utf8('zzz'), 'z.txt')).toThrow(/^z.txt: holds one character only/);
  });

  it("splits 90/10 by position, nanoGPT's split, with the whole file's vocabulary", () => {
    const t = textData(utf8('abcdefghij'.repeat(10)), 'x');
    expect(t.vocab).toBe('abcdefghij');
    expect([t.train.length, t.val.length]).toEqual([90, 10]);
    expect(decode(t.val, t.vocab)).toBe('abcdefghij');
    const { train, val } = splitByPosition(Int32Array.from({ length: 7 }, (_, i) => i));
    expect([...train, -1, ...val]).toEqual([0, 1, 2, 3, 4, 5, -1, 6]);
  });

  it('names the part a block size is longer than', () => {
    const t = textData(utf8('abcdefghij'.repeat(10)), 'x');
    expect(blockSizeError(t, 9)).toBeNull();
    expect(blockSizeError(t, 10)).toMatch(
      /^the block size \(10\) is longer than the validation text of x \(10 characters/,
    );
    expect(blockSizeError(t, 90)).toMatch(/the training text of x \(90 characters, the first 90%\)/);
  });
});

describe('TextWindows', () => {
  const ids = Int32Array.from({ length: 20 }, (_, i) => i);

  it('gives x = window[:-1] and y = window[1:], or the next id only', () => {
    const every = new TextWindows(ids, 4);
    expect(every.length).toBe(16);
    expect(every.getItem(3).map((a) => [...a])).toEqual([
      [3, 4, 5, 6],
      [4, 5, 6, 7],
    ]);
    const next = new TextWindows(ids, 4, 'next');
    expect(next.getItem(15).map((a) => [...a])).toEqual([[15, 16, 17, 18], [19]]);
    expect(next.predictedChars).toBe(16);
  });

  it('cut at a stride of block_size, predicts each character once (the tail that fills no window left out)', () => {
    const val = new TextWindows(ids, 4, 'every', 4);
    expect(val.length).toBe(4);
    const ys = Array.from({ length: val.length }, (_, i) => [...val.getItem(i)[1]]).flat();
    expect(ys).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(val.predictedChars).toBe(16);
  });

  it('batches through a DataLoader whose RandomSampler draws windows with replacement, replayably', async () => {
    const backend = new CpuBackend();
    const data = new TextWindows(ids, 3);
    const loader = new DataLoader(data, {
      batchSize: 5,
      sampler: new RandomSampler(10),
      generator: new Generator(7),
      backend,
    });
    expect(loader.length).toBe(2);
    const starts = new RandomSampler(10).draw(data.length, new Generator(7));
    const batches: number[][][] = [];
    for (const [x, y] of loader) {
      expect([x.shape, y.shape, x.dtype, y.dtype]).toEqual([[5, 3], [5, 3], 'int32', 'int32']);
      batches.push([[...(await x.data())], [...(await y.data())]]);
    }
    // Window s holds s, s+1, s+2 and predicts s+1, s+2, s+3.
    const s = [...starts];
    expect(batches[0][0]).toEqual(s.slice(0, 5).flatMap((v) => [v, v + 1, v + 2]));
    expect(batches[1][1]).toEqual(s.slice(5).flatMap((v) => [v + 1, v + 2, v + 3]));
    // A longer draw from the same state starts with the same windows (a run's steps may grow).
    expect([...new RandomSampler(20).draw(data.length, new Generator(7)).subarray(0, 10)]).toEqual(s);
    expect(() => new DataLoader(data, { sampler: new RandomSampler(3), shuffle: true })).toThrow(/exclusive/);
  });
});
