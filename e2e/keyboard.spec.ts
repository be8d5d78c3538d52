/**
 * The page from the keyboard and for the eyes: "Skip to training" is the first Tab stop and lands
 * on Train past the builder and the form, Ctrl+Enter trains from anywhere, and the confusion
 * matrix's numbers have WCAG AA's 4.5:1 contrast against their cells in either colour scheme.
 */
import { expect, type Page, test } from '@playwright/test';

const SHOTS = 'e2e/screenshots';

/** Each filled cell's text/background contrast ratio (WCAG 2), as the browser paints it. */
function cellContrasts(page: Page): Promise<{ text: string; ratio: number }[]> {
  return page.evaluate(() => {
    const luminance = (css: string) => {
      const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((c) => {
        const v = Number(c) / 255;
        return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    return [...document.querySelectorAll('table.confusion tbody td')]
      .filter((td) => td.textContent)
      .map((td) => {
        const style = getComputedStyle(td);
        const [a, b] = [luminance(style.color), luminance(style.backgroundColor)].sort((x, y) => y - x);
        return { text: td.textContent ?? '', ratio: (a + 0.05) / (b + 0.05) };
      });
  });
}

test('Skip to training is the first Tab stop; Ctrl+Enter trains; the confusion matrix reads at 4.5:1', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  await expect(page.getByRole('region', { name: 'Data' }).getByText('mnist-train')).toBeVisible({
    timeout: 120_000,
  });
  const training = page.getByRole('region', { name: 'Training' });
  const train = training.getByRole('button', { name: 'Train', exact: true });
  await expect(train).toBeEnabled();
  await expect(train).toHaveAttribute('aria-keyshortcuts', 'Control+Enter Meta+Enter');

  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to training' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.screenshot({ path: `${SHOTS}/keyboard-skip-link.png` });
  await page.keyboard.press('Enter');
  await expect(train).toBeFocused();

  // Ctrl+Enter from a field just typed in: the run takes the value typed.
  for (const [label, value] of [
    ['Limit training samples', '600'],
    ['Batch size', '50'],
    ['Epochs', '1'],
  ])
    await training.getByLabel(label, { exact: true }).fill(value);
  await page.keyboard.press('Control+Enter');
  await expect(training.locator('.run-progress .state')).toHaveText('Finished', { timeout: 120_000 });
  const runs = page.getByRole('region', { name: 'Runs' });
  await expect(runs.locator('.run-item')).toHaveCount(1);
  await expect(
    runs.getByRole('table', { name: 'Settings of SimpleNN #1' }).getByRole('row', { name: /Batch size/ }),
  ).toContainText('50');

  const matrix = page.getByRole('table', { name: /Confusion matrix/ });
  await expect(matrix).toBeVisible();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const cells = await cellContrasts(page);
    expect(cells.length).toBeGreaterThan(10);
    for (const cell of cells)
      expect(cell.ratio, `cell ${cell.text} in the ${scheme} scheme`).toBeGreaterThanOrEqual(4.5);
    await matrix.screenshot({ path: `${SHOTS}/keyboard-confusion-${scheme}.png` });
  }
});
