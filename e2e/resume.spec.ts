/**
 * The page resumes its own checkpoint: a run stopped part way, downloaded, and uploaded after a
 * reload opens as the run it was (its settings, its progress, its charts), and Resume finishes it
 * with the checkpoint's settings, the charts going on from where they stopped. Kept small (3,000
 * MNIST samples, a 1,000-sample validation split) for CI's 2-core SwiftShader machine.
 */
import { readFile } from 'node:fs/promises';
import { expect, type Locator, type Page, test } from '@playwright/test';

const SHOTS = 'e2e/screenshots';
/** 3,000 samples in batches of 50: 60 steps an epoch. */
const STEPS_PER_EPOCH = 60;

async function waitForMnist(page: Page) {
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  return data;
}

/** One tag's logged (step, value) points, from the run's "Export scalars" CSV link. */
async function scalars(runs: Locator, tag: string): Promise<{ step: number; value: number }[]> {
  const item = runs.locator('li[aria-current="true"]');
  const details = item.locator('details.export');
  if (!(await details.getAttribute('open'))) await details.locator('summary').click();
  const download = runs.page().waitForEvent('download');
  await item.getByRole('link', { name: `CSV · ${tag}` }).click();
  const csv = await readFile(await (await download).path(), 'utf8');
  await details.locator('summary').click();
  return csv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [, step, value] = line.split(',').map(Number);
      return { step, value };
    });
}

test('a downloaded checkpoint, uploaded after a reload, resumes to the end with its own settings', async ({
  page,
}) => {
  await page.goto('/');
  const data = await waitForMnist(page);
  await data.getByLabel('Validation split (samples)').fill('1000');
  const training = page.getByRole('region', { name: 'Training' });
  await training.getByLabel('Optimizer').selectOption('adamw');
  await training.getByLabel('LR scheduler').selectOption('step');
  // PyTorch's StepLR default: the rate falls tenfold each epoch.
  await expect(training.getByLabel('gamma', { exact: true })).toHaveValue('0.1');
  for (const [label, value] of Object.entries({
    'Limit training samples': '3000',
    Epochs: '3',
    'Batch size': '50',
    'Log every (steps)': '10',
  }))
    await training.getByLabel(label, { exact: true }).fill(value);
  await training.getByRole('button', { name: 'Train', exact: true }).click();

  // Stop part way, once the first epoch is evaluated: the checkpoint is then mid-run.
  const evaluation = page.getByRole('region', { name: 'Evaluation' });
  await expect(evaluation.getByText(/after epoch 1/)).toBeVisible({ timeout: 120_000 });
  await training.getByRole('button', { name: 'Stop' }).click();
  const state = training.locator('.run-progress .state');
  await expect(state).toHaveText('Stopped', { timeout: 60_000 });
  const runs = page.getByRole('region', { name: 'Runs' });
  const before = await scalars(runs, 'Loss/train');
  const stoppedAt = before[before.length - 1].step;
  expect(stoppedAt).toBeLessThan(3 * STEPS_PER_EPOCH);
  // Renamed after it trained: the file carries the name it has when downloaded.
  await runs.getByRole('button', { name: 'Rename SimpleNN #1' }).click();
  await runs.getByLabel('Run name').fill('adamw step');
  await runs.getByLabel('Run name').press('Enter');
  const createdAt = await runs.locator('li[aria-current="true"] .run-meta').textContent();
  const download = page.waitForEvent('download');
  await runs.getByRole('button', { name: 'Download checkpoint' }).click();
  const saved = await download;
  expect(saved.suggestedFilename()).toBe('adamw_step-checkpoint.safetensors');
  const checkpoint = await readFile(await saved.path());

  // After a reload, the form is back at its defaults (Adam, 3 epochs); make it differ more.
  await page.reload();
  await waitForMnist(page);
  await training.getByLabel('Epochs', { exact: true }).fill('7');
  await runs.getByLabel('Upload checkpoint').setInputFiles({
    name: 'stopped-checkpoint.safetensors',
    mimeType: 'application/octet-stream',
    buffer: checkpoint,
  });
  const uploaded = runs.locator('li[aria-current="true"]');
  // Named and dated as the run it was, not after the file; the upload dated apart.
  await expect(uploaded.locator('.run-name')).toHaveText('adamw step');
  const date = createdAt?.split(' · ').at(-1) ?? '';
  await expect(uploaded.locator('.run-meta')).toContainText(`· ${date} · uploaded `);
  await uploaded.screenshot({ path: `${SHOTS}/uploaded-run.png` });
  // The run shows the checkpoint's settings and progress, not the form's.
  await expect(uploaded.locator('.run-meta')).toContainText('adamw lr 0.001');
  await expect(uploaded.locator('.run-meta')).toContainText('weight decay 0.01');
  await expect(uploaded.locator('.run-meta')).toContainText('step schedule');
  await expect(uploaded.locator('.run-meta')).toContainText(/epoch [12]\/3/);
  await expect(state).toHaveText('Stopped');
  await expect(training.locator('.run-stats')).toContainText(/Epoch[12] \/ 3/);
  // Its charts are the ones it had, from the checkpoint's history.
  expect(await scalars(runs, 'Loss/train')).toEqual(before.filter((p) => p.step <= stoppedAt));
  await expect(
    page.locator('figure[aria-label="Loss/train chart"] .recharts-line path').first(),
  ).toBeAttached();

  const resume = training.getByRole('button', { name: 'Resume' });
  await expect(resume).toBeEnabled();
  await expect(training.getByText(/Resume continues adamw step/)).toContainText('adamw');
  // Its PyTorch script is named by the run too.
  const script = page.waitForEvent('download');
  await uploaded.getByRole('button', { name: 'Export PyTorch script' }).click();
  expect((await script).suggestedFilename()).toBe('train_adamw_step.py');
  await resume.click();
  await expect(state).toHaveText('Finished', { timeout: 180_000 });
  await expect(training.locator('.run-stats')).toContainText('Epoch3 / 3');
  await expect(evaluation.getByText(/after epoch 3/)).toBeVisible();
  await expect(resume).toBeDisabled();

  // The charts go on from where they stopped: each logging point once, in order, to the end.
  const loss = await scalars(runs, 'Loss/train');
  const steps = loss.map((p) => p.step);
  expect(steps.slice(0, before.length)).toEqual(before.map((p) => p.step));
  const gaps = steps.slice(1).map((step, i) => step - steps[i]);
  expect(
    gaps.every((g) => g > 0 && g <= 10),
    `steps logged: ${steps.join(', ')}`,
  ).toBe(true);
  expect(steps[steps.length - 1]).toBe(3 * STEPS_PER_EPOCH);
  // With the checkpoint's StepLR: the third epoch trains at 0.001 * 0.1^2.
  const lr = await scalars(runs, 'learning_rate');
  expect(lr[lr.length - 1].value).toBeCloseTo(1e-5, 10);

  // From the top: the page's sticky header would otherwise be drawn over the middle of a full-page shot.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/resumed.png`, fullPage: true });
});
