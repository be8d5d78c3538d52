/** The dataset download: one bar per file with bytes and percent, as the worker reports them. */

import { bytes } from '../format';
import type { FileProgress } from '../store/sessionSlice';

/** Props: per-file progress keyed by file name. */
export interface DownloadProgressProps {
  progress: Record<string, FileProgress>;
}

/** The download bars, plus an overall one when there are several files. */
export function DownloadProgress({ progress }: DownloadProgressProps) {
  const files = Object.entries(progress);
  if (files.length === 0) return <p className="muted">Opening the dataset cache…</p>;
  const loaded = files.reduce((a, [, p]) => a + p.loadedBytes, 0);
  const total = files.reduce((a, [, p]) => a + p.totalBytes, 0);
  return (
    <div className="downloads">
      <Bar label="All files" loaded={loaded} total={total} strong />
      {files.map(([file, p]) => (
        <Bar key={file} label={file} loaded={p.loadedBytes} total={p.totalBytes} />
      ))}
    </div>
  );
}

function Bar({
  label,
  loaded,
  total,
  strong,
}: {
  label: string;
  loaded: number;
  total: number;
  strong?: boolean;
}) {
  const pct = total > 0 ? Math.min(100, (loaded / total) * 100) : null;
  return (
    <div className={strong ? 'download strong' : 'download'}>
      <div className="download-head">
        <span className="download-file">{label}</span>
        <span className="num muted">
          {bytes(loaded)}
          {total > 0 && ` / ${bytes(total)}`}
          {pct !== null && ` · ${pct.toFixed(0)}%`}
        </span>
      </div>
      <progress aria-label={`Download ${label}`} max={100} value={pct ?? undefined} />
    </div>
  );
}
