/**
 * The benchmark page runs the suite in the browser, Kiln beside TF.js WebGPU on the same adapter,
 * then measures the playground's main thread while it trains. Figures are logged, never asserted
 * against a time: they depend on the machine and on what else runs on it.
 */
import { expect, test } from '@playwright/test';

test('bench.html trains SimpleNN and multiplies matrices with Kiln and TF.js', async ({ page }) => {
  // A benchmark suite on a CPU adapter: small workloads, and a deadline far past what they take.
  test.setTimeout(900_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('bench.html?samples=640&cnn=64&epochs=1&matmul=64x784x128&page=500&gpt-steps=2');
  await expect(page.locator('#status')).toHaveText(/Done\./, { timeout: 840_000 });
  const rows = await page.evaluate(
    () =>
      (window as unknown as { kilnBench: { name: string; kiln: number; tfjs: number | null }[] }).kilnBench,
  );
  expect(rows.map((r) => r.name)).toEqual([
    'SimpleNN train, 640 samples, batch 64 (samples/s)',
    'SimpleNN train, histograms every 50 steps (samples/s)',
    'SimpleNN host time to record and submit a step (us)',
    'LeNet-5 train, 64 samples, batch 64 (samples/s)',
    'CNN with BatchNorm train, 64 samples, batch 64 (samples/s)',
    'GPT train, 4 layers x 128 wide, block 64, batch 16 (tokens/s)',
    'conv2d 1->16 3x3 on 28x28, batch 64, fwd+bwd (images/s)',
    'conv2d 16->32 3x3 on 14x14, batch 64, fwd+bwd (images/s)',
    'matmul 64x784 @ 784x128 (GFLOP/s)',
    'the playground training SimpleNN, 500 samples: longest main-thread task (ms)',
    'the playground training SimpleNN, 500 samples: main-thread tasks over 50 ms',
    'the playground training SimpleNN, 500 samples: longest frame gap (ms)',
    'the playground training SimpleNN, 500 samples: frame gaps over 50 ms',
  ]);
  const [workloads, responsiveness] = [rows.slice(0, 9), rows.slice(9)];
  for (const r of workloads) {
    expect(r.kiln).toBeGreaterThan(0);
    // The host-time, histogram and GPT rows are Kiln's own figures (tfjs-layers has no causal
    // self-attention); every other row has TF.js's beside it.
    if (!/host time|histograms|GPT/.test(r.name)) expect(r.tfjs).toBeGreaterThan(0);
  }
  // The frame gaps were measured (some frame was drawn while it trained).
  expect(responsiveness[2].kiln).toBeGreaterThan(0);
  console.log(responsiveness.map((r) => `${r.name}: ${r.kiln.toFixed(0)}`).join('\n'));
  await expect(page.getByRole('table', { name: 'Benchmark results' }).locator('tbody tr')).toHaveCount(13);
  await page.screenshot({ path: 'e2e/screenshots/bench.png' });
  expect(errors).toEqual([]);
});
