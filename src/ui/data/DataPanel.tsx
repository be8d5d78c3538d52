/**
 * The data panel: MNIST's download (or cache hit), sample images with labels (or a table's first
 * rows), the sizes and the validation split, the dataset cache, and the user's own IDX or CSV files;
 * or a text (the bundled Jargon File, or the user's .txt) with its vocabulary and first lines.
 */

import { labelOf, SETTINGS } from 'kiln/config';
import { useId, useState } from 'react';
import type { SampleRow } from '../../worker/protocol';
import { NumberField } from '../builder/NumberField';
import { classLabel, count } from '../format';
import { useKiln } from '../store';
import type { DatasetInfo } from '../store/sessionSlice';
import { CacheList } from './CacheList';
import { DigitImage } from './DigitImage';
import { DownloadProgress } from './DownloadProgress';

/** The data panel, reading the session's dataset state. */
export function DataPanel() {
  const id = useId();
  const dataset = useKiln((s) => s.dataset);
  const valSplit = useKiln((s) => s.config.valSplit);
  const setConfig = useKiln((s) => s.setConfig);
  const { info, status, error } = dataset;
  return (
    <section className="card data" aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>Data</h2>
        {info && status !== 'loading' && (
          <span className={info.fromCache ? 'pill ok' : 'pill'}>
            {dataset.fromFiles ? 'Added from files' : info.fromCache ? 'Loaded from cache' : 'Downloaded'}
          </span>
        )}
      </div>
      {status === 'loading' && (
        <div aria-live="polite">
          <p>
            Loading <strong>{dataset.loading}</strong>…
          </p>
          <DownloadProgress progress={dataset.progress} />
        </div>
      )}
      {error && (
        <p className="note error" role="alert">
          {error}
        </p>
      )}
      {info?.text && <TextFacts name={info.name} trainSize={info.trainSize} text={info.text} />}
      {info && !info.text && (
        <>
          <dl className="kv data-facts">
            <div>
              <dt>Dataset</dt>
              <dd className="user-text">{info.name}</dd>
            </div>
            <div>
              <dt>Train</dt>
              <dd className="num">{count(info.trainSize)}</dd>
            </div>
            <div>
              <dt>Test</dt>
              <dd className="num">{info.testSize ? count(info.testSize) : '—'}</dd>
            </div>
            <div>
              <dt>Input</dt>
              <dd className="num">
                {info.inputShape.length === 1 ? `${info.inputShape[0]} features` : info.inputShape.join('×')}
              </dd>
            </div>
            <div>
              <dt>Classes</dt>
              <dd className="num">{info.numClasses}</dd>
            </div>
          </dl>
          <div className="split-row">
            <NumberField
              label={labelOf(SETTINGS.valSplit)}
              value={valSplit}
              integer
              onChange={(v) =>
                setConfig({ valSplit: v !== undefined && Number.isFinite(v) ? Math.max(0, v) : 0 })
              }
            />
            <p className="muted split-text">
              {valSplit > 0
                ? `${count(Math.max(0, info.trainSize - valSplit))} train / ${count(valSplit)} validation, split with the run's seed`
                : 'Validates on the test set'}
            </p>
          </div>
          {info.classes && (
            <p className="muted user-text">
              Classes, numbered in sorted order:{' '}
              {info.classes
                .slice(0, SHOWN_CLASSES)
                .map((c, i) => `${i} ${c}`)
                .join(', ')}
              {info.classes.length > SHOWN_CLASSES ? ', …' : ''}
            </p>
          )}
          {info.rows && <SampleRows rows={info.rows} columns={info.columns} classes={info.classes} />}
          <div className="samples">
            {info.samples.slice(0, 24).map((s, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the dataset's fixed sample list, replaced whole.
              <figure key={`${info.name}-${i}`} className="sample">
                <DigitImage
                  pixels={s.pixels}
                  rows={info.inputShape[1] ?? 28}
                  cols={info.inputShape[2] ?? 28}
                  size={34}
                  label={`Sample ${i + 1}, label ${classLabel(s.label, info.classes)}`}
                />
                <figcaption className="num class-name">{classLabel(s.label, info.classes)}</figcaption>
              </figure>
            ))}
          </div>
        </>
      )}
      <UserDataset current={info?.name ?? null} busy={status === 'loading'} />
      <CacheList version={info} />
    </section>
  );
}

