/**
 * The learning-rate finder on the page: Find LR beside the learning rate runs the range test in the
 * worker on the builder's model and the form's settings, draws loss against lr with the steepest
 * descent and minimum/10 marked, and "Use lr" puts the suggestion in the form; Stop ends a test
 * early with its curve so far, and the page stays free to train afterwards.
 */
import { expect, test } from '@playwright/test';
import { docsShot } from './shots';

test("the LR finder's suggestion fills the form", async ({ page }) => {
  await page.goto('/');
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await page.getByRole('region', { name: 'Model' }).getByLabel('Preset').selectOption({ label: 'SimpleNN' });
  const training = page.getByRole('region', { name: 'Training' });
  await training.getByLabel('Optimizer', { exact: true }).selectOption({ label: 'Adam' });
  const lr = training.getByLabel('Learning rate', { exact: true });
  await expect(lr).toHaveValue('0.001');

  // Stopped at once: the curve so far, no error, and Find LR offered again.
  const find = training.getByRole('button', { name: 'Find LR' });
  await find.click();
  const finder = page.getByRole('region', { name: 'Learning-rate finder' });
  await expect(finder).toBeVisible();
  await expect(find).toBeDisabled();
  await expect(training.getByRole('button', { name: 'Train', exact: true })).toBeDisabled();
  await finder.getByRole('button', { name: 'Stop' }).click();
  await expect(finder.getByRole('status')).toHaveText(/^Stopped at step \d+/, { timeout: 120_000 });
  await expect(find).toBeEnabled();

  // The whole test: it ends on the loss blowing up, as it should, with both marks and a suggestion.
  await find.click();
  await expect(finder.getByRole('status')).toHaveText(/^Done in \d+ steps: the loss blew up at lr/, {
    timeout: 180_000,
  });
  await expect(finder.getByText('The LR finder could not run')).toHaveCount(0);
  await expect(finder.getByText(/^steepest /)).toBeVisible();
  await expect(finder.getByText(/^min\/10 /)).toBeVisible();
  const use = finder.getByRole('button', { name: /^Use lr / });
  const suggested = (await use.textContent())?.replace('Use lr ', '') ?? '';
  console.log(`LR finder on the page, SimpleNN/Adam on MNIST: suggested lr ${suggested}`);
  // Adam on SimpleNN: a tenth of the minimum lies between 1e-4 and 1e-1.
  expect(Number(suggested)).toBeGreaterThan(1e-4);
  expect(Number(suggested)).toBeLessThan(1e-1);
  await use.click();
  await expect(lr).toHaveValue(suggested);
  await expect(finder.getByRole('button', { name: `lr ${suggested} is in the form` })).toBeDisabled();
  await expect(training.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();

  // The form's first rows (the lr filled in) and the finder, for the README: scrolled so that the
  // form starts just under the sticky header (the run bar at the foot stays clear of the finder).
  await page.mouse.move(0, 0);
  const header = await page.locator('header.header').boundingBox();
  const grid = training.locator('.form-grid').first();
  const before = await grid.boundingBox();
  if (!header || !before) throw new Error('no boxes');
  await page.evaluate((dy) => window.scrollBy(0, dy), before.y - (header.y + header.height) - 8);
  const form = await grid.boundingBox();
  const box = await finder.boundingBox();
  if (!form || !box) throw new Error('no boxes');
  await page.screenshot({
    path: docsShot('lr-finder.png'),
    clip: { x: form.x - 12, y: form.y - 8, width: form.width + 24, height: box.y + box.height - form.y + 16 },
  });
  // On a phone the chart and its buttons fit the width.
  await page.setViewportSize({ width: 390, height: 844 });
  await finder.scrollIntoViewIfNeeded();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await finder.screenshot({ path: 'e2e/screenshots/lr-finder-390.png' });
  await finder.getByRole('button', { name: 'Close' }).click();
  await expect(finder).toHaveCount(0);
});
