/**
 * A text run's checkpoint (the tiny GPT of src/train/testing.ts, src/train/fixtures/tiny-gpt.safetensors)
 * uploaded to the page: the Sample and attention panel appears for it (not for MNIST models), a
 * sample's text appears in the box, a prompt character outside the vocabulary is refused in one
 * line, and the attention view draws one heatmap per head and the likeliest next characters.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';

test('an uploaded GPT samples text and shows its attention', async ({ page }) => {
  await page.goto('/');
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  const panel = page.getByRole('region', { name: 'Sample and attention' });
  await expect(panel).toHaveCount(0);

  const runs = page.getByRole('region', { name: 'Runs' });
  await runs.getByLabel('Upload checkpoint').setInputFiles({
    name: 'tiny-gpt.safetensors',
    mimeType: 'application/octet-stream',
    buffer: await readFile('src/train/fixtures/tiny-gpt.safetensors'),
  });
  await expect(runs.locator('li[aria-current="true"]')).toContainText('tiny-gpt');
  await expect(panel).toBeVisible();

  const sample = panel.getByRole('form', { name: 'Sample' });
  await sample.getByLabel('Prompt').fill('hello');
  await sample.getByLabel('Length').fill('40');
  await sample.getByRole('button', { name: 'Sample' }).click();
  await expect(sample.getByTestId('sample-text')).toHaveText(/^hello[\s\S]{40}$/);
  await expect(sample.getByRole('button', { name: 'Sample' })).toBeEnabled();

  await sample.getByLabel('Prompt').fill('hello?');
  await sample.getByRole('button', { name: 'Sample' }).click();
  await expect(
    sample.getByText(
      /the prompt: the character "\?" \(U\+003F\) at line 1, column 6 is not in the vocabulary/,
    ),
  ).toBeVisible();

  await panel.getByLabel('Look inside with').fill('hello wor');
  await panel.getByRole('button', { name: 'Show attention' }).click();
  await expect(
    panel.getByRole('img', { name: /^head \d: attention weights, 8 by 8 positions$/ }),
  ).toHaveCount(2);
  const next = panel.getByRole('list', { name: 'Likeliest next characters' });
  await expect(next.locator('li')).toHaveCount(10);
  const w = panel.getByRole('button', { name: 'w', exact: true });
  await w.click();
  await expect(w).toHaveAttribute('aria-pressed', 'true');
  await expect(next.locator('li')).toHaveCount(10);
  await page.screenshot({ path: 'e2e/screenshots/sample-attention.png', fullPage: true });
});
