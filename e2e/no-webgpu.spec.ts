/** Without a usable WebGPU the page explains why, what to try, and that it trains on the WASM backend. */
import { expect, type Page, test } from '@playwright/test';

async function expectExplanation(page: Page, headline: RegExp) {
  await page.goto('/');
  const banner = page.getByRole('alert');
  await expect(banner).toBeVisible();
  await expect(banner.getByRole('heading', { level: 2 })).toHaveText(headline);
  await expect(banner).toContainText('WASM backend');
  await expect(page.locator('header')).toContainText('WASM backend');
  await expect(page.getByRole('heading', { name: 'Kiln' })).toBeVisible();
}

test('explains a browser without navigator.gpu', async ({ page }) => {
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: GPU }).gpu;
  });
  await expectExplanation(page, /does not offer WebGPU/);
  await expect(page.getByRole('alert')).toContainText('Chrome or Edge 113+');
  await expect(page.getByRole('alert')).toContainText('--enable-unsafe-webgpu');
});

test('explains a browser whose requestAdapter resolves null', async ({ page }) => {
  await page.addInitScript(() => {
    GPU.prototype.requestAdapter = async () => null;
  });
  await expectExplanation(page, /no GPU adapter/);
  await expect(page.getByRole('alert')).toContainText('Update your GPU driver');
});

test('explains an adapter whose requestDevice fails', async ({ page }) => {
  await page.addInitScript(() => {
    GPUAdapter.prototype.requestDevice = async () => {
      throw new DOMException('simulated device failure', 'OperationError');
    };
  });
  await expectExplanation(page, /refused to create a device/);
  await page.getByText('Technical detail').click();
  await expect(page.getByRole('alert')).toContainText('simulated device failure');
});

test('without WebGPU the page still trains, on the WASM backend on threads (the page is cross-origin isolated), and says so', async ({
  page,
}) => {
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: GPU }).gpu;
  });
  await page.goto('/');
  // The preview server sends COOP/COEP, so the page is cross-origin isolated and the WASM backend
  // runs on threads: as many as the browser reports cores, at most 8.
  const [isolated, cores] = await page.evaluate(() => [crossOriginIsolated, navigator.hardwareConcurrency]);
  expect(isolated).toBe(true);
  const threads = Math.min(cores, 8);
  // The badge follows the worker's own report: WASM once the worker has compiled the SIMD kernels
  // and started its threads.
  await expect(page.locator('header')).toContainText(
    threads > 1 ? `WASM backend, ${threads} threads (no WebGPU)` : 'WASM backend (no WebGPU)',
    { timeout: 60_000 },
  );
  await expect(page.getByRole('region', { name: 'Data' }).getByText('mnist-train')).toBeVisible({
    timeout: 120_000,
  });
  const training = page.getByRole('region', { name: 'Training' });
  await training.getByLabel('Limit training samples', { exact: true }).fill('640');
  await training.getByLabel('Epochs', { exact: true }).fill('1');
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  const accText = page
    .getByRole('region', { name: 'Evaluation' })
    .getByText(/Validation accuracy \d+\.\d\d%/);
  await expect(accText).toBeVisible({ timeout: 180_000 });
  const acc = Number((await accText.textContent())?.match(/([\d.]+)%/)?.[1]);
  expect(acc).toBeGreaterThan(50);
});

test('a page that is not cross-origin isolated runs the WASM backend on one thread, and says so', async ({
  page,
}) => {
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: GPU }).gpu;
  });
  // The same site without the two headers (as a static host without them, or the service worker, serves it).
  await page.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  await page.goto('/');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  const badge = page.locator('header').getByText('WASM backend (no WebGPU)');
  await expect(badge).toBeVisible({ timeout: 60_000 });
  await expect(badge).toHaveAttribute('title', /one thread/);
  // A request still in flight (the icon) would otherwise fail its fetch once the test has ended,
  // and the error would land on the next test.
  await page.unrouteAll({ behavior: 'ignoreErrors' });
});

test("runs the wasm backend's kernels in Chromium without WebGPU: a training step agrees with the cpu reference", async ({
  page,
}) => {
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: GPU }).gpu;
  });
  await page.goto('/bench.html?check=wasm');
  await expect(page.getByText(/WASM backend\. Done: \d+ of \d+ tensors agree/)).toBeVisible({
    timeout: 120_000,
  });
  const rows = await page.evaluate(
    () => (window as unknown as { kilnCheck: { name: string; maxError: number; ok: boolean }[] }).kilnCheck,
  );
  expect(rows.length).toBeGreaterThan(20);
  expect(rows.filter((r) => !r.ok)).toEqual([]);
  expect(rows.filter((r) => r.name.startsWith('CNN preset ')).length).toBeGreaterThan(5);
});
