/**
 * From runs to an experiment, in real Chromium: four tiny SimpleNN runs from the form (lr 0.001
 * and 0.01, seeds 1 and 2); the hyperparameter view draws them across lr and seed, and brushing an
 * axis (by dragging, or from the keyboard) filters the runs table and the charts; grouping by lr
 * gives mean [min–max] rows and draws each group as its mean with a band; tags are found by the
 * run filter; the experiment, exported to one file, opens read-only in a fresh browser with its
 * charts, hyperparameter view and table, and a truncated file is refused; the TensorBoard export
 * is a tar of one folder per run. Runs are 200 samples, one epoch, for a 2-core SwiftShader machine.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { docsShot } from './shots';

/** Trains one tiny run with this learning rate and seed, and waits for it to finish. */
async function train(page: Page, lr: string, seed: string) {
  const panel = page.getByRole('region', { name: 'Training' });
  for (const [label, value] of Object.entries({
    'Limit training samples': '200',
    Epochs: '1',
    'Batch size': '20',
    'Log every (steps)': '2',
    'Learning rate': lr,
    Seed: seed,
  }))
    await panel.getByLabel(label, { exact: true }).fill(value);
  await panel.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(panel.locator('.run-progress .state')).toHaveText('Finished', { timeout: 180_000 });
}

/** Drags along the axis `key` of the parallel-coordinates chart, between two heights (0 bottom, 1 top). */
async function brush(page: Page, chart: Locator, key: string, from: number, to: number) {
  // Centred in the window, clear of the sticky header and run bar.
  await chart.locator('svg.pcoords').evaluate((el) => el.scrollIntoView({ block: 'center' }));
  const box = await chart.locator(`[data-axis="${key}"] .pcoords-hit`).boundingBox();
  if (!box) throw new Error(`the ${key} axis has no box`);
  const x = box.x + box.width / 2;
  const y = (at: number) => box.y + box.height * (1 - at);
  await page.mouse.move(x, y(from));
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) await page.mouse.move(x, y(from + ((to - from) * i) / 6));
  await page.mouse.up();
}

