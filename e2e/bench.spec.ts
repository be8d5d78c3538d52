/** The benchmark page runs the suite in the browser, Kiln beside TF.js WebGPU on the same adapter. */
import { expect, test } from '@playwright/test';

test('bench.html trains SimpleNN and multiplies matrices with Kiln and TF.js', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('bench.html?samples=1280&cnn=128&epochs=1&matmul=64x784x128');
  await expect(page.locator('#status')).toHaveText(/Done\./, { timeout: 240_000 });
  const rows = await page.evaluate(
    () =>
      (window as unknown as { kilnBench: { name: string; kiln: number; tfjs: number | null }[] }).kilnBench,
  );
  expect(rows.map((r) => r.name)).toEqual([
    'SimpleNN train, 1280 samples, batch 64 (samples/s)',
    'SimpleNN host time to record and submit a step (us)',
    'CNN with BatchNorm train, 128 samples, batch 64 (samples/s)',
    'conv2d 1->16 3x3 on 28x28, batch 64, fwd+bwd (images/s)',
    'conv2d 16->32 3x3 on 14x14, batch 64, fwd+bwd (images/s)',
    'matmul 64x784 @ 784x128 (GFLOP/s)',
  ]);
  for (const r of rows) {
    expect(r.kiln).toBeGreaterThan(0);
    // The host-time row is Kiln's own figure; every other row has TF.js's beside it.
    if (!r.name.includes('host time')) expect(r.tfjs).toBeGreaterThan(0);
  }
  await expect(page.getByRole('table', { name: 'Benchmark results' }).locator('tbody tr')).toHaveCount(6);
  await page.screenshot({ path: 'e2e/screenshots/bench.png' });
  expect(errors).toEqual([]);
});
