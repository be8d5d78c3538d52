/**
 * The shown runs as a TensorBoard logdir in one tar archive: one folder per run (named by the run)
 * holding its event file (scalars and the histograms the page holds) and, where the run has notes
 * or tags, a second event file with them as text (TensorBoard's Text tab). `tar -xf` it, then
 * `tensorboard --logdir <folder>`.
 */
import { eventFileName, markdownVerbatim, SummaryWriter } from '../../train/tensorboard';
import { fileStem } from '../download';
import { eventFile } from '../runs/exportScalars';
import type { RunHistograms } from '../store/insideSlice';
import type { RunRecord } from '../store/runsSlice';
import { type TarFile, tar } from './tar';

/** The longest folder name written: room is left in ustar's 100 bytes for the event file's name. */
const MAX_FOLDER = 60;

/** A folder name per run: its name made file-safe and cut, a repeat numbered (-2, -3...). */
export function runFolders(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((n) => {
    // A name of dots alone ('..') would climb out of the logdir: its dots become '_'.
    const stem = fileStem(n).slice(0, MAX_FOLDER);
    const base = /^\.+$/.test(stem) ? stem.replace(/\./g, '_') : stem;
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}-${i}`;
    used.add(name.toLowerCase());
    return name;
  });
}

/** A run's notes and tags as one Markdown text, or null when it has neither. */
function notesText(run: RunRecord): string | null {
  const tags = run.tags?.length ? `Tags: ${run.tags.join(', ')}` : '';
  const notes = run.notes?.trim() ? markdownVerbatim(run.notes) : '';
  return tags || notes ? [tags, notes].filter(Boolean).join('\n\n') : null;
}

/** The logdir's files: one folder per run, as described above. */
export function tensorboardFiles(
  runs: readonly RunRecord[],
  histograms: Record<string, RunHistograms>,
): TarFile[] {
  const folders = runFolders(runs.map((r) => r.name));
  return runs.flatMap((run, i) => {
    const events = eventFile(run, histograms[run.id]);
    const files: TarFile[] = [{ path: `${folders[i]}/${events.name}`, bytes: events.bytes }];
    const text = notesText(run);
    if (text !== null) {
      const last = Math.max(
        run.createdAt,
        ...Object.values(run.series).flatMap((s) => s.map((p) => p.wallTime)),
      );
      const writer = new SummaryWriter(last / 1000);
      writer.addText('notes', text, run.step, last / 1000);
      files.push({
        path: `${folders[i]}/${eventFileName('kiln-notes', last / 1000)}`,
        bytes: writer.flush(),
      });
    }
    return files;
  });
}

/** The logdir as a tar archive's bytes. */
export function tensorboardArchive(
  runs: readonly RunRecord[],
  histograms: Record<string, RunHistograms>,
): Uint8Array {
  return tar(tensorboardFiles(runs, histograms));
}
