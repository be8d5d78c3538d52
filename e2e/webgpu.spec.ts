/** The page finds a real WebGPU adapter, shows it, and runs Kiln's own kernels right in Chromium. */
import { expect, test } from '@playwright/test';

test('shows the WebGPU adapter the browser offered', async ({ page }) => {
  await page.goto('/');
  const card = page.getByRole('region', { name: 'GPU adapter' });
  await expect(card).toBeVisible();
  // The limits and features are folded under the adapter's name.
  await card.getByText('Limits and features').click();
  await expect(card.getByText('Max storage binding')).toBeVisible();
  // The vendor comes from adapter.info; SwiftShader reports "google", a real GPU its maker.
  const vendor = await page.evaluate(async () => (await navigator.gpu.requestAdapter())?.info.vendor ?? '');
  expect(vendor).not.toBe('');
  await expect(card.getByText(vendor, { exact: true }).first()).toBeVisible();
  await expect(page.locator('header')).toContainText('WebGPU');
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test("runs Kiln's own kernels in the page: a training step of a transformer and a CNN agrees with the cpu reference", async ({
  page,
}) => {
  await page.goto('/bench.html?check=1');
  await expect(page.getByText(/Done: \d+ of \d+ tensors agree/)).toBeVisible({ timeout: 120_000 });
  const rows = await page.evaluate(
    () => (window as unknown as { kilnCheck: { name: string; maxError: number; ok: boolean }[] }).kilnCheck,
  );
  expect(rows.length).toBeGreaterThan(20);
  expect(rows.filter((r) => !r.ok)).toEqual([]);
  expect(rows.map((r) => r.name)).toContain('transformer h.1.0.attn.c_attn.weight.grad');
});
