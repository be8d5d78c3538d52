/** The model builder shows live shapes and parameter counts, and flags a layer that cannot follow its input. */
import { expect, test } from '@playwright/test';

test('editing a layer updates shapes and flags an impossible stack', async ({ page }) => {
  await page.goto('/');
  const builder = page.getByRole('region', { name: 'Model' });
  await expect(builder.getByText('Ready to train')).toBeVisible();
  await expect(builder.locator('.model-summary')).toContainText('101,770');

  // SimpleNN's fc1 is layer 1: narrowing it breaks fc2, which still expects 128 features.
  const fc1 = builder.getByRole('listitem', { name: 'Layer 1 Linear' });
  await fc1.getByLabel('out_features').fill('64');
  await expect(fc1).toContainText('→ [64]');
  const fc2 = builder.getByRole('listitem', { name: 'Layer 3 Linear' });
  await expect(fc2).toContainText('in_features is 128 but the input has 64 features');
  await expect(builder.getByText('Cannot train yet')).toBeVisible();

  await fc2.getByLabel('in_features').fill('64');
  await expect(builder.getByText('Ready to train')).toBeVisible();
  // 784·64 + 64 + 64·10 + 10 = 50,176 + 64 + 640 + 10
  await expect(builder.locator('.model-summary')).toContainText('50,890');
});

test('layers can be added, moved and removed from the keyboard', async ({ page }) => {
  await page.goto('/');
  const builder = page.getByRole('region', { name: 'Model' });
  await builder.getByLabel('Preset').selectOption({ label: 'LeNet-5' });
  await expect(builder.getByRole('listitem')).toHaveCount(12);
  await builder.getByLabel('Layer type').selectOption('Dropout');
  await builder.getByRole('button', { name: 'Add layer' }).press('Enter');
  await expect(builder.getByRole('listitem')).toHaveCount(13);
  const up = builder.getByRole('button', { name: 'Move layer 12 Dropout up' });
  await up.focus();
  await page.keyboard.press('Enter');
  await expect(builder.getByRole('listitem', { name: 'Layer 11 Dropout' })).toBeVisible();
  // Focus followed the layer, so a second press moves it again.
  await page.keyboard.press('Enter');
  await expect(builder.getByRole('listitem', { name: 'Layer 10 Dropout' })).toBeVisible();
  await builder.getByRole('button', { name: 'Remove layer 10 Dropout' }).click();
  await expect(builder.getByRole('listitem')).toHaveCount(12);
  await expect(builder.getByText('Ready to train')).toBeVisible();
});
