/**
 * The playground end to end in real Chromium on WebGPU: MNIST downloads with a progress bar and is
 * cached, SimpleNN trains live in the worker, the run is evaluated, kept
 * across a reload, drawn on, exported and loaded back; and the failure paths explain themselves.
 * Runs are kept short (a few thousand samples, one epoch) for CI's 2-core SwiftShader machine.
 */
import { readFile } from 'node:fs/promises';
import { expect, type Page, test } from '@playwright/test';
import { docsShot } from './shots';

const SHOTS = 'e2e/screenshots';

/** Records whether a per-file download bar was ever on screen. */
async function instrument(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __sawDownloadBar: boolean };
    w.__sawDownloadBar = false;
    new MutationObserver(() => {
      if (document.querySelector('.download-file')) w.__sawDownloadBar = true;
    }).observe(document, { childList: true, subtree: true });
  });
}

/** Sets the training fields for a short run. */
async function configure(page: Page, fields: Record<string, string>) {
  const panel = page.getByRole('region', { name: 'Training' });
  for (const [label, value] of Object.entries(fields))
    await panel.getByLabel(label, { exact: true }).fill(value);
  return panel;
}

async function waitForMnist(page: Page) {
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  return data;
}

/** Draws a "1"-like stroke with the mouse on the pad. */
async function drawOne(page: Page) {
  const pad = page.getByLabel('Drawing pad: draw a digit');
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  if (!box) throw new Error('the drawing pad has no box');
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++)
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.15 + i * 0.06));
  await page.mouse.up();
}

