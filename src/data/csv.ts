import { DatasetError, shown } from './errors';
import { gunzip, isGzip } from './gzip';
import { checkLabels } from './idx';
import { type ImageDataset, MAX_CLASS_NAME, type RawDataset, type TabularDataset } from './types';

/**
 * CSV files of labelled numeric rows (Kaggle's MNIST-as-CSV, a spreadsheet export). Cells are
 * split on the delimiter, trimmed and unquoted; a quoted cell holding the delimiter is not
 * supported, which numeric data never needs. A number is plain decimal (`-1.5e3`), never `0x10`,
 * `Infinity` or an empty cell as JavaScript's Number() would take them. Messages give 1-based line
 * and column numbers, as a text editor or spreadsheet shows them, and cells as written.
 */

/**
 * The most bytes of CSV text Kiln reads: MNIST's 60,000 rows are 110 MB, and a JavaScript string
 * cannot hold much over 512 M characters.
 */
export const MAX_CSV_BYTES = 256 * 2 ** 20;

/** The largest magnitude a float32 feature holds; a bigger cell would silently become Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** A plain decimal number: digits with an optional sign, point and exponent. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Header names taken for the label column when none is given (any case). */
const LABEL_NAMES = ['label', 'target', 'class', 'y'];

/** Cells pandas reads as a missing value (its default na_values): never a class name. */
const MISSING = new Set([
  '',
  '#n/a',
  '#n/a n/a',
  '#na',
  '-1.#ind',
  '-1.#qnan',
  '-nan',
  '1.#ind',
  '1.#qnan',
  '<na>',
  'n/a',
  'na',
  'null',
  'nan',
  'none',
]);

/**
 * Whether a cell is a class name (`setosa`, `Iris-versicolor`, `T-shirt/top`): text with a letter
 * in it, not a number in any spelling (`0x10`, `Infinity`) and not a missing value (`NaN`, `NA`).
 */
function isClassName(cell: string): boolean {
  return /\p{L}/u.test(cell) && Number.isNaN(Number(cell)) && !MISSING.has(cell.toLowerCase());
}

/** How to read a CSV file. */
export interface CsvOptions {
  /** The dataset's name (a cache key, and what the UI shows). */
  name: string;
  /**
   * The label column, by header name or 0-based index. By default the column named `label`,
   * `target`, `class` or `y` (any case); else the first column, or the last when only the last
   * holds whole numbers in every row (features first, as scikit-learn writes its tables).
   */
  labelColumn?: string | number;
  /**
   * Whether the first line is a header; by default, detected: a line of names (no numbers), or
   * one naming the label column, is a header; a line of numbers is data; a mix is refused.
   */
  header?: boolean;
  /** The cell separator; by default a comma, or a tab or semicolon when the first line has one and no comma. */
  delimiter?: string;
  /** The number of classes; by default the largest label plus one (or the count of class names). */
  numClasses?: number;
}

/**
 * Reads a CSV file's bytes (UTF-8, gzipped or not) into a TabularDataset; see parseCsv. Throws
 * DatasetError for a file over MAX_CSV_BYTES (inflated or not) or one that is not UTF-8 text.
 */
