/**
 * The playground as a lab notebook: the model and settings survive a reload, a link opens the same
 * setup in a fresh browser (and a damaged one says so), and a run is a record whose settings load
 * back into the form, and whose delete can be undone, checkpoint and all.
 */
import { expect, type Page, test } from '@playwright/test';
import { docsShot } from './shots';

const SHOTS = 'e2e/screenshots';

async function fill(page: Page, fields: Record<string, string>) {
  const panel = page.getByRole('region', { name: 'Training' });
  for (const [label, value] of Object.entries(fields))
    await panel.getByLabel(label, { exact: true }).fill(value);
}

async function expectSetup(page: Page, preset: string, fields: Record<string, string>) {
  await expect(page.getByRole('region', { name: 'Model' }).getByLabel('Preset')).toHaveValue(preset);
  const panel = page.getByRole('region', { name: 'Training' });
  for (const [label, value] of Object.entries(fields))
    await expect(panel.getByLabel(label, { exact: true })).toHaveValue(value);
}

test('a reload keeps the model and settings; a link opens them in a fresh browser; a bad link says so', async ({
  page,
  browser,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  // The run bar keeps the first action in view without scrolling.
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeInViewport();
  await page.getByRole('region', { name: 'Model' }).getByLabel('Preset').selectOption({ label: 'LeNet-5' });
  await fill(page, { Epochs: '2', 'Learning rate': '0.01', Seed: '42' });
  await page.reload();
  await expectSetup(page, 'lenet', { Epochs: '2', 'Learning rate': '0.01', Seed: '42' });

  const training = page.getByRole('region', { name: 'Training' });
  await training.getByRole('button', { name: 'Copy link' }).click();
  const link = await training.locator('.copy-link input').inputValue();
  expect(link).toMatch(/#setup=[\w-]+$/);

  // Another browser (no storage of this one's) opens the link: same model, same settings.
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(link);
  await expectSetup(other, 'lenet', { Epochs: '2', 'Learning rate': '0.01', Seed: '42' });
  await expect(other).not.toHaveURL(/#setup/);
  await fresh.close();

  const damaged = await browser.newContext();
  const bad = await damaged.newPage();
  await bad.goto('/#setup=bm90IGEgc2V0dXA');
  await expect(bad.getByRole('alert')).toContainText("This link's setup could not be opened");
  await expectSetup(bad, 'simplenn', { Epochs: '3', Seed: '0' });
  await damaged.close();
});

test('a reload keeps a model with a layer that does not fit, and the form, marked; Train still refuses it', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  const builder = page.getByRole('region', { name: 'Model' });
  const training = page.getByRole('region', { name: 'Training' });
  await fill(page, { Epochs: '2', 'Learning rate': '0.01', Seed: '42' });
  // fc1 narrowed to 64: fc2 still expects 128 features, so the model cannot train as it stands.
  await builder.getByRole('listitem', { name: 'Layer 1 Linear' }).getByLabel('out_features').fill('64');
  await expect(builder.getByText('Cannot train yet')).toBeVisible();
  await page.reload();

  await expect(page.getByRole('alert')).toContainText('Your model was kept as you left it, with a problem');
  await expect(page.getByRole('alert')).toContainText('layer fc2 (Linear)');
  await expect(
    builder.getByRole('listitem', { name: 'Layer 1 Linear' }).getByLabel('out_features'),
  ).toHaveValue('64');
  const fc2 = builder.getByRole('listitem', { name: 'Layer 3 Linear' });
  await expect(fc2).toHaveClass(/invalid/);
  await expect(fc2).toContainText('in_features is 128 but the input has 64 features');
  await expectSetup(page, 'simplenn', { Epochs: '2', 'Learning rate': '0.01', Seed: '42' });
  // Train refuses it with its usual line once the data are in, from the button and the shortcut alike.
  await expect(page.getByRole('region', { name: 'Data' }).getByText('mnist-train')).toBeVisible({
    timeout: 120_000,
  });
  const train = training.getByRole('button', { name: 'Train', exact: true });
  await expect(train).toBeDisabled();
  await expect(training.locator('.train-why')).toContainText('The model cannot train: layer fc2 (Linear)');
  await page.keyboard.press('Control+Enter');
  await expect(page.getByRole('region', { name: 'Runs' }).locator('.run-item')).toHaveCount(0);
  await page.screenshot({ path: `${SHOTS}/notebook-kept-invalid-layer.png` });

  // Fixed, it trains; the fix is what the next reload keeps.
  await fc2.getByLabel('in_features').fill('64');
  await expect(train).toBeEnabled();
  await page.reload();
  await expect(builder.getByText('Ready to train')).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('at 1280x720 the live loss is the first chart in view and in the run bar; a Stop mid-epoch says where Resume goes on', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  await expect(page.getByRole('region', { name: 'Data' }).getByText('mnist-train')).toBeVisible({
    timeout: 120_000,
  });
  const training = page.getByRole('region', { name: 'Training' });
  const stats = training.locator('.run-stats');
  const stat = (name: string) =>
    stats
      .locator('div')
      .filter({ has: page.getByText(name, { exact: true }) })
      .locator('dd');

  // A short run first: once it has validated, the run bar says its accuracy as Evaluation does.
  await fill(page, {
    'Limit training samples': '600',
    Epochs: '1',
    'Batch size': '50',
    'Log every (steps)': '2',
  });
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(training.locator('.run-progress .state')).toHaveText('Finished', { timeout: 120_000 });
  await expect(stat('Val accuracy')).toHaveText(/^\d+\.\d\d%$/);
  await expect(page.getByRole('region', { name: 'Evaluation' }).locator('.val-acc')).toHaveText(
    `Validation accuracy ${await stat('Val accuracy').textContent()}`,
  );
  await expect(stat('Loss')).toHaveText(/^\d\.\d+$/);

  // A long one (2,000 steps an epoch), paused as soon as its first loss is read: all of it in epoch 1.
  await fill(page, {
    'Limit training samples': '20000',
    Epochs: '2',
    'Batch size': '10',
    'Log every (steps)': '5',
  });
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(stat('Loss')).toHaveText(/^\d\.\d+$/, { timeout: 120_000 });
  await training.getByRole('button', { name: 'Pause' }).click();
  await expect(training.locator('.run-progress .state')).toHaveText('Paused');
  await expect(stat('Epoch')).toHaveText('1 / 2');
  // No validation yet: no accuracy (the last run's is not this one's).
  await expect(stat('Val accuracy')).toHaveText('—');

  // From the page's top, the first chart is the live training loss, its line drawn above the run bar.
  await page.evaluate(() => window.scrollTo(0, 0));
  const first = page.getByRole('region', { name: 'Scalars' }).locator('figure.scalar-chart').first();
  await expect(first).toHaveAttribute('aria-label', 'Loss/train chart');
  const barTop = (await page.locator('.run-bar').boundingBox())?.y ?? 0;
  const curve = first.locator('.recharts-line-curve').last();
  await expect(curve).toBeAttached();
  const line = await curve.boundingBox();
  expect(line, 'the loss line is drawn').not.toBeNull();
  expect((line?.y ?? 720) + 1).toBeLessThan(barTop);
  await page.screenshot({ path: `${SHOTS}/notebook-live-1280.png` });

  // Stopped mid-epoch: Resume goes on in epoch 1 at the next batch, as the run bar counts (it said
  // "from epoch 0", the epochs completed).
  await training.getByRole('button', { name: 'Stop' }).click();
  await expect(training.locator('.run-progress .state')).toHaveText('Stopped', { timeout: 60_000 });
  const resumeWith = training.getByText(/Resume continues/);
  await expect(resumeWith).toContainText(/in epoch 1 of 2, at batch \d+ of 2,000 \(after step \d+\)/);
  const [, batch, after] =
    /at batch (\d+) of 2,000 \(after step (\d+)\)/.exec((await resumeWith.textContent()) ?? '') ?? [];
  expect(Number(batch)).toBe(Number(after) + 1);
  await expect(stat('Step')).toHaveText(`${after} / 2000`);
});

test("a run's settings are a table that loads back into the form; a delete can be undone", async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.getByRole('region', { name: 'Data' }).getByText('mnist-train')).toBeVisible({
    timeout: 120_000,
  });
  await fill(page, { 'Limit training samples': '600', Epochs: '1', 'Batch size': '50', Seed: '7' });
  const training = page.getByRole('region', { name: 'Training' });
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(training.locator('.run-progress .state')).toHaveText('Finished', { timeout: 120_000 });

  const runs = page.getByRole('region', { name: 'Runs' });
  const table = runs.getByRole('table', { name: 'Settings of SimpleNN #1' });
  await expect(table.getByRole('row', { name: /Seed/ })).toContainText('7');
  await expect(table.getByRole('row', { name: /Batch size/ })).toContainText('50');
  await expect(table.getByRole('row', { name: /Dataset/ })).toContainText('mnist');
  await expect(table.getByRole('row', { name: /Model/ })).toContainText('101,770 parameters');
  await expect(table.getByRole('row', { name: /Layers/ })).toContainText('Linear(784, 128)');
  await expect(table.getByRole('row')).toHaveCount(23);

  await page.getByRole('region', { name: 'Model' }).getByLabel('Preset').selectOption({ label: 'LeNet-5' });
  await fill(page, { Epochs: '4', Seed: '1' });
  await runs.getByRole('button', { name: 'Load these settings' }).click();
  await expectSetup(page, 'simplenn', { Epochs: '1', Seed: '7', 'Batch size': '50' });

  await runs.getByRole('button', { name: 'Delete SimpleNN #1' }).click();
  await expect(runs.locator('.run-item')).toHaveCount(0);
  await expect(runs.getByRole('status')).toContainText('Deleted SimpleNN #1 and its checkpoint.');
  await runs.getByRole('button', { name: 'Undo' }).click();
  await expect(runs.locator('.run-item .state')).toHaveText('finished');
  await expect(runs.getByRole('status')).toHaveCount(0);
  // Put back in storage too, checkpoint and all.
  await page.reload();
  await expect(runs.locator('.run-item .state')).toHaveText('finished');
  await expect(runs.getByRole('button', { name: 'Download checkpoint' })).toBeEnabled();

  // A second, two-epoch run: the first's single validation point is still drawn beside its line.
  await fill(page, { Epochs: '2', 'Learning rate': '0.002' });
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(training.locator('.run-progress .state')).toHaveText('Finished', { timeout: 120_000 });
  await expect(page.locator('figure[aria-label="Accuracy/val chart"] .recharts-line-dot')).toHaveCount(1);
  const ticks = page.locator(
    'figure[aria-label="Loss/train chart"] .recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value',
  );
  await expect(ticks.first()).toBeVisible();
  for (const t of await ticks.allTextContents()) expect(t).toMatch(/^\d+$/);

  // The two runs' records side by side: the settings that differ are marked.
  await runs.getByLabel('Compare with').selectOption({ label: 'SimpleNN #1' });
  await expect(runs.getByText('2 settings differ')).toBeVisible();
  const compared = runs.getByRole('table', { name: 'Settings of SimpleNN #2' });
  await expect(compared.locator('tr.differs th')).toHaveText(['Epochs', 'Learning rate']);

  // The runs table sorts by any column, either way.
  const sortable = runs.getByRole('table', { name: 'Runs compared' });
  await sortable.getByRole('button', { name: 'Epochs' }).click();
  await expect(sortable.getByRole('columnheader', { name: /Epochs/ })).toHaveAttribute(
    'aria-sort',
    'descending',
  );
  await expect(sortable.locator('tbody tr').first()).toContainText('SimpleNN #2');
  await sortable.getByRole('button', { name: /Epochs/ }).click();
  await expect(sortable.locator('tbody tr').first()).toContainText('SimpleNN #1');

  // What a user sees on opening, at the three sizes the README shows: the page's top, with the
  // run bar (the first action) at the window's foot.
  for (const [width, height] of [
    [1440, 900],
    [1280, 720],
    [390, 844],
  ]) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => window.scrollTo(0, 0));
    await expect(training.getByRole('button', { name: 'Train', exact: true })).toBeInViewport();
    await page.screenshot({ path: docsShot(`page-${width}x${height}.png`) });
  }
  // A chart's read-out follows the pointer: move it off the charts, the layout is what is checked.
  await page.mouse.move(0, 0);
  // Nothing reaches past the page's right edge on a phone (charts, the runs' header, the records);
  // polled, as the charts follow the new width a frame or two later.
  const overflowing = () =>
    page.evaluate(() => {
      const right = document.querySelector('.workspace')?.getBoundingClientRect().right ?? 0;
      // Wide tables scroll sideways in their own box: their cells may lie past the edge.
      return [...document.querySelectorAll('.workspace *')]
        .filter(
          (el) =>
            el.getBoundingClientRect().right > right + 0.5 &&
            !el.closest('.table-scroll') &&
            // A read-out not shown (recharts hides it, in place) is not seen past the edge.
            getComputedStyle(el).visibility !== 'hidden',
        )
        .map((el) => `${el.tagName} ${el.getAttribute('class') ?? ''}`);
    });
  await expect.poll(overflowing).toEqual([]);
  await page.screenshot({ path: `${SHOTS}/notebook-390.png` });
});
