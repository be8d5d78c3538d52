import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, tabularToImages, whyNotImages } from './csv';
import { DatasetError } from './errors';
import { imageDatasetFromIdx, parseIdx } from './idx';
import { MNIST_DATA_DIR } from './testing';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return (e as DatasetError).message;
  }
  throw new Error('expected a DatasetError');
}

describe('parseCsv', () => {
  it('reads a header, finds the label column by name and keeps the rest as features', () => {
    const ds = parseCsv('x1,label,x2\r\n0.5,2,-1\r\n1e3,0,3\r\n\r\n', 'a.csv', { name: 'a' });
    expect(ds).toMatchObject({ kind: 'tabular', name: 'a', count: 2, numFeatures: 2, numClasses: 3 });
    expect(Array.from(ds.features)).toEqual([0.5, -1, 1000, 3]);
    expect(Array.from(ds.labels)).toEqual([2, 0]);
  });

  it('without a header takes the first column as the label', () => {
    const ds = parseCsv('1,10,20\n0,30,40\n', 'b.csv', { name: 'b' });
    expect(Array.from(ds.labels)).toEqual([1, 0]);
    expect(Array.from(ds.features)).toEqual([10, 20, 30, 40]);
  });

  it('reads an Iris-like table: float features, the class last, with or without a header', () => {
    const rows = '5.1,3.5,1.4,0.2,0\n7.0,3.2,4.7,1.4,1\n6.3,3.3,6.0,2.5,2\n';
    const bare = parseCsv(rows, 'iris.csv', { name: 'iris' });
    expect(bare).toMatchObject({ count: 3, numFeatures: 4, numClasses: 3 });
    expect(Array.from(bare.labels)).toEqual([0, 1, 2]);
    expect(Array.from(bare.features.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    const named = parseCsv(`sepal_length,sepal_width,petal_length,petal_width,Target\n${rows}`, 'iris.csv', {
      name: 'iris',
    });
    expect(Array.from(named.labels)).toEqual([0, 1, 2]);
    expect(named.features).toEqual(bare.features);
    expect(named.columns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(bare.columns).toBeUndefined();
    // Both ends whole numbers: the first column stays the label, as in Kaggle's MNIST.
    expect(Array.from(parseCsv('1,0.5,2\n0,0.25,1\n', 'w', { name: 'w' }).labels)).toEqual([1, 0]);
  });

  it('names a bad row by the line a text editor shows (the header counted) and the cell as written', () => {
    const text = 'a,b,c,label\n1,2,3,0\n\n4,5,abc,1\n';
    expect(refusal(() => parseCsv(text, 't.csv', { name: 't' }))).toBe(
      "t.csv: line 4, column 3 ('c'): 'abc' is not a number",
    );
  });

  it('takes the label column by index or by name, with quoted headers, tabs and a BOM', () => {
    expect(Array.from(parseCsv('5,6,1\n7,8,0', 'c', { name: 'c', labelColumn: 2 }).labels)).toEqual([1, 0]);
    const ds = parseCsv('\uFEFF"a"\t"y"\n1\t3\n', 'd', { name: 'd', labelColumn: 'y', numClasses: 10 });
    expect(Array.from(ds.labels)).toEqual([3]);
    expect(ds.numClasses).toBe(10);
  });

  it('refuses ragged rows with the line number', () => {
    expect(refusal(() => parseCsv('label,a,b\n1,2,3\n1,2\n', 'r.csv', { name: 'r' }))).toBe(
      'r.csv: line 3 has 2 cells, expected 3 (as on line 1)',
    );
  });

  it('refuses non-numeric and empty cells with line and column', () => {
    expect(refusal(() => parseCsv('label,a,b\n1,2,3\n1,x,3\n', 'n.csv', { name: 'n' }))).toBe(
      "n.csv: line 3, column 2 ('a'): 'x' is not a number",
    );
    expect(refusal(() => parseCsv('1,2,3\n1,2,\n', 'e.csv', { name: 'e' }))).toBe(
      'e.csv: line 2, column 3: the cell is empty',
    );
    expect(refusal(() => parseCsv('label,a\n1.5,2\n', 'l.csv', { name: 'l' }))).toMatch(
      /line 2, column 1 \('label'\): label '1.5' is not a non-negative integer/,
    );
  });

  it('refuses labels outside the given classes, a missing label column and empty files', () => {
    expect(refusal(() => parseCsv('3,1\n', 'f', { name: 'f', numClasses: 3 }))).toBe(
      'f: label 3 at line 1 is out of range: expected 0..2 for 3 classes',
    );
    expect(refusal(() => parseCsv('a,b\n1,2\n', 'g', { name: 'g', labelColumn: 'y' }))).toMatch(
      /no column named 'y' \(columns: a, b\)/,
    );
    expect(refusal(() => parseCsv('1,2\n', 'h', { name: 'h', labelColumn: 'label' }))).toMatch(
      /no header row/,
    );
    expect(refusal(() => parseCsv('1,2\n', 'i', { name: 'i', labelColumn: 5 }))).toMatch(
      /label column 5 does not/,
    );
    expect(refusal(() => parseCsv('\n\n', 'j', { name: 'j' }))).toMatch(/is empty/);
    expect(refusal(() => parseCsv('label,a\n', 'k', { name: 'k' }))).toMatch(/no data rows/);
    expect(refusal(() => parseCsv('1\n2\n', 'm', { name: 'm' }))).toMatch(
      /needs a label column and at least one/,
    );
  });
});

describe('parseCsv: class names as labels', () => {
  const iris =
    'sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n7.0,3.2,4.7,1.4,versicolor\n6.3,3.3,6.0,2.5,virginica\n4.9,3.0,1.4,0.2,setosa\n';

  it('takes a column of names as the labels, numbered in sorted order as ImageFolder numbers its folders', () => {
    const ds = parseCsv(iris, 'iris.csv', { name: 'iris' });
    expect(ds).toMatchObject({ count: 4, numFeatures: 4, numClasses: 3 });
    expect(ds.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Array.from(ds.labels)).toEqual([0, 1, 2, 0]);
    expect(ds.columns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    // Sorted, not in order of appearance; numbered labels carry no names.
    expect(parseCsv('label,a\nzebra,1\nant,2\n', 'z', { name: 'z' }).classes).toEqual(['ant', 'zebra']);
    expect(parseCsv('label,a\n1,1\n', 'n', { name: 'n' }).classes).toBeUndefined();
  });

  it("reads UCI's headerless iris.data, names last, and a names column first", () => {
    const uci = parseCsv('5.1,3.5,1.4,0.2,Iris-setosa\n7.0,3.2,4.7,1.4,Iris-versicolor\n', 'iris.data', {
      name: 'uci',
    });
    expect([uci.count, uci.numFeatures, uci.classes]).toEqual([2, 4, ['Iris-setosa', 'Iris-versicolor']]);
    const first = parseCsv('cat,0.5,1\ndog,0.25,2\n', 'pets', { name: 'pets' });
    expect([first.classes, Array.from(first.features)]).toEqual([
      ['cat', 'dog'],
      [0.5, 1, 0.25, 2],
    ]);
  });

  it('keeps the names when the rows are pixels', () => {
    const pixels = (v: number) => Array(64).fill(v).join(',');
    const ds = parseCsv(
      `label,${Array.from({ length: 64 }, (_, i) => `p${i}`).join(',')}\nsix,${pixels(3)}\nfive,${pixels(9)}\n`,
      'p',
      { name: 'p' },
    );
    expect(tabularToImages(ds)).toMatchObject({ kind: 'image', classes: ['five', 'six'], numClasses: 2 });
  });

  it('refuses names mixed with numbers, missing values and overlong names, naming the line', () => {
    expect(refusal(() => parseCsv('label,a\nsetosa,1\n5,2\n', 'm.csv', { name: 'm' }))).toBe(
      "m.csv: line 2, column 1 ('label'): label 'setosa' is a class name, but line 3's label '5' is not: give every row a class name, or every row a class index",
    );
    expect(refusal(() => parseCsv('label,a\nsetosa,1\nNaN,2\n', 'n.csv', { name: 'n' }))).toMatch(
      /label 'setosa' is a class name, but line 3's label 'NaN' is not/,
    );
    expect(refusal(() => parseCsv(`label,a\n${'x'.repeat(101)},1\n`, 'l.csv', { name: 'l' }))).toBe(
      "l.csv: line 2, column 1 ('label'): the class name is 101 characters long, over the 100 Kiln keeps",
    );
  });
});

describe('parseCsv: what is a number, what is a header', () => {
  it('reads only plain decimal numbers, refusing hex, binary, Infinity and the like as written', () => {
    const ds = parseCsv('label,a,b,c,d\n0,+1.5,-.25,5.,2E-3\n', 'ok', { name: 'ok' });
    expect(Array.from(ds.features)).toEqual([1.5, -0.25, 5, Math.fround(0.002)]);
    for (const cell of ['0x10', '0b11', '0o7', 'Infinity', '1_000', '1e', '--1', 'NaN', '١']) {
      expect(refusal(() => parseCsv(`label,a\n0,${cell}\n`, 'n.csv', { name: 'n' }))).toBe(
        `n.csv: line 2, column 2 ('a'): '${cell}' is not a number`,
      );
    }
    expect(refusal(() => parseCsv('label,a\n0x1,1\n', 'l.csv', { name: 'l' }))).toMatch(
      /line 2, column 1 \('label'\): label '0x1' is not a non-negative integer/,
    );
  });

  it('refuses a feature a float32 cannot hold, rather than storing Infinity', () => {
    expect(refusal(() => parseCsv('label,a\n0,-1e39\n', 'big.csv', { name: 'b' }))).toBe(
      "big.csv: line 2, column 2 ('a'): '-1e39' is too large for a float32",
    );
  });

  it('takes a line of names, or one naming the label column, as the header', () => {
    expect(parseCsv('y,x\n1,2\n', 'a', { name: 'a' }).count).toBe(1);
    const pandas = parseCsv('label,0,1\n1,2,3\n', 'b', { name: 'b' });
    expect([pandas.count, pandas.numFeatures]).toEqual([1, 2]);
    expect(parseCsv('y,0\n1,2\n', 'c', { name: 'c', labelColumn: 'y' }).count).toBe(1);
  });

  it('refuses a first line mixing numbers and a bad cell instead of taking it as the header', () => {
    expect(refusal(() => parseCsv('\n5,0,0x10\n3,1,2\n', 'no-header.csv', { name: 'n' }))).toBe(
      "no-header.csv: line 2, column 3: '0x10' is not a number, and the line is no header either (it holds numbers, and no column named 'label'): fix the cell, or name every column in the header",
    );
    expect(refusal(() => parseCsv('5,,1\n', 'e.csv', { name: 'e' }))).toMatch(
      /^e\.csv: line 1, column 2: the cell is empty, and the line is no header/,
    );
    expect(parseCsv('5,x,1\n3,1,2\n', 'h', { name: 'h', header: true }).count).toBe(1);
  });

  it('refuses a label that would make more classes than Kiln trains, naming its line', () => {
    expect(refusal(() => parseCsv('label,a\n1,0\n60000,1\n', 'id.csv', { name: 'i' }))).toBe(
      'id.csv: label 60000 at line 3 would make 60001 classes, over the 1000 Kiln trains: is this the label column, and the file intact?',
    );
  });

  it('refuses one stray label far above the others (999 among 0-2), naming its line', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i % 3},${i}`);
    rows[16] = '999,16';
    expect(refusal(() => parseCsv(`label,a\n${rows.join('\n')}\n`, 'iris.csv', { name: 'i' }))).toBe(
      'iris.csv: label 999 at line 18 stands apart from the others (the next below it is 2): it would make 1000 classes, 996 of them never seen; fix that label, or number the classes 0..N-1',
    );
    // A small split missing a few of ten classes still loads as ten classes.
    expect(parseCsv('label,a\n0,1\n5,2\n9,3\n', 'small.csv', { name: 's' }).numClasses).toBe(10);
  });
});

describe('tabularToImages', () => {
  it('reads MNIST in CSV form (785 columns) as the same 28x28 images as the IDX files', () => {
    const idx = imageDatasetFromIdx(
      parseIdx(new Uint8Array(readFileSync(join(MNIST_DATA_DIR, 't10k-images-idx3-ubyte'))), 'imgs'),
      parseIdx(new Uint8Array(readFileSync(join(MNIST_DATA_DIR, 't10k-labels-idx1-ubyte'))), 'lbls'),
      { name: 'mnist-test' },
    );
    const n = 50;
    const header = ['label', ...Array.from({ length: 784 }, (_, i) => `pixel${i}`)].join(',');
    const lines = Array.from({ length: n }, (_, r) =>
      [idx.labels[r], ...idx.images.subarray(r * 784, (r + 1) * 784)].join(','),
    );
    const tab = parseCsv([header, ...lines].join('\n'), 'mnist.csv', { name: 'mnist-csv', numClasses: 10 });
    expect(tab.numFeatures).toBe(784);
    expect(whyNotImages(tab)).toBeNull();
    const img = tabularToImages(tab);
    expect(img).toMatchObject({ kind: 'image', rows: 28, cols: 28, count: n, numClasses: 10, channels: 1 });
    expect(img.labels[0]).toBe(7);
    expect(img.images).toEqual(idx.images.subarray(0, n * 784));
  });

  it('says why a dataset is not images', () => {
    expect(whyNotImages(parseCsv('0,1,2,3\n', 'a', { name: 'a' }))).toMatch(/3 features is not a square/);
    const fractional = parseCsv('0,1,2,3.5,4\n', 'b', { name: 'b' });
    expect(whyNotImages(fractional)).toMatch(/feature 2 of row 0 is 3.5/);
    expect(refusal(() => tabularToImages(parseCsv('0,1,2,300,4\n', 'c', { name: 'c' })))).toMatch(
      /^c: cannot be read as images: .*300/,
    );
    const small = parseCsv('0,1,2,3,4\n1,5,6,7,8\n', 'd', { name: 'd' });
    expect(whyNotImages(small)).toMatch(/4 features are too few for an image/);
  });
});
