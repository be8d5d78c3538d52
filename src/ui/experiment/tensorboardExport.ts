/**
 * The shown runs as a TensorBoard logdir in one tar archive, laid out as `npm run sweep` writes
 * one (tensorboardLogdir): at its root the HParams experiment summary (the runs' hyperparameters
 * and metrics), and one folder per run (named by the run) whose event file holds its
 * hyperparameters, scalars and how it ended, so TensorBoard's HParams tab shows the set; beside it,
 * where the run has them, a second event file with the histograms the page holds and the run's
 * tags and notes as text. `tar -xf` it, then `tensorboard --logdir <folder>`.
 */
import { folderNames, type HParamValue, type SessionStatus, tensorboardLogdir } from 'kiln/tensorboard';
import { type Hparam, hparamOf, varyingHparams } from '../hparams/hparams';
import { eventFile, notesText } from '../runs/exportScalars';
import type { RunHistograms } from '../store/insideSlice';
import type { RunRecord } from '../store/runsSlice';
import { type TarFile, tar } from './tar';

/** Settings every export's HParams table shows, varying or not: what a reader asks first. */
const ALWAYS = ['model', 'dataset', 'lr', 'optimizer', 'batchSize', 'epochs', 'seed'];

/** The metrics the HParams tab lists, where the runs logged them (not every gradient-health tag). */
const METRIC_TAGS = ['Loss/train', 'Loss/val', 'Accuracy/val'];

/** How a run ended, as the HParams tab says it. */
function statusOf(run: RunRecord): SessionStatus {
  if (run.state === 'finished') return 'success';
  if (run.state === 'failed') return 'failure';
  return run.state === 'stopped' ? 'unknown' : 'running';
}

/**
 * Each run's hyperparameters by name (the CLI flag: lr, batch-size): the settings that vary among
 * `runs` and ALWAYS. A setting whose values mix numbers and text among the runs (clip norm 1 and
 * "off") is written as text for all of them: the plugin gives each hyperparameter one type.
 */
export function runHparams(runs: readonly RunRecord[]): Record<string, HParamValue>[] {
  const varying = varyingHparams(runs);
  const chosen: Hparam[] = [
    ...ALWAYS.map(hparamOf).filter((h): h is Hparam => h !== undefined && !varying.includes(h)),
    ...varying,
  ];
  const columns = chosen.map((h) => {
    const values = runs.map((r) => h.value(r) ?? '');
    const mixed = values.some((v) => typeof v === 'number') && values.some((v) => typeof v === 'string');
    return { name: h.short, values: mixed ? values.map(String) : values };
  });
  return runs.map((_, i) => Object.fromEntries(columns.map((c) => [c.name, c.values[i]])));
}

/** The logdir's files, as described above. */
export function tensorboardFiles(
  runs: readonly RunRecord[],
  histograms: Record<string, RunHistograms>,
): TarFile[] {
  const hparams = runHparams(runs);
  const logged = new Set(runs.flatMap((r) => Object.keys(r.series)));
  const metrics = METRIC_TAGS.filter((t) => logged.has(t));
  const logdir = tensorboardLogdir(
    runs.map((run, i) => ({
      name: run.name,
      hparams: hparams[i],
      scalars: Object.entries(run.series).flatMap(([tag, points]) =>
        points.map((p) => ({ tag, step: p.step, value: p.value, wallTime: p.wallTime })),
      ),
      status: statusOf(run),
    })),
    metrics.length ? { metrics } : {},
  );
  // The same folders tensorboardLogdir made; the histograms and notes join each run's.
  const folders = folderNames(runs.map((r) => r.name));
  const extra = runs.flatMap((run, i) => {
    if (!Object.keys(histograms[run.id] ?? {}).length && notesText(run) === null) return [];
    const events = eventFile({ ...run, series: {} }, histograms[run.id]);
    return [{ path: `${folders[i]}/${events.name}`, bytes: events.bytes }];
  });
  return [...logdir, ...extra];
}

/** The logdir as a tar archive's bytes. */
export function tensorboardArchive(
  runs: readonly RunRecord[],
  histograms: Record<string, RunHistograms>,
): Uint8Array {
  return tar(tensorboardFiles(runs, histograms));
}
