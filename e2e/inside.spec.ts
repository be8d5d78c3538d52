/**
 * Inside the network, end to end on WebGPU: during a short SimpleNN run the Histograms,
 * Distributions and Gradient health views grow as the worker posts histograms (every 10 steps in
 * such short epochs), and a run made to explode (Adam at a learning rate of 1, whose every step
 * moves the weights by many times their size) is named in a plain warning. A reload brings the
 * last histograms back from storage, and says so where storage holds none. Screenshots for
 * docs/ (with npm run docs:shots).
 */
import { expect, type Locator, type Page, test } from '@playwright/test';
import { docsShot } from './shots';

async function start(page: Page, fields: Record<string, string>, optimizer?: string) {
  await page.goto('/');
  await expect(page.getByRole('region', { name: 'Data' }).getByText('mnist-train')).toBeVisible({
    timeout: 120_000,
  });
  await page.getByRole('region', { name: 'Model' }).getByLabel('Preset').selectOption({ label: 'SimpleNN' });
  const training = page.getByRole('region', { name: 'Training' });
  if (optimizer) await training.getByLabel('Optimizer').selectOption({ label: optimizer });
  for (const [label, value] of Object.entries(fields))
    await training.getByLabel(label, { exact: true }).fill(value);
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  return training;
}

/** Hides the run bar, fixed at the window's foot, which would cover a panel's lower edge in a screenshot. */
async function hideRunBar(page: Page) {
  // Through the CSSOM: the page's CSP refuses an injected style sheet.
  await page.locator('.run-bar').evaluate((bar: HTMLElement) => {
    bar.style.display = 'none';
  });
}

/** Points drawn on a health chart's first line (its path's segments). */
async function linePoints(chart: Locator): Promise<number> {
  const d = (await chart.locator('.line path').first().getAttribute('d')) ?? '';
  return (d.match(/[ML]/g) ?? []).length;
}

test('histograms, distributions and gradient health update while SimpleNN trains', async ({ page }) => {
  const training = await start(page, { 'Limit training samples': '3000', Epochs: '2', 'Batch size': '32' });
  const histograms = page.getByRole('region', { name: 'Histograms' });
  const health = page.getByRole('region', { name: 'Gradient health' });
  const slices = histograms.locator('figure[aria-label="Histograms of fc1.weight"] .hist-slice');
  const norms = health.locator('figure[aria-label="Gradient norm chart"]');
  await expect(slices.first()).toBeAttached({ timeout: 120_000 });

  // Pause so that the first look is taken mid-run, then let it finish: both views must have grown.
  await training.getByRole('button', { name: 'Pause' }).click();
  const state = training.locator('.run-progress .state');
  await expect(state).toHaveText('Paused');
  const [slicesBefore, normsBefore] = [await slices.count(), await linePoints(norms)];
  await training.getByRole('button', { name: 'Resume' }).click();
  await expect(state).toHaveText('Finished', { timeout: 240_000 });
  // A read in flight at the pause may land after the first look: more than one more is growth.
  expect(await slices.count()).toBeGreaterThan(slicesBefore + 1);
  expect(await linePoints(norms)).toBeGreaterThan(normsBefore + 1);

  // Distributions draw the same tag's percentile bands; the gradient's histograms are a pick away.
  await expect(histograms.locator('figure[aria-label="Distributions of fc1.weight"] .dist-band')).toHaveCount(
    4,
  );
  await histograms.getByLabel('Parameter').selectOption('fc1.weight.grad');
  await expect(
    histograms.locator('figure[aria-label="Histograms of fc1.weight.grad"] .hist-slice').first(),
  ).toBeAttached();
  await histograms.getByLabel('Parameter').selectOption('fc1.weight');

  // A healthy run: update ratios near the rule of thumb, a dead-ReLU line, no warning.
  await expect(health.locator('figure[aria-label="Update / weight ratio chart"] .reference')).toBeVisible();
  await expect(health.locator('figure[aria-label="Dead ReLU units (fraction) chart"]')).toContainText('relu');
  await expect(health.getByRole('alert')).toHaveCount(0);
  await hideRunBar(page);
  await histograms.screenshot({ path: docsShot('histograms.png') });
  await health.screenshot({ path: docsShot('gradient-health.png') });

  // A reload brings the run's last histograms back from this browser's storage, as they were.
  const shown = await slices.count();
  await page.reload();
  await expect(slices).toHaveCount(shown);
  await expect(histograms.locator('figure[aria-label="Distributions of fc1.weight"] .dist-band')).toHaveCount(
    4,
  );
  // Histograms storage does not hold (a run from before the page stored them): the panel says so.
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('kiln-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('histograms', 'readwrite');
          tx.objectStore('histograms').clear();
          tx.oncomplete = () => {
            open.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
  await page.reload();
  const note = histograms.getByRole('status');
  await expect(note).toContainText(
    "SimpleNN #1's histograms were not kept: it trained before this page stored them",
  );
  await expect(note).toContainText('Its charts, gradient health included, are kept.');
  await expect(slices).toHaveCount(0);
  await hideRunBar(page);
  await histograms.screenshot({ path: 'e2e/screenshots/histograms-not-kept.png' });
});

test('a run made to explode is named in a gradient warning that stays after the layer dies', async ({
  page,
}) => {
  // SGD at a learning rate of 30: within ten steps the gradient norms grow thousands of times over
  // their first step's, then the ReLUs die and the gradients are 0 from then on.
  const training = await start(
    page,
    { 'Learning rate': '30', 'Limit training samples': '1000', Epochs: '1', 'Batch size': '32' },
    'SGD',
  );
  await expect(training.locator('.run-progress .state')).toHaveText(/Finished|Failed/, { timeout: 240_000 });
  const health = page.getByRole('region', { name: 'Gradient health' });
  const warning = health.getByRole('alert').first();
  await expect(warning).toContainText(
    /^fc1: gradients exploded \(fc1\.weight: at step \d+ its gradient norm/,
  );
  await expect(warning).toContainText('Try a lower learning rate, gradient clipping');
  await expect(
    health.getByRole('alert').filter({ hasText: /^relu: \d+% of this ReLU's units/ }),
  ).toBeVisible();
  await hideRunBar(page);
  await health.screenshot({ path: 'e2e/screenshots/gradient-warning.png' });
});
