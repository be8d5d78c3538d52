/**
 * Filters and activations in real Chromium on WebGPU: after a short run of the CNN preset the first
 * Conv2d's filters and every layer's feature maps are drawn (not blank), and they follow a digit
 * drawn on the evaluation pad; for SimpleNN the first Linear's rows show as 28x28 images. Runs are
 * a few hundred samples, one epoch, for CI's 2-core SwiftShader machine.
 */
import { expect, type Locator, type Page, test } from '@playwright/test';
import { docsShot } from './shots';

/** Loads the page with MNIST, picks `preset` and trains it one short epoch to the end. */
async function trainPreset(page: Page, preset: string) {
  await page.goto('/');
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await data.getByLabel('Validation split (samples)').fill('300');
  await page.getByRole('region', { name: 'Model' }).getByLabel('Preset').selectOption({ label: preset });
  const training = page.getByRole('region', { name: 'Training' });
  for (const [label, value] of Object.entries({
    'Limit training samples': '640',
    Epochs: '1',
    'Batch size': '64',
  }))
    await training.getByLabel(label, { exact: true }).fill(value);
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(training.locator('.run-progress .state')).toHaveText('Finished', { timeout: 240_000 });
  return page.getByRole('region', { name: 'Filters and activations' });
}

/** How many different colours a canvas holds (a blank or uniform one has at most 1). */
function colours(canvas: Locator): Promise<number> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) if (d[i + 3]) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  });
}

/** The feature maps' pixels, joined: changes whenever any layer's maps do. */
function mapsPixels(panel: Locator): Promise<string> {
  return panel.locator('.feature-map canvas').evaluateAll((cs) =>
    cs
      .map((c) => {
        const canvas = c as HTMLCanvasElement;
        return canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data.join(',');
      })
      .join('|'),
  );
}

/** Draws a "7"-like stroke with the mouse on the evaluation pad. */
async function drawSeven(page: Page) {
  const pad = page.getByLabel('Drawing pad: draw a digit');
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  if (!box) throw new Error('the drawing pad has no box');
  const at = (x: number, y: number) => page.mouse.move(box.x + box.width * x, box.y + box.height * y);
  await at(0.25, 0.2);
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) await at(0.25 + i * 0.08, 0.2);
  for (let i = 1; i <= 8; i++) await at(0.73 - i * 0.04, 0.2 + i * 0.08);
  await page.mouse.up();
}

test('the CNN preset shows its filters and feature maps, which follow the drawn digit', async ({ page }) => {
  const panel = await trainPreset(page, 'CNN with BatchNorm');
  // The preset's layers are unnamed, so PyTorch's nn.Sequential names them 0, 1, 2...
  const filters = panel.getByRole('img', { name: /^0\.weight: 16 filters of 1×3×3/ });
  await expect(filters).toBeVisible({ timeout: 60_000 });
  expect(await colours(filters)).toBeGreaterThan(8);
  const maps = panel.locator('.feature-map');
  await expect(maps).toHaveCount(13);
  await expect(maps.first()).toContainText('0 Conv2d [16, 28, 28]');
  await expect(maps.nth(3)).toContainText('3 MaxPool2d [16, 14, 14]');
  await expect(maps.nth(8)).toContainText('8 Flatten [1568] · same values as layer 7, flattened');
  await expect(maps.last()).toContainText(/12 Linear \[10\] · largest at index \d/);
  for (const i of [0, 2, 7, 12]) expect(await colours(maps.nth(i).locator('canvas'))).toBeGreaterThan(2);
  await expect(maps.nth(8).locator('canvas')).toHaveCount(0);
  await panel.locator('figure.weights').screenshot({ path: docsShot('filters.png') });

  const before = await mapsPixels(panel);
  await drawSeven(page);
  await expect(panel.getByRole('button', { name: 'drawn' })).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => mapsPixels(panel), { timeout: 60_000 }).not.toBe(before);
  // The whole panel in view, without the sticky header and the fixed run bar over it.
  await page.setViewportSize({ width: 1440, height: 2800 });
  // Through the CSSOM: the page's Content Security Policy refuses an injected style sheet.
  await page.locator('.header, .run-bar').evaluateAll((els) => {
    for (const e of els) (e as HTMLElement).style.visibility = 'hidden';
  });
  await panel.scrollIntoViewIfNeeded();
  await panel.screenshot({ path: docsShot('activations.png') });

  // A misclassified validation image can be picked too, and the maps follow it.
  const drawn = await mapsPixels(panel);
  await panel.locator('.inspect-pick.wrong').first().click();
  await expect.poll(() => mapsPixels(panel), { timeout: 60_000 }).not.toBe(drawn);
});

test("SimpleNN's first Linear rows show as 28x28 images", async ({ page }) => {
  const panel = await trainPreset(page, 'SimpleNN');
  const weights = panel.getByRole('img', { name: /^fc1\.weight: each of the 128 rows as a 28×28 image/ });
  await expect(weights).toBeVisible({ timeout: 60_000 });
  expect(await weights.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([
    16 * 28 + 15,
    8 * 28 + 7,
  ]);
  expect(await colours(weights)).toBeGreaterThan(50);
  await expect(panel.locator('.feature-map')).toHaveCount(4);
  await expect(panel.locator('.feature-map').nth(1)).toContainText('fc1 Linear [128]');
  await panel.locator('figure.weights').screenshot({ path: 'e2e/screenshots/mlp-weights.png' });
});
