/**
 * The model tree in the page: a transformer preset shown as blocks (folded and unfolded), edited
 * inside a block with live shapes and counts, and trained on MNIST's rows in the worker.
 */
import { expect, test } from '@playwright/test';

test('the transformer preset shows its blocks, edits inside them live, and trains', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('region', { name: 'Data' }).getByText('mnist-train')).toBeVisible({
    timeout: 120_000,
  });
  const model = page.getByRole('region', { name: 'Model' });
  await model.getByLabel('Preset').selectOption({ label: 'Transformer on image rows' });
  await expect(model.getByText('121,674')).toBeVisible();
  await expect(model.getByText('Ready to train: outputs 10 class scores.')).toBeVisible();

  // The repeated block folds to one line and unfolds again.
  const attention = model.getByRole('listitem', { name: 'Layer 3.0.1 CausalSelfAttention' });
  await expect(attention).toBeVisible();
  await expect(attention.getByText('→ [28, 64]')).toBeVisible();
  await model.getByRole('button', { name: 'Fold 3 Repeat' }).click();
  await expect(attention).toBeHidden();
  await expect(model.getByText('(2 layers)')).toBeVisible();
  await model.getByRole('button', { name: 'Unfold 3 Repeat' }).click();
  await expect(attention).toBeVisible();

  // One copy instead of two: the block's 49,984 parameters go.
  await model
    .getByRole('listitem', { name: 'Layer 3 Repeat' })
    .getByLabel('times', { exact: true })
    .first()
    .fill('1');
  await expect(model.getByText('71,690')).toBeVisible();

  // A Dropout added inside the MLP block takes the shape it receives.
  const mlp = model.getByRole('listitem', { name: 'Layer 3.1 Residual' });
  await mlp.getByLabel('Layer type').last().selectOption('Dropout');
  await mlp.getByRole('button', { name: 'Add to mlp_block' }).click();
  await expect(
    model.getByRole('listitem', { name: 'Layer 3.1.4 Dropout' }).getByText('→ [28, 64]'),
  ).toBeVisible();

  // A width that does not fit is named where it is, and Train waits for a valid model.
  const head = model.getByRole('listitem', { name: 'Layer 6 Linear' });
  await head.getByLabel('in_features').fill('1000');
  await expect(head.getByText('in_features is 1000 but the input has 1792 features')).toBeVisible();
  await head.getByLabel('in_features').fill('1792');

  const training = page.getByRole('region', { name: 'Training' });
  for (const [label, value] of Object.entries({
    'Limit training samples': '640',
    Epochs: '1',
    'Batch size': '32',
  }))
    await training.getByLabel(label, { exact: true }).fill(value);
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(training.locator('.run-progress .state')).toHaveText('Finished', { timeout: 240_000 });
  const acc = page.getByRole('region', { name: 'Evaluation' }).getByText(/Validation accuracy \d+\.\d\d%/);
  await expect(acc).toBeVisible();
  expect(Number((await acc.textContent())?.match(/([\d.]+)%/)?.[1])).toBeGreaterThan(20);
});
