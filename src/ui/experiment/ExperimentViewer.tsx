/**
 * An experiment opened from a file, shown read-only and apart from the user's own runs: its
 * scalar charts, hyperparameter view and runs table as its author had them set (each can be
 * changed here, and nothing is saved), the picked run's record, notes and final histograms. It
 * works offline (everything is in the file) and closes with Close or Escape on its button.
 */
import { useCallback, useId, useMemo, useState } from 'react';
import { runSearch } from '../charts/runFilter';
import { ScalarsPanel } from '../charts/ScalarsPanel';
import type { XAxisKind } from '../charts/types';
import { useChartGroups } from '../hparams/chartGroups';
import { HparamsBody } from '../hparams/HparamsPanel';
import { shownRuns } from '../hparams/hparams';
import { OffsetHistograms } from '../inside/HistogramsPanel';
import { RunConfig } from '../runs/RunConfig';
import { RunNotes, RunTags } from '../runs/RunNotes';
import { RunsTable } from '../runs/RunsTable';
import { useKiln } from '../store';
import type { HparamsView } from '../store/hparamsSlice';
import type { RunRecord } from '../store/runsSlice';
import type { Experiment, ExperimentView } from './experimentFile';

/** The opened experiment, or nothing. */
export function ExperimentViewer() {
  const experiment = useKiln((s) => s.experiment);
  const close = useKiln((s) => s.closeExperiment);
  // Keyed by the experiment, so opening another starts from its author's view.
  return experiment ? (
    <Viewer key={experiment.exportedAt + experiment.name} e={experiment} onClose={close} />
  ) : null;
}

function Viewer({ e, onClose }: { e: Experiment; onClose: () => void }) {
  const id = useId();
  const [view, setView] = useState<ExperimentView>(e.view);
  const [runs, setRuns] = useState<RunRecord[]>(e.runs);
  const [picked, setPicked] = useState<string | null>(null);
  const onHparams = useCallback(
    (change: Partial<HparamsView>) => setView((v) => ({ ...v, hparams: { ...v.hparams, ...change } })),
    [],
  );
  const found = useMemo(() => runs.filter(runSearch(view.runFilter)), [runs, view.runFilter]);
  const shown = useMemo(() => shownRuns(runs, view.runFilter, view.hparams.brushes), [runs, view]);
  const { keep, groupOf } = useChartGroups(view.hparams);
  const run = runs.find((r) => r.id === picked) ?? null;
  const weights = Object.keys(e.checkpoints).length;
  return (
    <section className="card experiment" aria-labelledby={`${id}-title`}>
      <div className="experiment-head">
        <div>
          <span className="experiment-badge">Opened experiment · read-only</span>
          <h2 id={`${id}-title`} className="user-text">
            {e.name}
          </h2>
          <p className="muted">
            Exported {new Date(e.exportedAt).toLocaleString()} · {e.runs.length} runs ·{' '}
            {weights ? `weights of ${weights}` : 'no weights'}. Shown apart from your own runs; nothing here
            is saved.
          </p>
        </div>
        <button type="button" onClick={onClose}>
          Close experiment
        </button>
      </div>
      <ScalarsPanel
        title={`Scalars · ${e.name}`}
        runs={runs}
        smoothing={view.smoothing}
        xAxis={view.xAxis}
        logScale={view.logScale}
        ignoreOutliers={view.ignoreOutliers}
        runFilter={view.runFilter}
        onSmoothing={(smoothing) => setView((v) => ({ ...v, smoothing }))}
        onXAxis={(xAxis: XAxisKind) => setView((v) => ({ ...v, xAxis }))}
        onLogScale={(logScale) => setView((v) => ({ ...v, logScale }))}
        onIgnoreOutliers={(ignoreOutliers) => setView((v) => ({ ...v, ignoreOutliers }))}
        onRunFilter={(runFilter) => setView((v) => ({ ...v, runFilter }))}
        onToggleRun={(runId, visible) =>
          setRuns((rs) => rs.map((r) => (r.id === runId ? { ...r, visible } : r)))
        }
        keep={keep}
        groupOf={groupOf}
        groupCharts={view.hparams.groupCharts}
        onGroupCharts={(groupCharts) => onHparams({ groupCharts })}
      />
      <section className="card hparams" aria-labelledby={`${id}-hparams`}>
        <h2 id={`${id}-hparams`}>Hyperparameters · {e.name}</h2>
        <HparamsBody runs={found} view={view.hparams} onView={onHparams} />
      </section>
      <section className="card" aria-labelledby={`${id}-runs`}>
        <h2 id={`${id}-runs`}>Runs · {e.name}</h2>
        <RunsTable runs={shown} view={view.hparams} onView={onHparams} activeId={picked} onPick={setPicked} />
        {shown.length < 2 && (
          <ul className="experiment-runs">
            {shown.map((r) => (
              <li key={r.id}>
                <button type="button" className="linkish user-text" onClick={() => setPicked(r.id)}>
                  {r.name}
                </button>
              </li>
            ))}
          </ul>
        )}
        {run ? (
          <PickedRun run={run} peers={runs} histograms={e.histograms[run.id]} />
        ) : (
          <p className="muted">Pick a run by its name for its settings, notes and final histograms.</p>
        )}
      </section>
    </section>
  );
}

/** The picked run: its tags, notes, settings and final histogram per parameter. */
function PickedRun({
  run,
  peers,
  histograms,
}: {
  run: RunRecord;
  peers: RunRecord[];
  histograms: Experiment['histograms'][string] | undefined;
}) {
  const tags = Object.keys(histograms ?? {});
  const [tag, setTag] = useState(tags[0] ?? '');
  const points = histograms?.[tag];
  return (
    <div className="experiment-run">
      <h3 className="user-text">{run.name}</h3>
      <RunTags tags={run.tags} />
      <RunNotes run={run} readOnly />
      <RunConfig run={run} peers={peers} readOnly />
      {points?.length ? (
        <>
          <label className="inside-pick">
            Final histogram of{' '}
            <select value={tag} onChange={(ev) => setTag(ev.target.value)}>
              {tags.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <OffsetHistograms tag={tag} points={points} />
        </>
      ) : (
        <p className="muted">The file holds no histograms of this run.</p>
      )}
    </div>
  );
}
