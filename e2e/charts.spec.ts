/**
 * The scalar charts explored as TensorBoard's are: drag across a chart to zoom (whole-step ticks,
 * the read-out inside the chart), Reset zoom or double-click to zoom out, filter runs by name, an
 * outlier-robust y-axis; and on a phone the chart panel stays inside the page.
 */
import { expect, type Locator, type Page, test } from '@playwright/test';

const SHOTS = 'e2e/screenshots';

/** Trains a short SimpleNN run with these settings and waits for it to finish. */
async function train(page: Page, fields: Record<string, string>) {
  const panel = page.getByRole('region', { name: 'Training' });
  for (const [label, value] of Object.entries(fields))
    await panel.getByLabel(label, { exact: true }).fill(value);
  await panel.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(panel.locator('.run-progress .state')).toHaveText('Finished', { timeout: 120_000 });
}

/** An axis's tick labels as numbers ("12,345" reads 12345). */
async function ticks(chart: Locator, axis: 'x' | 'y'): Promise<number[]> {
  const labels = chart.locator(`.recharts-${axis}Axis-tick-labels .recharts-cartesian-axis-tick-value`);
  await expect(labels.first()).toBeVisible();
  return (await labels.allTextContents()).map((t) => Number(t.replaceAll(',', '')));
}

/** The y-axis labels with their heights: they move when the axis's range changes. */
const yLabels = (chart: Locator) =>
  chart
    .locator('.recharts-yAxis-tick-labels text')
    .evaluateAll((els) => els.map((el) => `${el.textContent}@${el.getAttribute('y')}`));

/** The distinct stroke colours of these SVG shapes. */
const colours = (shapes: Locator) =>
  shapes.evaluateAll((els) => [...new Set(els.map((el) => el.getAttribute('stroke')))]);

