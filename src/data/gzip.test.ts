import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors';
import { gunzip, isGzip } from './gzip';
import { readIdx } from './idx';
import { makeIdx } from './testing';

/** A gzip member of `n` zero bytes: about a thousandth of n, the ratio of a "zip bomb". */
const zeros = (n: number) => new Uint8Array(gzipSync(new Uint8Array(n), { level: 9 }));

async function refusal(promise: Promise<unknown>): Promise<string> {
  const e = await promise.catch((error) => error);
  expect(e).toBeInstanceOf(DatasetError);
  return (e as DatasetError).message;
}

describe('gunzip', () => {
  it('inflates what gzip wrote, and knows gzip by its magic number', async () => {
    const text = new TextEncoder().encode('label,a\n1,2\n');
    const gz = new Uint8Array(gzipSync(text));
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(text)).toBe(false);
    expect(await gunzip(gz, 'a.csv.gz')).toEqual(text);
  });

  it('stops as soon as the output passes the cap, not after inflating it all', async () => {
    // 64 MiB of zeros in ~64 KB of gzip, capped at 1 MiB.
    expect(await refusal(gunzip(zeros(64 << 20), 'bomb.gz', undefined, 1 << 20))).toBe(
      'bomb.gz: inflates to more than 1048576 bytes, more than Kiln reads from one file',
    );
  });

  it('caps the output at the size the header declares, once the header is in', async () => {
    // An IDX header for 10 labels, then 32 MiB more: refused past the 18 bytes the header declares.
    const header = makeIdx([10], new Uint8Array(10));
    const bomb = new Uint8Array(gzipSync(Buffer.concat([header, new Uint8Array(32 << 20)]), { level: 9 }));
    expect(await refusal(readIdx(bomb, 'labels.gz'))).toBe(
      'labels.gz: inflates to more than the 18 bytes its header declares: the file is corrupt',
    );
  });

  it('refuses a header that declares more than Kiln reads, before inflating the rest', async () => {
    const header = makeIdx([0x10000, 0x10000], []);
    expect(await refusal(readIdx(new Uint8Array(gzipSync(header)), 'huge.gz'))).toMatch(
      /^huge\.gz: has a header \(shape 65536 x 65536\) describing 4294967308 bytes, over the 1073741824 Kiln reads/,
    );
  });

  it('refuses truncated and corrupt streams, and gzip of something that is not IDX', async () => {
    const gz = new Uint8Array(gzipSync(makeIdx([2], [0, 1])));
    expect(await refusal(readIdx(gz.subarray(0, gz.length - 4), 'cut.gz'))).toMatch(
      /^cut\.gz: is truncated: its gzip stream ends early/,
    );
    const flipped = gz.slice();
    flipped[gz.length - 6] ^= 0xff;
    expect(await refusal(gunzip(flipped, 'flip.gz'))).toMatch(/^flip\.gz: is not valid gzip data/);
    const png = new Uint8Array(gzipSync(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0])));
    expect(await refusal(readIdx(png, 'digit.png.gz'))).toBe(
      'digit.png.gz: is not an IDX file: it is a PNG image',
    );
  });
});