test('the hyperparameter view brushes and groups runs, and an exported experiment opens read-only elsewhere', async ({
  page,
  browser,
}, info) => {
  test.setTimeout(900_000);
  await page.goto('/');
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await data.getByLabel('Validation split (samples)').fill('100');
  for (const lr of ['0.001', '0.01']) for (const seed of ['1', '2']) await train(page, lr, seed);

  const hp = page.getByRole('region', { name: 'Hyperparameters' });
  const runs = page.getByRole('region', { name: 'Runs', exact: true });
  const table = runs.getByRole('table', { name: 'Runs compared' });
  const rows = table.locator('tbody tr');
  const scalars = page.getByRole('region', { name: 'Scalars' });
  await hp.scrollIntoViewIfNeeded();
  // One axis per setting that varies (lr on a log scale, seed), then the metric; a line per run.
  await expect(hp.locator('[data-axis]')).toHaveCount(3);
  await expect(hp.locator('[data-axis="lr"]')).toHaveAttribute('aria-label', /log scale/);
  await expect(hp.locator('[data-axis="seed"]')).toBeVisible();
  await expect(hp.locator('[data-axis="valAcc"]')).toBeVisible();
  await expect(hp.locator('polyline[data-kept="true"]')).toHaveCount(4);
  await expect(rows).toHaveCount(4);

  // Brushing the low end of lr keeps the two lr=0.001 runs: in the chart, the table and the charts.
  await brush(page, hp, 'lr', 0.3, -0.05);
  await expect(hp.locator('polyline[data-kept="true"]')).toHaveCount(2);
  await expect(hp.getByRole('status')).toHaveText('2 of 4 runs in the brushes');
  await expect(rows).toHaveCount(2);
  for (const text of await table.locator('tbody th').allTextContents()) expect(text).toMatch(/SimpleNN/);
  for (const lr of await rows.locator('td:nth-child(5)').allTextContents()) expect(lr).toBe('0.001');
  await expect(scalars.getByText('2 of 4 runs match')).toBeVisible();
  await hp.screenshot({ path: docsShot('hparams.png') });
  // A click on the axis clears its brush.
  const lrHit = hp.locator('[data-axis="lr"] .pcoords-hit');
  await lrHit.click();
  await expect(rows).toHaveCount(4);

  // From the keyboard: on the seed axis, Up picks the lowest seed, Escape clears it.
  await hp.locator('[data-axis="seed"]').focus();
  await page.keyboard.press('ArrowUp');
  await expect(hp.locator('[data-axis="seed"]')).toHaveAttribute('aria-label', /brushed: seed 1 to 1/);
  await expect(rows).toHaveCount(2);
  await page.keyboard.press('Escape');
  await expect(rows).toHaveCount(4);

  // Grouped by lr: one row per lr, mean with [min–max] over its two seeds.
  await runs.getByLabel('Group by').selectOption('lr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0).locator('th')).toHaveText('lr = 0.001 (2 runs)');
  await expect(rows.nth(0).locator('td').nth(6)).toHaveText(/^\d+\.\d\d% \[\d+\.\d\d%–\d+\.\d\d%\]$/);
  // The charts draw each group as its mean with a min-max band.
  await scalars.getByLabel('Groups as mean and min–max band').check();
  await expect(scalars.getByRole('list', { name: 'Groups drawn' }).locator('li')).toHaveText([
    /lr = 0.001 \(mean of 2, min–max\)/,
    /lr = 0.01 \(mean of 2, min–max\)/,
  ]);
  const loss = scalars.locator('figure[aria-label="Loss/train chart"]');
  await loss.scrollIntoViewIfNeeded();
  await expect(loss.locator('.group-band path.recharts-area-area')).toHaveCount(2);
  for (const d of await loss
    .locator('.group-band path.recharts-area-area')
    .evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? '')))
    expect(d.length).toBeGreaterThan(20);

  // Tags are kept with the run and found by the run filter.
  const active = runs.locator('.run-item.active');
  const noted = (await active.locator('.run-name').textContent()) ?? '';
  await active.getByLabel('Tags').fill('baseline, lr sweep');
  await active.getByLabel('Notes').fill('the last run of the sweep');
  await active.getByLabel('Notes').blur();
  await expect(active.getByRole('list', { name: 'Tags' }).locator('li')).toHaveText(['baseline', 'lr sweep']);
  await scalars.getByLabel('Filter runs').fill('baseline');
  await expect(scalars.getByText('1 of 4 runs match')).toBeVisible();
  await scalars.getByLabel('Filter runs').fill('');

  // Export: the experiment file, and TensorBoard's folders in a tar.
  await runs.getByLabel('Experiment name').fill('lr sweep');
  const saved = page.waitForEvent('download');
  await runs.getByRole('button', { name: 'Export experiment' }).click();
  const file = info.outputPath('lr_sweep.kiln-experiment.json.gz');
  const download = await saved;
  expect(download.suggestedFilename()).toBe('lr_sweep.kiln-experiment.json.gz');
  await download.saveAs(file);
  const tb = page.waitForEvent('download');
  await runs.getByRole('button', { name: 'Export as TensorBoard' }).click();
  const archive = info.outputPath('tb.tar');
  await (await tb).saveAs(archive);
  const listed = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n');
  expect(listed.filter((p) => p.endsWith('/'))).toHaveLength(4);
  // The HParams experiment summary at the root, beside the four run folders.
  expect(listed.filter((p) => /^events\.out\.tfevents\.\d{10}\.kiln\.0\.\d+$/.test(p))).toHaveLength(1);
  expect(
    listed.filter((p) => /\/events\.out\.tfevents\.\d{10}\.kiln\.0\.\d+$/.test(p)).length,
  ).toBeGreaterThanOrEqual(4);

  // A fresh browser (no runs of its own) opens the file read-only, with its charts, as they were set.
  const other = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const fresh = await other.newPage();
  await fresh.goto('/');
  const share = fresh.getByRole('group', { name: 'Share results' });
  // A truncated file is refused with one clear line, and nothing opens.
  const bytes = readFileSync(file);
  const truncated = info.outputPath('truncated.kiln-experiment.json.gz');
  writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
  await share.getByLabel('Open experiment (read-only)').setInputFiles(truncated);
  await expect(share.getByRole('alert')).toContainText('truncated');
  await expect(share.getByRole('alert')).toContainText('Nothing was changed.');
  // The good file is dropped on the box instead of chosen.
  const dropped = await fresh.evaluateHandle((b64) => {
    const dt = new DataTransfer();
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    dt.items.add(new File([bytes], 'lr_sweep.kiln-experiment.json.gz'));
    return dt;
  }, bytes.toString('base64'));
  await share.dispatchEvent('drop', { dataTransfer: dropped });
  const opened = fresh.getByRole('region', { name: 'lr sweep', exact: true });
  await expect(opened.getByText('Opened experiment · read-only')).toBeVisible();
  await expect(share.getByRole('alert')).toHaveCount(0);
  const theirCharts = opened.getByRole('region', { name: 'Scalars · lr sweep' });
  await expect(theirCharts.getByLabel('Groups as mean and min–max band')).toBeChecked();
  await expect(
    theirCharts.locator('figure[aria-label="Loss/train chart"] .group-band path.recharts-area-area'),
  ).toHaveCount(2);
  // One validation per run: each group's mean is a point with a min-max bar.
  await expect(theirCharts.locator('figure[aria-label="Accuracy/val chart"] .group-band-bar')).toHaveCount(2);
  const theirHp = opened.getByRole('region', { name: 'Hyperparameters · lr sweep' });
  await expect(theirHp.locator('polyline')).toHaveCount(4);
  const theirTable = opened.getByRole('table', { name: 'Runs compared' });
  await expect(theirTable.locator('tbody tr')).toHaveCount(2);
  // Ungrouped there, the runs keep their notes and tags; none became this browser's own runs.
  await opened.getByLabel('Group by').selectOption('');
  await expect(theirTable.locator('tbody tr')).toHaveCount(4);
  await theirTable.getByRole('button', { name: noted, exact: true }).click();
  await expect(opened.getByText('the last run of the sweep')).toBeVisible();
  await expect(fresh.getByRole('region', { name: 'Runs', exact: true }).locator('.run-item')).toHaveCount(0);
  await opened.getByRole('button', { name: 'Close experiment' }).click();
  await expect(opened).toHaveCount(0);
  await other.close();
});