/** Drags across the plot of `chart` from one fraction of its width to another. */
async function drag(page: Page, chart: Locator, from: number, to: number) {
  const box = await chart.locator('.scalar-chart-plot').boundingBox();
  if (!box) throw new Error('the chart has no box');
  // The plot lies right of the 56 px y-axis and left of a 16 px margin.
  const [left, width] = [box.x + 56, box.width - 72];
  const y = box.y + box.height * 0.4;
  await page.mouse.move(left + width * from, y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(left + width * (from + ((to - from) * i) / 8), y);
  await page.mouse.up();
}

/**
 * The chart's lines drawn outside the plot's height within its width: each line's points, the
 * segments that run past the plot's left or right edge cut there (where recharts clips them), must
 * lie between the plot's top and bottom. Empty when the y range holds everything drawn.
 */
const offPlot = (chart: Locator) =>
  chart.locator('svg.recharts-surface').evaluate((svg) => {
    const clip = svg.querySelector('clipPath rect');
    if (!clip) return ['no plot area'];
    const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((a) => Number(clip.getAttribute(a)));
    const out: string[] = [];
    svg.querySelectorAll('.recharts-line-curve').forEach((path, line) => {
      const nums = (path.getAttribute('d') ?? '').match(/-?\d+(\.\d+)?(e-?\d+)?/g)?.map(Number) ?? [];
      const points = Array.from({ length: nums.length / 2 }, (_, i) => [nums[2 * i], nums[2 * i + 1]]);
      const heights: number[] = [];
      points.forEach(([px, py], i) => {
        if (px >= x && px <= x + w) heights.push(py);
        const next = points[i + 1];
        if (!next) return;
        for (const edge of [x, x + w])
          if ((px - edge) * (next[0] - edge) < 0)
            heights.push(py + ((next[1] - py) * (edge - px)) / (next[0] - px));
      });
      for (const hy of heights)
        if (hy < y - 0.5 || hy > y + h + 0.5)
          out.push(`line ${line} at y ${hy.toFixed(1)} outside ${y}..${y + h}`);
    });
    return out;
  });

test('charts zoom by dragging and reset, filter runs, and scale without outliers', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('region', { name: 'Data' }).getByText('mnist-train')).toBeVisible({
    timeout: 120_000,
  });
  // Two short runs of 60 steps, each logging its loss every 2 steps.
  const settings = {
    'Limit training samples': '1200',
    Epochs: '1',
    'Batch size': '20',
    'Log every (steps)': '2',
  };
  await train(page, { ...settings, 'Learning rate': '0.001' });
  await train(page, { ...settings, 'Learning rate': '0.01' });

  const scalars = page.getByRole('region', { name: 'Scalars' });
  const chart = scalars.locator('figure[aria-label="Loss/train chart"]');
  await chart.scrollIntoViewIfNeeded();
  const reset = chart.getByRole('button', { name: 'Reset zoom' });
  await expect(reset).toBeDisabled();
  const full = await ticks(chart, 'x');
  expect(full.length).toBeGreaterThanOrEqual(2);

  // Drag across the middle: the x-axis narrows to the selection, its ticks still whole steps, and
  // no axis text is selected by the drag.
  await drag(page, chart, 0.25, 0.6);
  await expect(reset).toBeEnabled();
  const zoomed = await ticks(chart, 'x');
  for (const t of [...full, ...zoomed]) expect(Number.isInteger(t)).toBe(true);
  expect(zoomed[1] - zoomed[0]).toBeLessThan(full[1] - full[0]);
  expect(Math.max(...zoomed) - Math.min(...zoomed)).toBeLessThan(Math.max(...full) - Math.min(...full));
  expect(await page.evaluate(() => String(window.getSelection()))).toBe('');
  // The y range holds what is drawn: the smoothed lines as well as the raw points, up to where the
  // lines cross the plot's edges (it fitted the raw points in view, and the curves left the plot).
  expect(await offPlot(chart)).toEqual([]);

  // The read-out near the plot's bottom-right corner stays inside the chart.
  await chart.evaluate((el) => el.scrollIntoView({ block: 'center' }));
  const plot = await chart.locator('.scalar-chart-plot').boundingBox();
  if (!plot) throw new Error('the chart has no box');
  await page.mouse.move(plot.x + plot.width - 24, plot.y + plot.height - 40);
  const readout = chart.locator('.chart-readout');
  await expect(readout).toBeVisible();
  await expect
    .poll(async () => {
      const box = await readout.boundingBox();
      return (
        !!box &&
        box.x >= plot.x &&
        box.y >= plot.y &&
        box.x + box.width <= plot.x + plot.width + 0.5 &&
        box.y + box.height <= plot.y + plot.height + 0.5
      );
    })
    .toBe(true);
  await chart.screenshot({ path: `${SHOTS}/charts-zoomed.png` });

  await reset.click();
  await expect(reset).toBeDisabled();
  expect(await ticks(chart, 'x')).toEqual(full);
  // Zoomed in between logged points, on the steep start of the loss: the lines cross the plot
  // from edge to edge, with at most a point or two inside it, and still stay within its height.
  await drag(page, chart, 0.02, 0.05);
  await expect(reset).toBeEnabled();
  expect(await offPlot(chart)).toEqual([]);
  await reset.click();
  // A double-click zooms back out too.
  await drag(page, chart, 0.1, 0.5);
  await expect(reset).toBeEnabled();
  await chart.locator('.scalar-chart-plot').dblclick();
  await expect(reset).toBeDisabled();
  expect(await ticks(chart, 'x')).toEqual(full);

  // The run filter hides the runs it does not match from every chart, and brings them back.
  const lines = chart.locator('.recharts-line');
  await expect(lines).toHaveCount(4);
  expect(await colours(chart.locator('.recharts-line-curve'))).toHaveLength(2);
  const filter = scalars.getByLabel('Filter runs');
  await filter.fill('#2');
  await expect(lines).toHaveCount(2);
  // Run #2's colour alone is left, on the loss lines and on the one-epoch validation dots alike.
  const kept = await colours(chart.locator('.recharts-line-curve'));
  expect(kept).toHaveLength(1);
  // (Each chart takes the change a little after the one before it.)
  await expect
    .poll(() => colours(scalars.locator('figure[aria-label="Loss/val chart"] .recharts-line-dot')))
    .toEqual(kept);
  await expect(scalars.locator('.run-toggle')).toHaveText(['SimpleNN #2']);
  await expect(scalars.getByText('1 of 2 runs match')).toBeVisible();
  await filter.fill('simplenn #[12]$');
  await expect(lines).toHaveCount(4);
  await expect(filter).toHaveAttribute('aria-invalid', 'false');
  // A pattern that is not a regex says so (it read as "No run matches the filter"), and filters as text.
  await filter.fill('#(');
  await expect(filter).toHaveAttribute('aria-invalid', 'true');
  await expect(
    scalars.getByText('Not a valid regex (Unterminated group): matched as plain text'),
  ).toBeVisible();
  await expect(filter).toHaveAccessibleDescription(/Not a valid regex/);
  await filter.fill('nn #2');
  await expect(scalars.locator('.run-toggle')).toHaveText(['SimpleNN #2']);
  await expect(scalars.getByText(/Not a valid regex/)).toHaveCount(0);
  await filter.fill('');
  await expect(scalars.locator('.run-toggle')).toHaveCount(2);

  // Ignoring outliers narrows the y-axis to the bulk of the values: its labels move.
  const before = await yLabels(chart);
  await scalars.getByLabel('Ignore outliers in chart scaling').check();
  await expect.poll(() => yLabels(chart)).not.toEqual(before);
  await scalars.getByLabel('Ignore outliers in chart scaling').uncheck();
  await expect.poll(() => yLabels(chart)).toEqual(before);

  // A run that diverged (the trainer stopped it: its loss passed 10 times its first) beside them:
  // stored as the page stores a failed run, its loss climbing from 2.3 to 21 over its first steps.
  // Which steps a real lr's blow-up logs before it is stopped depends on the adapter's rounding.
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('kiln-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const store = open.result.transaction('runs', 'readwrite').objectStore('runs');
          const all = store.getAll();
          all.onsuccess = () => {
            const first = all.result.find((r) => r.name === 'SimpleNN #1');
            const loss = [2.3, 6, 14, 21].map((value, i) => ({
              ...first.series['Loss/train'][i],
              value,
            }));
            const put = store.put({
              ...first,
              id: 'diverged-e2e',
              name: 'SimpleNN lr 5',
              createdAt: first.createdAt + 1,
              state: 'failed',
              step: loss[3].step,
              epoch: 0,
              lastEpoch: null,
              series: { 'Loss/train': loss },
              error: { kind: 'nan-loss', message: 'the training loss grew to 31.2 at step 10' },
            });
            put.onsuccess = () => resolve();
            put.onerror = () => reject(put.error);
          };
        };
      }),
  );
  await page.reload();
  await expect(scalars.locator('.run-toggle')).toHaveCount(3);
  await chart.scrollIntoViewIfNeeded();
  // Counted in full, it takes the axis to 21: the healthy runs' fall from 2.3 lies in its lowest tenth.
  await expect.poll(async () => Math.max(...(await ticks(chart, 'y')))).toBeGreaterThanOrEqual(20);
  const note = chart.getByText('Left out of the y range: SimpleNN lr 5 (diverged)');
  await expect(note).toHaveCount(0);
  // Ignoring outliers leaves it out, says so, and the healthy runs fill the plot.
  await scalars.getByLabel('Ignore outliers in chart scaling').check();
  await expect(note).toBeVisible();
  await expect.poll(async () => Math.max(...(await ticks(chart, 'y')))).toBeLessThanOrEqual(3);
  await chart.screenshot({ path: `${SHOTS}/charts-outliers.png` });
  await scalars.getByLabel('Ignore outliers in chart scaling').uncheck();
  await expect(note).toHaveCount(0);

  // On a log scale the y labels are round (1-2-5 steps or powers of ten) and well apart.
  await scalars.getByLabel('Log scale (y)').check();
  await expect
    .poll(async () => (await ticks(chart, 'y')).map((t) => t.toExponential().split('e')[0]))
    .toEqual(expect.arrayContaining(['1']));
  for (const t of await ticks(chart, 'y')) expect(['1', '2', '5']).toContain(t.toExponential().split('e')[0]);
  const heights = await chart
    .locator('.recharts-yAxis-tick-labels text')
    .evaluateAll((els) => els.map((el) => Number(el.getAttribute('y'))).sort((a, b) => a - b));
  for (let i = 1; i < heights.length; i++) expect(heights[i] - heights[i - 1]).toBeGreaterThan(14);
  await scalars.getByLabel('Log scale (y)').uncheck();

  // On a phone the chart panel lies inside the window, and nothing in it reaches past the panel's
  // right edge, where it would be cut off (polled: the charts follow the new width a frame later).
  await page.setViewportSize({ width: 390, height: 844 });
  await chart.evaluate((el) => el.scrollIntoView({ block: 'center' }));
  const overflowing = () =>
    scalars.evaluate((panel) => {
      const right = Math.min(390, panel.getBoundingClientRect().right) + 0.5;
      // Inside a chart, only its box and its labels: a zoomed line runs on past the plot, clipped.
      return [panel, ...panel.querySelectorAll('*')]
        .filter((el) => el instanceof HTMLElement || el.tagName === 'svg' || el.tagName === 'text')
        .filter((el) => el.getBoundingClientRect().right > right)
        .map((el) => `${el.tagName} ${el.getAttribute('class') ?? ''} ${el.textContent?.slice(0, 20)}`);
    });
  await expect.poll(overflowing).toEqual([]);
  await drag(page, chart, 0.3, 0.7);
  await expect(reset).toBeEnabled();
  const small = await chart.locator('.scalar-chart-plot').boundingBox();
  if (!small) throw new Error('the chart has no box');
  await page.mouse.move(small.x + small.width * 0.6, small.y + small.height * 0.5);
  await expect(readout).toBeVisible();
  expect(await overflowing()).toEqual([]);
  await page.screenshot({ path: `${SHOTS}/charts-390.png` });
});
