/**
 * A sweep from the training form: the learning rate at two values × three seeds, six runs trained
 * one after another in the worker, each a run record tagged with its sweep. A reload in the middle
 * goes on with the sweep where it was (the run in hand again, from its checkpoint if one was kept),
 * and it finishes with every run there once. Kept small (1,000 MNIST samples, one epoch) for CI's
 * 2-core SwiftShader machine.
 */
import { expect, type Page, test } from '@playwright/test';
import { docsShot } from './shots';

/** The run records stored in this browser: name, state and sweep tag. */
function storedRuns(page: Page) {
  return page.evaluate(
    () =>
      new Promise<
        { name: string; state: string; sweep?: { id: string; name: string; index: number; count: number } }[]
      >((resolve, reject) => {
        const open = indexedDB.open('kiln-runs');
        open.onsuccess = () => {
          const all = open.result.transaction('runs', 'readonly').objectStore('runs').getAll();
          all.onsuccess = () => resolve(all.result);
          all.onerror = () => reject(all.error);
        };
        open.onerror = () => reject(open.error);
      }),
  );
}

test('a sweep of lr × 3 seeds runs from the form, survives a reload mid-sweep and finishes', async ({
  page,
}) => {
  await page.goto('/');
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await data.getByLabel('Validation split (samples)').fill('200');
  const training = page.getByRole('region', { name: 'Training' });
  for (const [label, value] of Object.entries({
    'Limit training samples': '1000',
    Epochs: '1',
    'Batch size': '20',
    Seed: '1',
  }))
    await training.getByLabel(label, { exact: true }).fill(value);

  const editor = training.locator('details.sweep-editor');
  await editor.locator('summary').click();
  const values = training.getByLabel('Values of Learning rate');
  // A bad value is refused in the editor, naming the setting, before anything starts.
  await values.fill('1e-3,abc');
  await expect(training.getByText('lr expects numbers separated by commas, got "abc"')).toBeVisible();
  await expect(training.getByRole('button', { name: 'Start sweep' })).toBeDisabled();
  // A value the validator refuses: the sweep names the run and the setting, and starts nothing.
  await values.fill('1e-3,-1');
  await training.getByLabel('Seeds × N').fill('3');
  await expect(training.locator('.sweep-count')).toHaveText('6 runs (seeds 1–3 each)');
  await training.getByRole('button', { name: 'Start sweep' }).click();
  await expect(training.getByRole('alert')).toHaveText(
    'run lr=-1,seed=1: the learning rate must be a finite number > 0, got -1',
  );
  expect(await storedRuns(page)).toEqual([]);

  await values.fill('1e-3,1e-2');
  await training.getByRole('button', { name: 'Start sweep' }).click();
  const sweepLine = training.locator('.sweep-progress');
  await expect(sweepLine).toContainText('lr × seed: run 1 of 6');
  await expect(sweepLine).toContainText(/run 3 of 6/, { timeout: 240_000 });
  // Mid-run: the third run is training (the second's end stored), when the page is reloaded.
  await expect(training.locator('.run-progress .state')).toHaveText('Training', { timeout: 120_000 });

  // A reload in the middle of the sweep: it goes on where it was.
  await page.reload();
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await expect(sweepLine).toContainText(/run [3-6] of 6/, { timeout: 120_000 });
  await expect(sweepLine).toContainText('6 done · finished', { timeout: 300_000 });

  const runs = await storedRuns(page);
  expect(runs).toHaveLength(6);
  const sweepId = runs[0].sweep?.id;
  expect(
    runs.map((r) => [r.name, r.state, r.sweep?.index, r.sweep?.count, r.sweep?.name, r.sweep?.id]),
  ).toEqual(
    ['lr=0.001', 'lr=0.01'].flatMap((lr, i) =>
      [1, 2, 3].map((seed, j) => [`${lr},seed=${seed}`, 'finished', 3 * i + j, 6, 'lr × seed', sweepId]),
    ),
  );
  // Each run is listed once, with its settings as its name.
  const list = page.getByRole('region', { name: 'Runs' });
  await expect(list.getByRole('listitem')).toHaveCount(6);
  await expect(list.getByText(/sweep lr × seed, run 4 of 6 · SimpleNN on mnist/)).toBeVisible();

  // For the README: the finished sweep's curves beside the form, its editor open as it was filled.
  await editor.locator('summary').click();
  await values.fill('1e-3,1e-2');
  await training.getByLabel('Seeds × N').fill('3');
  await page.setViewportSize({ width: 1440, height: 1760 });
  // From the model down, past the GPU adapter's card.
  await page.evaluate(() => window.scrollTo(0, 150));
  await page.mouse.move(0, 0);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.screenshot({ path: docsShot('sweep.png') });
});