/** A text's sizes (characters, vocabulary, the 90/10 split by position) and its first lines. */
function TextFacts({
  name,
  trainSize,
  text,
}: {
  name: string;
  trainSize: number;
  text: NonNullable<DatasetInfo['text']>;
}) {
  return (
    <>
      <dl className="kv data-facts">
        <div>
          <dt>Dataset</dt>
          <dd>{name === 'jargon' ? 'The Jargon File (jargon)' : name}</dd>
        </div>
        <div>
          <dt>Train</dt>
          <dd className="num">{count(trainSize)} chars</dd>
        </div>
        <div>
          <dt>Validation</dt>
          <dd className="num">{count(text.valSize)} chars</dd>
        </div>
        <div>
          <dt>Vocabulary</dt>
          <dd className="num">{[...text.vocab].length} characters</dd>
        </div>
      </dl>
      <p className="muted split-text">
        Character-level: the first 90% trains, the last 10% validates (split by position, as nanoGPT's
        prepare.py); batches are random windows of block size + 1 characters.
      </p>
      <pre className="text-excerpt" title="The text's first characters">
        {text.excerpt}
      </pre>
    </>
  );
}

/** The most class names the panel lists. */
const SHOWN_CLASSES = 20;

/** The most feature columns the first-rows table shows; wider tables end in an ellipsis column. */
const SHOWN_FEATURES = 8;

/** A table's first rows as in the file (before standardising), features then the label. */
function SampleRows({
  rows,
  columns,
  classes,
}: {
  rows: SampleRow[];
  columns?: string[];
  classes?: string[];
}) {
  const width = rows[0]?.features.length ?? 0;
  const shown = Math.min(width, SHOWN_FEATURES);
  const more = width > shown;
  return (
    <div className="sample-rows table-scroll">
      <table className="cache-table" aria-label="First rows">
        <thead>
          <tr>
            {Array.from({ length: shown }, (_, j) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: columns by position.
              <th key={j} className="num">
                {columns?.[j] ?? `x${j + 1}`}
              </th>
            ))}
            {more && <th className="num">…</th>}
            <th className="num">label</th>
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, 6).map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the dataset's fixed first rows, replaced whole.
            <tr key={i}>
              {r.features.slice(0, shown).map((v, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: columns by position.
                <td key={j} className="num">
                  {Number(v.toPrecision(4))}
                </td>
              ))}
              {more && <td className="num">…</td>}
              <td className="num class-name">{classLabel(r.label, classes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted legend-text">
        First rows as in the file; each feature is standardised with the training split's mean and std.
      </p>
    </div>
  );
}

function UserDataset({ current, busy }: { current: string | null; busy: boolean }) {
  const id = useId();
  const [key, setKey] = useState(0);
  const addUserDataset = useKiln((s) => s.addUserDataset);
  const loadMnist = useKiln((s) => s.loadMnist);
  const loadBundledText = useKiln((s) => s.loadBundledText);
  return (
    <div className="user-dataset">
      <h3>Your own data</h3>
      <div className="field">
        <label htmlFor={id}>
          Add dataset: an IDX images + labels pair (.gz or not), one CSV of pixel rows or of numeric features
          with a label column, or one UTF-8 .txt to train a character-level language model on
        </label>
        <input
          key={key}
          id={id}
          type="file"
          multiple
          disabled={busy}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            if (files.length) void addUserDataset(files);
            // A fresh input lets the same files be picked again after fixing them.
            setKey((k) => k + 1);
          }}
        />
      </div>
      <div className="builtin-choice">
        {current !== 'mnist' && (
          <button type="button" onClick={loadMnist} disabled={busy}>
            {current ? 'Switch back to MNIST' : 'MNIST'}
          </button>
        )}
        {current !== 'jargon' && (
          <button
            type="button"
            onClick={loadBundledText}
            disabled={busy}
            title="The Jargon File (public domain), about 1.4 MB of text, bundled with the site"
          >
            Text: the Jargon File
          </button>
        )}
      </div>
    </div>
  );
}
