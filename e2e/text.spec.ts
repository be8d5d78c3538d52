/**
 * A character-level language model in the page, as a new user tries it: the bundled Jargon File
 * picked in the Data panel, the GPT preset (sized small enough for SwiftShader) trained in steps,
 * the loss in bits per character charted and a sample taken at each evaluation, the Sample box and
 * the attention view after training; a .txt of one's own (written here, not committed) trained for
 * a few steps; and the checkpoint downloaded, the page reloaded, the file uploaded and sampled from.
 */
import { readFile } from 'node:fs/promises';
import { expect, type Page, test } from '@playwright/test';

// An evaluation scores the whole validation text (138k characters of the Jargon File), about two
// minutes on SwiftShader: the GPT run evaluates once, at its end.
test.setTimeout(600_000);

/** Fills the training form's and builder's text fields. */
async function size(page: Page, fields: Record<string, string>) {
  const model = page.getByRole('region', { name: 'Model' });
  const training = page.getByRole('region', { name: 'Training' });
  for (const [label, value] of Object.entries(fields)) {
    const inModel = ['n_layer', 'n_head', 'n_embd', 'dropout'].includes(label);
    await (inModel ? model : training).getByLabel(label, { exact: true }).fill(value);
  }
}

test('the bundled text trains a GPT that writes, samples and resumes from an uploaded checkpoint', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  await data.getByRole('button', { name: 'Text: the Jargon File' }).click();
  await expect(data.getByText('The Jargon File (jargon)')).toBeVisible({ timeout: 120_000 });
  await expect(data.getByText('153 characters', { exact: true })).toBeVisible();

  const model = page.getByRole('region', { name: 'Model' });
  await expect(model.getByLabel('Preset')).toHaveValue('text:gpt');
  await size(page, { n_layer: '1', n_head: '2', n_embd: '32', 'Block size (characters)': '32' });
  await expect(model.getByText('input [32] token ids')).toBeVisible();
  const training = page.getByRole('region', { name: 'Training' });
  await size(page, { Steps: '60', 'Evaluate every (steps)': '60', 'Batch size': '16' });
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  const state = training.locator('.run-progress .state');
  await expect(state).toHaveText('Finished', { timeout: 300_000 });

  await expect(page.locator('figure[aria-label="BPC/val chart"]')).toBeVisible();
  await expect(page.locator('figure[aria-label="BPC/train chart"]')).toBeVisible();
  const panel = page.getByRole('region', { name: 'Sample and attention' });
  const samples = panel.getByRole('list', { name: 'Samples during training' });
  await expect(samples.locator('li')).toHaveCount(1);
  await expect(samples.locator('li').first()).toContainText('step 60');

  const sample = panel.getByRole('form', { name: 'Sample' });
  await sample.getByLabel('Prompt').fill('The ');
  await sample.getByLabel('Length').fill('40');
  await sample.getByRole('button', { name: 'Sample' }).click();
  await expect(sample.getByTestId('sample-text')).toHaveText(/^The [\s\S]{40}$/);
  await panel.getByLabel('Look inside with').fill('hacker');
  await panel.getByRole('button', { name: 'Show attention' }).click();
  await expect(panel.getByRole('img', { name: /^head \d: attention weights/ })).toHaveCount(2);
  await page.screenshot({ path: 'e2e/screenshots/text-gpt.png' });

  const runs = page.getByRole('region', { name: 'Runs' });
  const runName = (await runs.locator('li[aria-current="true"] .run-name').textContent()) ?? '';
  expect(runName).not.toBe('');
  const download = page.waitForEvent('download');
  await runs.getByRole('button', { name: 'Download checkpoint' }).click();
  const checkpoint = await readFile(await (await download).path());

  // One's own text: a small .txt, trained for a few steps.
  const own = 'To be, or not to be, that is the question:\n'.repeat(60);
  await data.getByLabel(/Add dataset/).setInputFiles({
    name: 'hamlet.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from(own),
  });
  await expect(data.getByText('hamlet', { exact: true })).toBeVisible({ timeout: 60_000 });
  await size(page, { Steps: '4', 'Evaluate every (steps)': '2', 'Block size (characters)': '16' });
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(state).toHaveText('Finished', { timeout: 120_000 });
  await expect(samples.locator('li')).toHaveCount(2);

  // An empty file is refused in one line, and the text stays loaded.
  await data
    .getByLabel(/Add dataset/)
    .setInputFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.from('') });
  await expect(data.getByRole('alert')).toHaveText(/empty.txt: is empty/);

  // Reload, upload the GPT's checkpoint, and sample from it.
  await page.reload();
  await runs.getByLabel('Upload checkpoint').setInputFiles({
    name: 'jargon-gpt.safetensors',
    mimeType: 'application/octet-stream',
    buffer: checkpoint,
  });
  // Named as the run it was, not after the file; the upload dated apart.
  await expect(runs.locator('li[aria-current="true"] .run-name')).toHaveText(runName);
  await expect(runs.locator('li[aria-current="true"] .run-meta')).toContainText('uploaded');
  await sample.getByLabel('Prompt').fill('hack');
  await sample.getByLabel('Length').fill('20');
  await sample.getByRole('button', { name: 'Sample' }).click();
  await expect(sample.getByTestId('sample-text')).toHaveText(/^hack[\s\S]{20}$/, { timeout: 60_000 });
});
