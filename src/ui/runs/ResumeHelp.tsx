/**
 * Why a stopped run cannot resume on the data loaded now, said where Resume was pressed, with what
 * can be done: load the dataset it trained on (when the page has it), or start a new run with its
 * model and settings.
 */
import { useKiln } from '../store';
import { dataProblem } from '../store/runActions';
import type { RunRecord } from '../store/runsSlice';

/** Props: the run whose Resume this explains. */
export interface ResumeHelpProps {
  run: RunRecord;
}

/** The explanation and its remedies; nothing when the data are not in the way. */
export function ResumeHelp({ run }: ResumeHelpProps) {
  const info = useKiln((s) => s.dataset.info);
  const loading = useKiln((s) => s.dataset.status === 'loading');
  const loadMnist = useKiln((s) => s.loadMnist);
  const loadRunSettings = useKiln((s) => s.loadRunSettings);
  const stopped = run.state === 'stopped' || run.state === 'failed';
  const problem = stopped && run.hasCheckpoint && !run.modelOnly ? dataProblem(run, info) : null;
  if (!problem) return null;
  return (
    <div className="note warn resume-help" role="alert">
      <strong>{run.name} cannot resume on the data loaded now:</strong> {problem}.
      <div className="actions">
        {run.dataset === 'mnist' && info?.name !== 'mnist' && (
          <button type="button" disabled={loading} onClick={loadMnist}>
            Load MNIST
          </button>
        )}
        <button type="button" onClick={() => loadRunSettings(run.id)}>
          Start a new run with these settings
        </button>
      </div>
    </div>
  );
}
