/**
 * The package's typed API docs (TypeDoc, scripts/api-docs.ts) are part of the built site under
 * /docs/: the front page is the package README, each subpath a module page, each class its
 * constructor and members from the doc comments; the service worker precaches them, so they open
 * offline after the first visit.
 */
import { expect, test } from '@playwright/test';

test('the API docs are served under /docs/ and open offline', async ({ page, context }) => {
  // The page's header links to them.
  await page.goto('./');
  await page
    .getByRole('navigation', { name: 'Documentation' })
    .getByRole('link', { name: 'API docs' })
    .click();
  await expect(page).toHaveURL(/\/docs\/$/);
  await expect(page).toHaveTitle(/kiln/);
  await expect(page.locator('body')).toContainText('Training in ten lines');
  await page.goto('docs/modules.html');
  for (const subpath of ['kiln', 'kiln/nn', 'kiln/optim', 'kiln/data', 'kiln/train', 'kiln/tensorboard'])
    await expect(page.getByRole('link', { name: subpath, exact: true }).first()).toBeVisible();

  await page.goto('docs/classes/kiln_nn.Linear.html');
  await expect(page.locator('h1')).toContainText('Linear');
  await expect(page.locator('body')).toContainText('Defined in src/nn/linear.ts');

  // The playground's first visit installs the service worker, which precaches the docs with the app.
  await page.goto('./');
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, {
    timeout: 60_000,
  });
  await context.setOffline(true);
  try {
    await page.goto('docs/classes/kiln_optim.Adam.html');
    await expect(page.locator('h1')).toContainText('Adam');
    await page.goto('docs/');
    await expect(page.locator('body')).toContainText('How memory is freed');
  } finally {
    await context.setOffline(false);
  }
});
