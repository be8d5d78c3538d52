/**
 * Leaving the page mid-epoch loses no more than a few steps: as the page goes away (pagehide) the
 * training run keeps a checkpoint where it stands, and after the reload Resume goes on from that
 * step, not from the epoch's start. A share link with a bad value is refused in one line and the
 * page stays whole. Kept small (3,000 MNIST samples) for CI's 2-core SwiftShader machine.
 */
import { expect, test } from '@playwright/test';

test('a run left mid-epoch resumes after a reload from the step it had reached', async ({ page }) => {
  await page.goto('/');
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await data.getByLabel('Validation split (samples)').fill('500');
  const training = page.getByRole('region', { name: 'Training' });
  // 3,000 samples in batches of 10: 300 steps, far more than pass before the page is left.
  for (const [label, value] of Object.entries({
    'Limit training samples': '3000',
    Epochs: '1',
    'Batch size': '10',
  }))
    await training.getByLabel(label, { exact: true }).fill(value);
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  const state = training.locator('.run-progress .state');
  await expect(state).toHaveText('Training', { timeout: 120_000 });

  // What the browser sends as the page goes away; the worker answers after the step in hand.
  await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide')));
  const runs = page.getByRole('region', { name: 'Runs' });
  /** The step of the checkpoint the run's stored record notes (0 before any). */
  const storedStep = () =>
    page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const open = indexedDB.open('kiln-runs');
          open.onsuccess = () => {
            const all = open.result.transaction('runs', 'readonly').objectStore('runs').getAll();
            all.onsuccess = () =>
              resolve(
                Math.max(0, ...all.result.map((r: { checkpointStep?: number }) => r.checkpointStep ?? 0)),
              );
            all.onerror = () => resolve(0);
          };
          open.onerror = () => resolve(0);
        }),
    );
  await expect.poll(storedStep, { timeout: 120_000 }).toBeGreaterThan(0);
  const step = await storedStep();

  await page.reload();
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await expect(runs.locator('li[aria-current="true"] .state')).toHaveText('stopped');
  // From that step, or a later one if the reload's own pagehide got its checkpoint stored in time.
  const resumeWith = training.getByText(/Resume continues/);
  // Said as the run bar counts: in epoch 1 (not "epoch 0", the epochs completed), at the next batch.
  await expect(resumeWith).toContainText(/in epoch 1 of 1, at batch \d+ of 300 \(after step \d+\)/);
  const [, batch, from] =
    /at batch (\d+) of 300 \(after step (\d+)\)/.exec((await resumeWith.textContent()) ?? '') ?? [];
  expect(Number(batch)).toBe(Number(from) + 1);
  expect(Number(from)).toBeGreaterThanOrEqual(step);
  await expect(training.getByRole('button', { name: 'Resume' })).toBeEnabled();
});

test('a link with a BatchNorm eps of -1 is refused in one line, the page whole', async ({ page }) => {
  const setup = {
    model: {
      name: 'Bad eps',
      inputShape: [1, 28, 28],
      layers: [
        { type: 'Flatten' },
        { type: 'BatchNorm1d', numFeatures: 784, eps: -1 },
        { type: 'Linear', inFeatures: 784, outFeatures: 10 },
      ],
    },
    config: {},
  };
  const hash = Buffer.from(JSON.stringify(setup)).toString('base64url');
  await page.goto(`/#setup=${hash}`);
  const notice = page.getByText("This link's setup could not be opened");
  await expect(notice).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(/eps must be > 0, got -1/)).toBeVisible();
  for (const panel of ['Data', 'Training', 'Runs', 'Evaluation'])
    await expect(page.getByRole('region', { name: panel })).toBeVisible();
});
