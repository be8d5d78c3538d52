/**
 * Every run this browser has kept: pick which one the evaluation shows, rename, resume, delete,
 * download its checkpoint, model or scalars, or upload a checkpoint as a new run.
 */
import { useEffect, useId, useMemo, useState } from 'react';
import { downloadBytes, fileStem } from '../download';
import { ExperimentTools } from '../experiment/ExperimentTools';
import { configSummary, percent } from '../format';
import { shownRuns } from '../hparams/hparams';
import { useKiln } from '../store';
import { whyNotResumable } from '../store/runActions';
import type { RunRecord } from '../store/runsSlice';
import { eventFile, tagCsv } from './exportScalars';
import { ResumeHelp } from './ResumeHelp';
import { RunConfig } from './RunConfig';
import { RunNotes, RunTags } from './RunNotes';
import { RunsTable } from './RunsTable';
import { recordJson } from './storedRun';

/** The runs panel. */
export function RunsPanel() {
  const id = useId();
  const runs = useKiln((s) => s.runs);
  const activeId = useKiln((s) => s.activeRunId);
  const uploadCheckpoint = useKiln((s) => s.uploadCheckpoint);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [uploadKey, setUploadKey] = useState(0);
  return (
    <section className="card runs" aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>Runs</h2>
        <div className="field upload">
          <label htmlFor={`${id}-upload`}>Upload checkpoint</label>
          <input
            key={uploadKey}
            id={`${id}-upload`}
            type="file"
            accept=".safetensors"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              setUploadKey((k) => k + 1);
              if (!file) return;
              setUploadError(null);
              setUploadError(await uploadCheckpoint(file));
            }}
          />
        </div>
      </div>
      {uploadError && (
        <p className="note error" role="alert">
          Could not load the checkpoint: {uploadError}. Nothing stored was changed.
        </p>
      )}
      <ExperimentTools />
      <UndoDelete />
      <UnreadableRuns />
      <ShownRunsTable />
      {runs.length === 0 ? (
        <p className="muted">Runs are kept in this browser, with their metrics and latest checkpoint.</p>
      ) : (
        <ul className="run-list">
          {[...runs].reverse().map((run) => (
            <RunItem key={run.id} run={run} active={run.id === activeId} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** The runs table of the runs the filter and the brushes keep. */
function ShownRunsTable() {
  const runs = useKiln((s) => s.runs);
  const filter = useKiln((s) => s.runFilter);
  const view = useKiln((s) => s.hparams);
  const setView = useKiln((s) => s.setHparams);
  const activeId = useKiln((s) => s.activeRunId);
  const setActive = useKiln((s) => s.setActiveRun);
  const shown = useMemo(() => shownRuns(runs, filter, view.brushes), [runs, filter, view.brushes]);
  return <RunsTable runs={shown} view={view} onView={setView} activeId={activeId} onPick={setActive} />;
}

/** After a delete, a line that says so with Undo, until the next delete or the undo. */
function UndoDelete() {
  const deleted = useKiln((s) => s.deletedRun);
  const undoDelete = useKiln((s) => s.undoDelete);
  if (!deleted) return null;
  return (
    <p className="note undo-delete" role="status">
      Deleted {deleted.run.name}
      {deleted.checkpoint ? ' and its checkpoint' : ''}.
      <button type="button" onClick={() => void undoDelete()}>
        Undo
      </button>
    </p>
  );
}

/** Stored records this page could not read: set aside, each with why, to download or delete. */
function UnreadableRuns() {
  const unreadable = useKiln((s) => s.unreadableRuns);
  const remove = useKiln((s) => s.deleteUnreadableRun);
  if (!unreadable.length) return null;
  return (
    <div className="note warn unreadable-runs" role="status">
      {unreadable.length === 1 ? 'One stored run' : `${unreadable.length} stored runs`} could not be read
      (damaged, or written by another version of Kiln); the others are loaded.
      <ul>
        {unreadable.map((u) => (
          <li key={String(u.key)}>
            <code>{String(u.key)}</code>: {u.problem}{' '}
            <button
              type="button"
              onClick={() =>
                downloadBytes(
                  recordJson(u.value),
                  `${fileStem(String(u.key))}-record.json`,
                  'application/json',
                )
              }
            >
              Download
            </button>{' '}
            <button type="button" onClick={() => void remove(u.key)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function RunItem({ run, active }: { run: RunRecord; active: boolean }) {
  const setActive = useKiln((s) => s.setActiveRun);
  const renameRun = useKiln((s) => s.renameRun);
  const resumeRun = useKiln((s) => s.resumeRun);
  const deleteRun = useKiln((s) => s.deleteRun);
  const downloadCheckpoint = useKiln((s) => s.downloadCheckpoint);
  const downloadPytorch = useKiln((s) => s.downloadPytorch);
  const notResumable = useKiln((s) => whyNotResumable(run, s));
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(run.name);
  const inputId = useId();
  const busy = run.state === 'running' || run.state === 'paused' || run.state === 'queued';
  const stem = fileStem(run.name);
  const commit = () => {
    const trimmed = name.trim();
    if (trimmed) renameRun(run.id, trimmed);
    else setName(run.name);
    setEditing(false);
  };
  return (
    <li
      className={active ? 'run-item active' : 'run-item'}
      aria-current={active || undefined}
      data-run={run.id}
    >
      <div className="run-item-head">
        <span className="swatch" style={{ background: run.color }} />
        {editing ? (
          <span className="field rename">
            <label htmlFor={inputId}>Run name</label>
            <input
              id={inputId}
              type="text"
              value={name}
              // biome-ignore lint/a11y/noAutofocus: the user just asked to rename this run.
              autoFocus
              onChange={(e) => setName(e.target.value)}
              onBlur={commit}
              onKeyDown={(e) => {
                if (e.key === 'Enter') commit();
                if (e.key === 'Escape') {
                  setName(run.name);
                  setEditing(false);
                }
              }}
            />
          </span>
        ) : (
          <button
            type="button"
            className="run-name linkish"
            onClick={() => setActive(run.id)}
            title="Show this run"
          >
            {run.name}
          </button>
        )}
        <span className={`state state-${run.state}`}>{run.state}</span>
        <span className="num run-acc">{run.lastEpoch ? percent(run.lastEpoch.valAcc) : ''}</span>
      </div>
      <div className="run-meta muted user-text">
        {run.sweep && `sweep ${run.sweep.name}, run ${run.sweep.index + 1} of ${run.sweep.count} · `}
        {run.model.name} on {run.dataset || 'unknown data'} · {configSummary(run.config)} · epoch {run.epoch}/
        {run.config.epochs} · {new Date(run.createdAt).toLocaleString()}
        {run.uploadedAt !== undefined && ` · uploaded ${new Date(run.uploadedAt).toLocaleString()}`}
      </div>
      <RunTags tags={run.tags} />
      <div className="run-actions">
        <button type="button" onClick={() => setEditing(true)} aria-label={`Rename ${run.name}`}>
          Rename
        </button>
        {(run.state === 'stopped' || run.state === 'failed') && run.hasCheckpoint && !run.modelOnly && (
          <button
            type="button"
            disabled={notResumable !== null}
            title={notResumable ?? undefined}
            onClick={() => void resumeRun(run.id)}
          >
            Resume from checkpoint
          </button>
        )}
        <button
          type="button"
          disabled={!run.hasCheckpoint && !busy}
          onClick={() => void downloadCheckpoint(run.id, 'checkpoint')}
        >
          Download checkpoint
        </button>
        <button
          type="button"
          disabled={!run.hasCheckpoint && !busy}
          onClick={() => void downloadCheckpoint(run.id, 'model')}
        >
          Download model (.safetensors)
        </button>
        <button type="button" onClick={() => downloadPytorch(run.id)}>
          Export PyTorch script
        </button>
        <ExportScalars run={run} stem={stem} />
        <button
          type="button"
          className="danger"
          onClick={() => void deleteRun(run.id)}
          aria-label={`Delete ${run.name}`}
        >
          Delete
        </button>
      </div>
      {active && <RunNotes run={run} />}
      {active && <ResumeHelp run={run} />}
      {active && <RunConfig run={run} />}
    </li>
  );
}

/** The run's scalars as download links (a CSV per tag, one event file), made only while opened. */
function ExportScalars({ run, stem }: { run: RunRecord; stem: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="export" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Export scalars</summary>
      {open && <ExportLinks run={run} stem={stem} />}
    </details>
  );
}

function ExportLinks({ run, stem }: { run: RunRecord; stem: string }) {
  const [links, setLinks] = useState<{ label: string; href: string; name: string }[]>([]);
  const histograms = useKiln((s) => s.histograms[run.id]);
  useEffect(() => {
    const csv = Object.keys(run.series)
      .sort()
      .map((tag) => ({
        label: `CSV · ${tag}`,
        href: URL.createObjectURL(new Blob([tagCsv(run, tag)], { type: 'text/csv' })),
        name: `${stem}-${tag.replace(/\//g, '_')}.csv`,
      }));
    const events = eventFile(run, histograms);
    const made = [
      ...csv,
      {
        label: 'TensorBoard event file',
        href: URL.createObjectURL(new Blob([new Uint8Array(events.bytes)])),
        name: events.name,
      },
    ];
    setLinks(made);
    return () => {
      for (const l of made) URL.revokeObjectURL(l.href);
    };
  }, [run, stem, histograms]);
  return (
    <div className="export-links">
      {links.map((l) => (
        <a key={l.name} href={l.href} download={l.name}>
          {l.label}
        </a>
      ))}
    </div>
  );
}
