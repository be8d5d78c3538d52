/**
 * Sharing results, not only setups: export the shown runs as one experiment file (weights when
 * asked) or as TensorBoard log folders in one archive, and open someone's experiment file.
 */
import { useId, useState } from 'react';
import { useKiln } from '../store';
import { EXPERIMENT_EXT } from './experimentFile';

/** Today as YYYY-MM-DD, for a default experiment name. */
const today = () => new Date().toISOString().slice(0, 10);

/** The experiment row of the runs panel. */
export function ExperimentTools() {
  const id = useId();
  const exportExperiment = useKiln((s) => s.exportExperiment);
  const exportTensorBoard = useKiln((s) => s.exportTensorBoard);
  const openExperiment = useKiln((s) => s.openExperiment);
  const runCount = useKiln((s) => s.runs.length);
  const [name, setName] = useState(`experiment-${today()}`);
  const [weights, setWeights] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const [fileKey, setFileKey] = useState(0);
  const [dragging, setDragging] = useState(false);
  const run = async (what: () => Promise<string>) => {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ error: false, text: `Saved ${await what()}.` });
    } catch (e) {
      setMessage({ error: true, text: `Could not export: ${e instanceof Error ? e.message : String(e)}` });
    } finally {
      setBusy(false);
    }
  };
  const open = async (file: File | undefined) => {
    setFileKey((k) => k + 1);
    if (!file) return;
    setMessage(null);
    const error = await openExperiment(file);
    setMessage(
      error ? { error: true, text: `Could not open the experiment: ${error}. Nothing was changed.` } : null,
    );
  };
  return (
    <fieldset
      className={dragging ? 'experiment-tools dragging' : 'experiment-tools'}
      // An experiment file dropped here opens as one chosen with the button does.
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        if (!e.dataTransfer.files.length) return;
        e.preventDefault();
        setDragging(false);
        void open(e.dataTransfer.files[0]);
      }}
    >
      <legend>Share results</legend>
      <div className="field">
        <label htmlFor={`${id}-name`}>Experiment name</label>
        <input
          id={`${id}-name`}
          type="text"
          value={name}
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <label className="field-bool" title="Each run's stored checkpoint goes in the file too (larger)">
        <input type="checkbox" checked={weights} onChange={(e) => setWeights(e.target.checked)} /> with
        weights
      </label>
      <button
        type="button"
        disabled={busy || runCount === 0 || !name.trim()}
        title="The shown runs (filter and brushes) with their scalars, final histograms, notes and this view, in one file"
        onClick={() => run(() => exportExperiment(name.trim(), weights))}
      >
        Export experiment
      </button>
      <button
        type="button"
        disabled={busy || runCount === 0 || !name.trim()}
        title="One folder of event files per shown run, with hparams summaries, as one .tar archive"
        onClick={() => run(() => exportTensorBoard(name.trim()))}
      >
        Export as TensorBoard
      </button>
      <div className="field experiment-open">
        <label htmlFor={`${id}-open`}>Open experiment (read-only)</label>
        <input
          key={fileKey}
          id={`${id}-open`}
          type="file"
          accept={`${EXPERIMENT_EXT},.gz`}
          onChange={(e) => void open(e.target.files?.[0])}
          aria-describedby={`${id}-drop`}
        />
        <span id={`${id}-drop`} className="muted help">
          or drop a {EXPERIMENT_EXT} file on this box
        </span>
      </div>
      {message && (
        <p className={message.error ? 'note error' : 'note'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
    </fieldset>
  );
}
