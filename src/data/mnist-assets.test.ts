import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { build, createServer, preview } from 'vite';
import { describe, expect, it } from 'vitest';
import { mnistAssets } from '../../scripts/mnist-assets';
import { loadMnist } from './mnist';
import { MNIST_DATA_DIR } from './testing';

/**
 * The Vite plugin that puts MNIST in the site, checked through real Vite servers: the page's
 * loadMnist must get opaque gzip bytes (no Content-Encoding) from the dev server, the build and
 * the preview server alike.
 */

// Shared with real builds (node_modules/.vite), so gzip -9 runs once per machine, not per test run.
const cacheDir = resolve('node_modules/.vite/kiln-mnist');
const base = '/kiln/';

async function expectServed(origin: string) {
  const url = `${origin}${base}data/mnist/t10k-labels-idx1-ubyte.gz`;
  const response = await fetch(url, { headers: { 'Accept-Encoding': 'gzip, br' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('Content-Encoding')).toBeNull();
  expect(response.headers.get('Content-Type')).toBe('application/octet-stream');
  const body = new Uint8Array(await response.arrayBuffer());
  expect(Number(response.headers.get('Content-Length'))).toBe(body.length);
  expect(gunzipSync(body)).toEqual(readFileSync(join(MNIST_DATA_DIR, 't10k-labels-idx1-ubyte')));

  const { train, test } = await loadMnist({ baseUrl: `${origin}${base}`, cache: false });
  expect(train.labels[0]).toBe(5);
  expect(test.labels[0]).toBe(7);
}

const origin = (address: AddressInfo | string | null | undefined) =>
  `http://localhost:${(address as AddressInfo).port}`;

describe('mnistAssets', () => {
  it('serves data/mnist/*.gz from the dev server', async () => {
    const server = await createServer({
      configFile: false,
      root: mkdtempSync(join(tmpdir(), 'kiln-dev-')),
      base,
      logLevel: 'silent',
      plugins: [mnistAssets({ cacheDir })],
      server: { port: 0, host: 'localhost', ws: false },
      optimizeDeps: { noDiscovery: true },
    });
    await server.listen();
    try {
      await expectServed(origin(server.httpServer?.address()));
      const missing = await fetch(`${origin(server.httpServer?.address())}${base}data/mnist/other.gz`);
      expect(missing.headers.get('Content-Type')).not.toBe('application/octet-stream');
    } finally {
      await server.close();
    }
  });

  it('emits the four files into the build, and the preview server serves them without Content-Encoding', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kiln-build-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    const config = {
      configFile: false as const,
      root,
      base,
      logLevel: 'silent' as const,
      plugins: [mnistAssets({ cacheDir })],
      build: { outDir: 'dist' },
    };
    await build(config);
    const built = readFileSync(join(root, 'dist/data/mnist/train-images-idx3-ubyte.gz'));
    expect(built.length).toBeLessThan(10_000_000);
    expect(gunzipSync(built).length).toBe(47_040_016);

    const server = await preview({ ...config, preview: { port: 0, host: 'localhost' } });
    try {
      await expectServed(origin(server.httpServer.address()));
    } finally {
      await server.close();
    }
  });
});
