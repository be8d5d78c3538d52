import { describe, expect, it } from 'vitest';
import { type DownloadProgress, download } from './download';
import { DatasetError } from './errors';
import { streamedResponse } from './testing';

const serve = (response: () => Response | Promise<Response>) =>
  (async () => response()) as unknown as typeof fetch;

describe('download', () => {
  it('returns the bytes and reports progress up to the Content-Length', async () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const seen: DownloadProgress[] = [];
    const got = await download('http://site/f.gz', 'f.gz', {
      fetch: serve(() => streamedResponse(bytes, {}, 300)),
      onProgress: (p) => seen.push(p),
    });
    expect(got).toEqual(bytes);
    expect(seen.map((p) => p.loadedBytes)).toEqual([0, 300, 600, 900, 1000, 1000]);
    expect(seen.every((p) => p.totalBytes === 1000 && p.file === 'f.gz')).toBe(true);
  });

  it('leaves the total unknown when the body is content-encoded', async () => {
    const seen: DownloadProgress[] = [];
    await download('u', 'f', {
      fetch: serve(() => streamedResponse(new Uint8Array(10), { 'Content-Encoding': 'gzip' })),
      onProgress: (p) => seen.push(p),
    });
    expect(seen[0].totalBytes).toBeUndefined();
    expect(seen.at(-1)).toEqual({ file: 'f', loadedBytes: 10, totalBytes: 10 });
  });

  it('refuses HTTP errors, HTML fallback pages and network failures with the file and URL', async () => {
    const notFound = serve(() => new Response('no', { status: 404, statusText: 'Not Found' }));
    await expect(download('http://site/a.gz', 'a.gz', { fetch: notFound })).rejects.toThrow(
      new DatasetError('a.gz', 'could not be downloaded from http://site/a.gz: HTTP 404 Not Found'),
    );
    const html = serve(() => new Response('<!doctype html>', { headers: { 'Content-Type': 'text/html' } }));
    await expect(download('http://site/a.gz', 'a.gz', { fetch: html })).rejects.toThrow(
      /answered with an HTML page/,
    );
    const offline = serve(() => Promise.reject(new TypeError('fetch failed')));
    const error = await download('http://site/a.gz', 'a.gz', { fetch: offline }).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toBe('a.gz: could not be downloaded from http://site/a.gz (fetch failed)');
  });

  it('passes a cancellation through as the AbortError it is', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await download('http://127.0.0.1:9/x', 'x', { signal: controller.signal }).catch((e) => e);
    expect(error).not.toBeInstanceOf(DatasetError);
    expect(error.name).toBe('AbortError');
  });
});
