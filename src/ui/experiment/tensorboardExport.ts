/**
 * The shown runs as a TensorBoard logdir in one tar archive: one folder per run (named by the run)
 * holding its event file (scalars, the histograms the page holds, its tags and notes as text).
 * `tar -xf` it, then `tensorboard --logdir <folder>`.
 */
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

/** The logdir's files: one folder per run, as described above. */
export function tensorboardFiles(
  runs: readonly RunRecord[],
  histograms: Record<string, RunHistograms>,
): TarFile[] {
  const folders = runFolders(runs.map((r) => r.name));
  return runs.map((run, i) => {
    const events = eventFile(run, histograms[run.id]);
    return { path: `${folders[i]}/${events.name}`, bytes: events.bytes };
  });
}

/** The logdir as a tar archive's bytes. */
export function tensorboardArchive(
  runs: readonly RunRecord[],
  histograms: Record<string, RunHistograms>,
): Uint8Array {
  return tar(tensorboardFiles(runs, histograms));
}