export async function readCsv(bytes: Uint8Array, file: string, options: CsvOptions): Promise<TabularDataset> {
  const raw = isGzip(bytes) ? await gunzip(bytes, file, undefined, MAX_CSV_BYTES) : bytes;
  if (raw.length > MAX_CSV_BYTES) {
    throw new DatasetError(file, `is ${raw.length} bytes, over the ${MAX_CSV_BYTES} Kiln reads as CSV`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch (e) {
    throw new DatasetError(file, 'is not a text file (it is not valid UTF-8), so it cannot be CSV', {
      cause: e,
    });
  }
  return parseCsv(text, file, options);
}

/**
 * Parses CSV text into a TabularDataset. Labels are class indices (0..N-1) or class names in every
 * row (`setosa`, as pandas users have them): names become the indices of their sorted order, as
 * torchvision's ImageFolder numbers its folders, and are kept as the dataset's `classes`. Throws
 * DatasetError naming the line and column of any bad cell.
 */
export function parseCsv(text: string, file: string, options: CsvOptions): TabularDataset {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  // Blank lines (a trailing newline, a gap) carry no row; keep each kept line's 1-based number.
  const rows: { cells: string[]; line: number }[] = [];
  const delimiter = options.delimiter ?? guessDelimiter(lines.find((l) => l.trim() !== '') ?? '');
  lines.forEach((l, i) => {
    if (l.trim() !== '') rows.push({ cells: l.split(delimiter).map(unquote), line: i + 1 });
  });
  if (rows.length === 0) throw new DatasetError(file, 'is empty: no rows');

  const first = rows[0].cells;
  const hasHeader = options.header ?? isHeader(rows[0], rows[1], options.labelColumn, file);
  const header = hasHeader ? first : undefined;
  const body = hasHeader ? rows.slice(1) : rows;
  const width = first.length;
  const labelAt = labelIndex(options.labelColumn, header, body, width, file);
  if (width < 2)
    throw new DatasetError(file, `has ${width} column; it needs a label column and at least one feature`);
  if (body.length === 0) throw new DatasetError(file, 'has a header but no data rows');

  const count = body.length;
  const numFeatures = width - 1;
  const features = new Float32Array(count * numFeatures);
  const labels = new Int32Array(count);
  const columnName = (c: number) => (header ? ` ('${shown(header[c])}')` : '');
  // Names only when every row has one: a stray name among numbers is a bad cell, said below.
  const classes = body.every((r) => isClassName(r.cells[labelAt] ?? '')) ? classNames(body, labelAt) : null;
  const classIndex = new Map(classes?.map((name, i) => [name, i]));
  for (let r = 0; r < count; r++) {
    const { cells, line } = body[r];
    if (cells.length !== width) {
      throw new DatasetError(
        file,
        `line ${line} has ${cells.length} cells, expected ${width} (as on line ${rows[0].line})`,
      );
    }
    let f = r * numFeatures;
    for (let c = 0; c < width; c++) {
      const cell = cells[c];
      const value = DECIMAL.test(cell) ? Number(cell) : Number.NaN;
      if (c === labelAt && classes) {
        if (cell.length > MAX_CLASS_NAME) {
          throw new DatasetError(
            file,
            `line ${line}, column ${c + 1}${columnName(c)}: the class name is ${cell.length} characters long, over the ${MAX_CLASS_NAME} Kiln keeps`,
          );
        }
        labels[r] = classIndex.get(cell) as number;
      } else if (c === labelAt) {
        if (!(Number.isInteger(value) && value >= 0 && value <= 0x7fffffff)) {
          const other = isClassName(cell) ? body.find((b) => !isClassName(b.cells[c] ?? '')) : undefined;
          const why = other
            ? `is a class name, but line ${other.line}'s label '${shown(other.cells[c] ?? '')}' is not: give every row a class name, or every row a class index`
            : 'is not a non-negative integer';
          throw new DatasetError(
            file,
            `line ${line}, column ${c + 1}${columnName(c)}: label '${shown(cell)}' ${why}`,
          );
        }
        labels[r] = value;
      } else {
        if (!(Math.abs(value) <= FLOAT32_MAX)) {
          const what =
            cell === ''
              ? 'the cell is empty'
              : Number.isNaN(value)
                ? `'${shown(cell)}' is not a number`
                : `'${shown(cell)}' is too large for a float32`;
          throw new DatasetError(file, `line ${line}, column ${c + 1}${columnName(c)}: ${what}`);
        }
        features[f++] = value;
      }
    }
  }
  const numClasses = checkLabels(labels, file, {
    numClasses: options.numClasses,
    where: (i) => `line ${body[i].line}`,
  });
  const table: TabularDataset = {
    kind: 'tabular',
    name: options.name,
    features,
    labels,
    count,
    numFeatures,
    numClasses,
  };
  if (header) table.columns = header.filter((_, c) => c !== labelAt);
  if (classes) table.classes = classes;
  return table;
}

/** The distinct names of column `c`, sorted by code unit (Python's sort of ASCII names). */
function classNames(body: { cells: string[] }[], c: number): string[] {
  return [...new Set(body.map((r) => r.cells[c]))].sort();
}

/** The fewest pixels a row of CSV is read as an image with (8 x 8, scikit-learn's digits); fewer make a table. */
const MIN_IMAGE_PIXELS = 64;

/**
 * Says why a tabular dataset cannot be read as square greyscale images (the features must be
 * integers 0..255, their count a square of at least 64, the labels below 256), or returns null
 * when it can. A table it refuses is trained on as a table (rows of features).
 */
export function whyNotImages(ds: TabularDataset): string | null {
  const side = Math.round(Math.sqrt(ds.numFeatures));
  if (side * side !== ds.numFeatures) return `${ds.numFeatures} features is not a square number of pixels`;
  if (ds.numClasses > 256) return `${ds.numClasses} classes do not fit in byte labels`;
  const i = ds.features.findIndex((v) => !(Number.isInteger(v) && v >= 0 && v <= 255));
  if (i >= 0) {
    const row = Math.floor(i / ds.numFeatures);
    return `feature ${i % ds.numFeatures} of row ${row} is ${ds.features[i]}, not a pixel value 0..255`;
  }
  if (ds.numFeatures < MIN_IMAGE_PIXELS)
    return `${ds.numFeatures} features are too few for an image (${MIN_IMAGE_PIXELS} pixels at least)`;
  return null;
}

/** A CSV's rows as the data a run trains on: images when they are pixels (MNIST as CSV), else the table. */
export function csvData(ds: TabularDataset): RawDataset {
  return whyNotImages(ds) === null ? tabularToImages(ds) : ds;
}

/**
 * Reads a tabular dataset of pixel rows (MNIST in CSV form: a label and 784 pixels) as square
 * greyscale images. Throws DatasetError saying why when it cannot (see whyNotImages).
 */
export function tabularToImages(ds: TabularDataset): ImageDataset {
  const reason = whyNotImages(ds);
  if (reason !== null) throw new DatasetError(ds.name, `cannot be read as images: ${reason}`);
  const side = Math.round(Math.sqrt(ds.numFeatures));
  return {
    kind: 'image',
    name: ds.name,
    images: Uint8Array.from(ds.features),
    labels: Uint8Array.from(ds.labels),
    count: ds.count,
    rows: side,
    cols: side,
    channels: 1,
    numClasses: ds.numClasses,
    ...(ds.classes ? { classes: ds.classes } : {}),
  };
}

function labelIndex(
  column: string | number | undefined,
  header: string[] | undefined,
  rows: { cells: string[] }[],
  width: number,
  file: string,
) {
  if (typeof column === 'number') {
    if (!(Number.isInteger(column) && column >= 0 && column < width)) {
      throw new DatasetError(
        file,
        `label column ${column} does not exist: the file has columns 0..${width - 1}`,
      );
    }
    return column;
  }
  if (column !== undefined) {
    if (!header)
      throw new DatasetError(file, `has no header row, so there is no column named '${shown(column)}'`);
    const i = header.indexOf(column);
    if (i < 0)
      throw new DatasetError(
        file,
        `has no column named '${shown(column)}' (columns: ${header
          .slice(0, 8)
          .map((h) => shown(h))
          .join(', ')}${header.length > 8 ? ', ...' : ''})`,
      );
    return i;
  }
  const named = header ? header.findIndex((h) => LABEL_NAMES.includes(h.toLowerCase())) : -1;
  if (named >= 0) return named;
  // The one column of class names (Iris's `species`), as pandas users' tables have it.
  const texts = Array.from({ length: width }, (_, c) => c).filter((c) =>
    rows.every(({ cells }) => isClassName(cells[c] ?? '')),
  );
  if (texts.length === 1) return texts[0];
  // Unnamed: the first column (Kaggle's MNIST), else the last (scikit-learn's tables) when only it holds class indices.
  const classes = (c: number) => rows.every(({ cells }) => /^\d+$/.test(cells[c] ?? ''));
  return !classes(0) && classes(width - 1) ? width - 1 : 0;
}

function guessDelimiter(line: string): string {
  if (line.includes(',')) return ',';
  if (line.includes('\t')) return '\t';
  if (line.includes(';')) return ';';
  return ',';
}

function unquote(cell: string): string {
  const t = cell.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

/**
 * Whether a first line with no `header` option is a header: all names, or naming the label column.
 * A line of numbers with class names where the next line has them too (UCI's headerless
 * `5.1,3.5,1.4,0.2,Iris-setosa`) is data. Any other line mixing names and numbers is refused, as it
 * may be a data row with a bad cell.
 */
function isHeader(
  { cells, line }: { cells: string[]; line: number },
  next: { cells: string[] } | undefined,
  labelColumn: string | number | undefined,
  file: string,
): boolean {
  const c = cells.findIndex((cell) => !DECIMAL.test(cell));
  if (c < 0) return false;
  const namesLabel = (cell: string) =>
    typeof labelColumn === 'string' ? cell === labelColumn : LABEL_NAMES.includes(cell.toLowerCase());
  if (cells.every((cell) => !DECIMAL.test(cell)) || cells.some(namesLabel)) return true;
  const classColumns = (r: { cells: string[] }) =>
    r.cells.flatMap((cell, i) => (isClassName(cell) ? [i] : [])).join();
  if (
    next &&
    cells.every((cell) => DECIMAL.test(cell) || isClassName(cell)) &&
    classColumns({ cells }) === classColumns(next)
  )
    return false;
  const what = cells[c] === '' ? 'the cell is empty' : `'${shown(cells[c])}' is not a number`;
  throw new DatasetError(
    file,
    `line ${line}, column ${c + 1}: ${what}, and the line is no header either (it holds numbers, and no column named '${shown(typeof labelColumn === 'string' ? labelColumn : 'label')}'): fix the cell, or name every column in the header`,
  );
}