test('MNIST downloads, SimpleNN trains an epoch live, and the run survives a reload', async ({ page }) => {
  await instrument(page);
  await page.goto('/');
  const data = await waitForMnist(page);
  expect(
    await page.evaluate(() => (window as unknown as { __sawDownloadBar: boolean }).__sawDownloadBar),
  ).toBe(true);
  await expect(data.getByText('Downloaded')).toBeVisible();
  await expect(data.locator('.samples canvas')).toHaveCount(24);

  await page.getByRole('region', { name: 'Model' }).getByLabel('Preset').selectOption({ label: 'SimpleNN' });
  const training = await configure(page, {
    'Limit training samples': '3000',
    Epochs: '1',
    'Batch size': '32',
  });
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  const evaluation = page.getByRole('region', { name: 'Evaluation' });
  await expect(training.locator('.run-progress .state')).toHaveText('Finished', { timeout: 120_000 });
  const accText = evaluation.getByText(/Validation accuracy \d+\.\d\d%/);
  await expect(accText).toBeVisible();
  const acc = Number((await accText.textContent())?.match(/([\d.]+)%/)?.[1]);
  expect(acc).toBeGreaterThan(85);
  await expect(evaluation.getByText(/Validation loss \d/)).toBeVisible();
  await expect(evaluation.getByRole('table', { name: /Confusion matrix/ }).locator('tbody tr')).toHaveCount(
    10,
  );
  await expect(page.locator('figure[aria-label="Accuracy/val chart"]')).toBeVisible();
  await expect(page.locator('figure[aria-label="learning_rate chart"]')).toBeVisible();
  await expect(training.getByText('Finished')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/trained.png`, fullPage: true });

  await drawOne(page);
  await expect(evaluation.getByText(/Prediction \d/)).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: `${SHOTS}/evaluated.png`, fullPage: true });
  await page.setViewportSize({ width: 1440, height: 1100 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: docsShot('screenshot.png') });

  // Download the checkpoint, to load it back after the reload.
  const runs = page.getByRole('region', { name: 'Runs' });
  const download = page.waitForEvent('download');
  await runs.getByRole('button', { name: 'Download checkpoint' }).click();
  const checkpointPath = await (await download).path();

  // After a reload: MNIST from IndexedDB with no data request, and the run is still there.
  const dataRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/data/mnist/')) dataRequests.push(r.url());
  });
  await page.reload();
  await waitForMnist(page);
  await expect(data.getByText('Loaded from cache')).toBeVisible();
  expect(dataRequests).toEqual([]);
  await expect(runs.getByRole('listitem')).toHaveCount(1);
  await expect(runs.getByText(`${acc.toFixed(2)}%`)).toBeVisible();
  await expect(
    page.locator('figure[aria-label="Loss/train chart"] .recharts-line path').first(),
  ).toBeAttached();

  // The restored run predicts from its stored checkpoint.
  await drawOne(page);
  await expect(evaluation.getByText(/Prediction \d/)).toBeVisible({ timeout: 30_000 });

  // Renaming sticks across reloads too.
  await runs.getByRole('button', { name: /^Rename/ }).click();
  await runs.getByLabel('Run name').fill('baseline');
  await runs.getByLabel('Run name').press('Enter');
  await expect(runs.getByRole('button', { name: 'baseline', exact: true })).toBeVisible();

  // The downloaded checkpoint loads back as a new run that predicts.
  await runs.getByLabel('Upload checkpoint').setInputFiles({
    name: 'baseline-checkpoint.safetensors',
    mimeType: 'application/octet-stream',
    buffer: await readFile(checkpointPath),
  });
  await expect(runs.getByRole('listitem')).toHaveCount(2);
  // Named as its run was when downloaded (renamed since), not after the file; dated apart as uploaded.
  await expect(evaluation.getByText('SimpleNN #1')).toBeVisible();
  await expect(runs.locator('li[aria-current="true"] .run-meta')).toContainText('uploaded');
  await page.reload();
  // The run's own row (from two runs on, the runs table names it too).
  await expect(
    page
      .getByRole('region', { name: 'Runs' })
      .getByRole('listitem')
      .getByRole('button', { name: 'baseline', exact: true }),
  ).toBeVisible();
});

test('a run pauses, resumes and stops within a step, saying what it is doing', async ({ page }) => {
  await page.goto('/');
  await waitForMnist(page);
  // Logging every 1000 steps, more than the epoch has: a pause that waited for a logging point
  // would act only at the epoch's end.
  const training = await configure(page, {
    'Limit training samples': '20000',
    Epochs: '1',
    'Log every (steps)': '1000',
  });
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  const state = training.locator('.run-progress .state');
  // The first step compiles the kernels, then it trains.
  await expect(state).toHaveText('Training', { timeout: 60_000 });
  await training.getByRole('button', { name: 'Pause' }).click();
  await expect(state).toHaveText('Paused', { timeout: 30_000 });
  const stepText = training.locator('.run-stats div', { hasText: 'Step' }).locator('dd');
  const epochText = training.locator('.run-stats div', { hasText: 'Epoch' }).locator('dd');
  const [taken, perEpoch] = ((await stepText.textContent()) ?? '').split(' / ').map(Number);
  expect(taken).toBeGreaterThan(0);
  expect(taken).toBeLessThan(perEpoch);
  // Paused in its first epoch, not "epoch 0", and it stays where it paused.
  await expect(epochText).toHaveText('1 / 1');
  await page.waitForTimeout(1500);
  await expect(stepText).toHaveText(`${taken} / ${perEpoch}`);
  // No epoch has been evaluated yet: no headline (it once read "Validation accuracy NaN%").
  await expect(
    page.getByRole('region', { name: 'Evaluation' }).getByText(/Validation accuracy/),
  ).toBeHidden();
  await page.screenshot({ path: `${SHOTS}/paused.png`, fullPage: true });
  await training.getByRole('button', { name: 'Resume' }).click();
  await expect(state).toHaveText('Training', { timeout: 30_000 });
  await training.getByRole('button', { name: 'Stop' }).click();
  await expect(state).toHaveText('Stopped', { timeout: 30_000 });
  const [stoppedAt] = ((await stepText.textContent()) ?? '').split(' / ').map(Number);
  expect(stoppedAt).toBeLessThan(perEpoch);
  await expect(epochText).toHaveText('1 / 1');
});

test('a diverging loss stops the run and suggests a lower learning rate', async ({ page }) => {
  await page.goto('/');
  await waitForMnist(page);
  // Plain SGD at an absurd rate: the weights overflow float32 within a few steps.
  await page.getByRole('region', { name: 'Training' }).getByLabel('Optimizer').selectOption('sgd');
  const training = await configure(page, {
    'Limit training samples': '2000',
    Epochs: '1',
    'Learning rate': '10000000000',
  });
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  const evaluation = page.getByRole('region', { name: 'Evaluation' });
  await expect(evaluation.getByText('The loss diverged')).toBeVisible({ timeout: 120_000 });
  await expect(evaluation.getByText(/Try a lower learning rate/)).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/diverged.png`, fullPage: true });
});

test('a corrupt checkpoint upload is refused with a clear error and nothing changes', async ({ page }) => {
  await page.goto('/');
  await waitForMnist(page);
  const runs = page.getByRole('region', { name: 'Runs' });
  await runs.getByLabel('Upload checkpoint').setInputFiles({
    name: 'broken.safetensors',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('this is not a safetensors file at all'),
  });
  await expect(runs.getByRole('alert')).toContainText('Could not load the checkpoint: broken.safetensors');
  await expect(runs.getByRole('listitem')).toHaveCount(0);
});
