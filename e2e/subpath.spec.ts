/**
 * The static site under a sub-path: `KILN_BASE=/kiln/ vite build` into dist-subpath/, served by a
 * plain static file server (no SPA fallback, no special headers) at http://localhost:4174/kiln/.
 * The app loads with all its assets and MNIST from under /kiln/, its service worker's scope is
 * /kiln/ and it reloads offline. A new deployment is announced and applied when the user asks, but
 * never while a run is training.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { expect, type Page, test } from '@playwright/test';

const OUT = resolve('dist-subpath');
const BASE = '/kiln/';
const PORT = 4174;
const SITE = `http://localhost:${PORT}${BASE}`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
};

/** What the server answered, path and status, in order. */
const served: string[] = [];
let server: Server;

/** A plain static host: files under `root` at BASE, 404 for anything else. */
function serve(root: string): Promise<Server> {
  const s = createServer(async (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const file = join(root, path.slice(BASE.length), path.endsWith('/') ? 'index.html' : '');
    try {
      if (!path.startsWith(BASE) || !file.startsWith(root + sep) || !(await stat(file)).isFile())
        throw new Error('not found');
      const body = await readFile(file);
      served.push(`${path} 200`);
      res.writeHead(200, {
        // Anything else, the .gz datasets included, is opaque bytes: no Content-Encoding.
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Cache-Control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      served.push(`${path} 404`);
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((done) => s.listen(PORT, 'localhost', () => done(s)));
}

test.beforeAll(async () => {
  execFileSync('npx', ['vite', 'build', '--outDir', OUT, '--emptyOutDir'], {
    env: { ...process.env, KILN_BASE: BASE },
    stdio: 'pipe',
  });
  server = await serve(OUT);
});

test.afterAll(() => new Promise<void>((done) => server.close(() => done())));

/** Opens the site and waits until its service worker controls the page; resolves to the scope. */
async function openControlled(page: Page): Promise<string> {
  await page.goto(SITE);
  await expect(page.getByRole('heading', { name: 'Kiln', level: 1 })).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, {
    timeout: 30_000,
  });
  return page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
}

test('a build under /kiln/ works from a plain static server, offline too', async ({ page, context }) => {
  served.length = 0;
  const failed: string[] = [];
  context.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
  expect(await openControlled(page)).toBe(SITE);

  const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(manifestHref).toBe(`${BASE}manifest.webmanifest`);
  const manifest = await (await page.request.get(new URL(manifestHref ?? '', SITE).href)).json();
  expect(manifest).toMatchObject({ start_url: BASE, scope: BASE, display: 'standalone' });
  for (const icon of manifest.icons as { src: string }[])
    expect((await page.request.get(new URL(icon.src, new URL(manifestHref ?? '', SITE)).href)).ok()).toBe(
      true,
    );

  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await expect(page.locator('header img')).toHaveJSProperty('complete', true);
  expect(
    await page.locator('header img').evaluate((img: HTMLImageElement) => img.naturalWidth),
  ).toBeGreaterThan(0);
  // Everything, the datasets included, came from under /kiln/, and nothing was missing.
  expect(served.filter((s) => !s.startsWith(BASE) || s.endsWith(' 404'))).toEqual([]);
  expect(served).toContain(`${BASE}data/mnist/train-images-idx3-ubyte.gz 200`);
  expect(served).toContain(`${BASE}sw.js 200`);
  expect(failed).toEqual([]);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Kiln', level: 1 })).toBeVisible();
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await context.setOffline(false);
});

test('a new version is offered, held back while a run trains, and applied on Reload', async ({ page }) => {
  await openControlled(page);
  await expect(page.getByRole('region', { name: 'Data' }).getByText('mnist-train')).toBeVisible({
    timeout: 120_000,
  });
  const training = page.getByRole('region', { name: 'Training' });
  await training.getByLabel('Limit training samples', { exact: true }).fill('20000');
  await training.getByLabel('Epochs', { exact: true }).fill('1');
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  const state = training.locator('.run-progress .state');
  await expect(state).toHaveText('Training', { timeout: 60_000 });

  // Deploy a new version (a changed service worker) and let the page find it.
  await page.evaluate(() => {
    (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
  });
  await appendFile(join(OUT, 'sw.js'), `\n// deployed ${Date.now()}\n`);
  await page.evaluate(async () => (await navigator.serviceWorker.ready).update());

  const banner = page.getByTestId('pwa-update');
  await expect(banner).toContainText('A new version of Kiln is ready');
  await expect(banner).toContainText('once training has stopped');
  const reload = banner.getByRole('button', { name: 'Reload' });
  await expect(reload).toBeDisabled();
  await page.waitForTimeout(1000);
  await expect(state).toHaveText('Training');
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(
    true,
  );

  await training.getByRole('button', { name: 'Stop' }).click();
  await expect(state).toHaveText('Stopped', { timeout: 30_000 });
  await expect(reload).toBeEnabled();
  await Promise.all([page.waitForEvent('load'), reload.click()]);
  await expect(page.getByRole('heading', { name: 'Kiln', level: 1 })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(
    undefined,
  );
  await expect(banner).toHaveCount(0);
  expect(
    await page.evaluate(async () => {
      const r = await navigator.serviceWorker.ready;
      return { waiting: r.waiting !== null, controlled: navigator.serviceWorker.controller !== null };
    }),
  ).toEqual({ waiting: false, controlled: true });
});
