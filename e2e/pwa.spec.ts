/**
 * The offline app in real Chromium: after one visit with the network the manifest is valid, Chromium
 * finds the page installable and the service worker controls it; then, with the network off and
 * the IndexedDB copy of MNIST deleted, a reload shows the app, loads MNIST from the service
 * worker's cache, trains and saves a checkpoint. Nothing is requested from another origin and the
 * content security policy is never violated.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, expect, type Page, test } from '@playwright/test';

/** The width and height a PNG's header declares. */
function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

/** Collects CSP violations in every document the page loads, and the origin of every request. */
async function watch(context: BrowserContext, page: Page) {
  const origins = new Set<string>();
  context.on('request', (r) => {
    if (!r.url().startsWith('data:') && !r.url().startsWith('blob:')) origins.add(new URL(r.url()).origin);
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const violations = () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  return { origins, violations };
}

/** Whether the page's service worker is active and controls the page; resolves to its scope. */
async function controlled(page: Page): Promise<string> {
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, {
    timeout: 30_000,
  });
  return page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
}

/**
 * What Chromium says stops it installing the app at `url`. Asked of a browser with a profile on disk:
 * Playwright's usual contexts are incognito, where nothing is installable.
 */
async function installabilityErrors(url: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-install-'));
  const browser = await chromium.launchPersistentContext(dir, {
    ...test.info().project.use.launchOptions,
    headless: true,
  });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(url);
    await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, {
      timeout: 30_000,
    });
    const cdp = await browser.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    return installabilityErrors.map((e) => e.errorId);
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('after one visit Kiln is installable and trains offline from its caches', async ({
  page,
  context,
  baseURL,
}) => {
  const { origins, violations } = await watch(context, page);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Kiln', level: 1 })).toBeVisible();
  expect(await controlled(page)).toBe(`${baseURL}/`);

  // The manifest: what Chromium needs to install the app, and icons that are what they claim.
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  const manifestUrl = new URL(href ?? '', `${baseURL}/`).href;
  const manifest = await (await page.request.get(manifestUrl)).json();
  expect(manifest).toMatchObject({
    name: 'Kiln',
    short_name: 'Kiln',
    start_url: '/',
    scope: '/',
    display: 'standalone',
  });
  expect(manifest.theme_color).toMatch(/^#/);
  expect(manifest.background_color).toMatch(/^#/);
  const icons = manifest.icons as { src: string; sizes: string; type: string; purpose: string }[];
  for (const want of ['192x192 any', '512x512 any', '192x192 maskable', '512x512 maskable'])
    expect(icons.map((i) => `${i.sizes} ${i.purpose}`)).toContain(want);
  for (const icon of icons.filter((i) => i.type === 'image/png')) {
    const res = await page.request.get(new URL(icon.src, manifestUrl).href);
    expect(res.ok(), icon.src).toBe(true);
    expect(pngSize(await res.body()).join('x')).toBe(icon.sizes);
  }
  const cdp = await context.newCDPSession(page);
  const appManifest = await cdp.send('Page.getAppManifest');
  expect(appManifest.errors).toEqual([]);
  expect(await installabilityErrors(`${baseURL}/`)).toEqual([]);

  // The page loads MNIST (and keeps it in IndexedDB); the service worker's cache gets the files too.
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await expect
    .poll(() => page.evaluate(async () => (await (await caches.open('kiln-datasets')).keys()).length), {
      timeout: 60_000,
    })
    .toBe(4);

  // Network off, and MNIST's IndexedDB copy gone: only the service worker's caches are left.
  await context.setOffline(true);
  await page.evaluate(
    () =>
      new Promise((done) => {
        const r = indexedDB.deleteDatabase('kiln-datasets');
        r.onsuccess = r.onerror = r.onblocked = done;
      }),
  );
  const dataResponses: { url: string; fromSW: boolean; status: number }[] = [];
  context.on('response', (r) => {
    if (r.url().includes('/data/mnist/'))
      dataResponses.push({ url: r.url(), fromSW: r.fromServiceWorker(), status: r.status() });
  });
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Kiln', level: 1 })).toBeVisible();
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await expect(data.getByText('Downloaded')).toBeVisible();
  // All four files came back whole from the service worker: with the network off, from its cache.
  expect(dataResponses).toHaveLength(4);
  for (const r of dataResponses) expect(r, r.url).toMatchObject({ fromSW: true, status: 200 });

  // Train a short run offline and save its checkpoint.
  await page.getByRole('region', { name: 'Model' }).getByLabel('Preset').selectOption({ label: 'SimpleNN' });
  const training = page.getByRole('region', { name: 'Training' });
  for (const [label, value] of Object.entries({ 'Limit training samples': '2000', Epochs: '1' }))
    await training.getByLabel(label, { exact: true }).fill(value);
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(training.getByText('Finished')).toBeVisible({ timeout: 240_000 });
  await expect(
    page.getByRole('region', { name: 'Evaluation' }).getByText(/Validation accuracy/),
  ).toBeVisible();
  const download = page.waitForEvent('download');
  await page
    .getByRole('region', { name: 'Runs' })
    .getByRole('button', { name: 'Download checkpoint' })
    .click();
  const saved = await readFile(await (await download).path());
  // safetensors: an 8-byte little-endian header length, then the JSON header.
  const headerLength = Number(saved.readBigUInt64LE(0));
  expect(JSON.parse(saved.subarray(8, 8 + headerLength).toString('utf8'))).toHaveProperty([
    'model.fc1.weight',
  ]);

  expect(await violations()).toEqual([]);
  expect([...origins]).toEqual([new URL(baseURL ?? '').origin]);
  await context.setOffline(false);
});
