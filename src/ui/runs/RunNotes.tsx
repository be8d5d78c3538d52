/**
 * A run's notes and tags, edited where the run is shown: tags as one comma-separated line, notes as
 * free text; each is kept (in the page and in storage) when its field loses focus.
 */
import { useId, useState } from 'react';
import { useKiln } from '../store';
import type { RunRecord } from '../store/runsSlice';
import { MAX_NOTES, parseTags } from './storedRun';
import '../hparams/hparams.css';

/** The run's tags as small labels (nothing when it has none). */
export function RunTags({ tags }: { tags?: readonly string[] }) {
  if (!tags?.length) return null;
  return (
    <ul className="run-tags" aria-label="Tags">
      {tags.map((t) => (
        <li key={t} className="run-tag user-text">
          {t}
        </li>
      ))}
    </ul>
  );
}

/** The editable notes and tags of `run`; `readOnly` (an opened experiment) shows them only. */
export function RunNotes({ run, readOnly = false }: { run: RunRecord; readOnly?: boolean }) {
  const id = useId();
  const annotate = useKiln((s) => s.annotateRun);
  const [tags, setTags] = useState((run.tags ?? []).join(', '));
  const [notes, setNotes] = useState(run.notes ?? '');
  if (readOnly)
    return run.notes ? (
      <p className="run-notes-text user-text">
        <span className="muted">Notes: </span>
        {run.notes}
      </p>
    ) : null;
  return (
    <div className="run-notes">
      <div className="field">
        <label htmlFor={`${id}-tags`}>Tags</label>
        <input
          id={`${id}-tags`}
          type="text"
          value={tags}
          placeholder="baseline, lr sweep"
          aria-describedby={`${id}-tags-help`}
          onChange={(e) => setTags(e.target.value)}
          onBlur={() => {
            const kept = parseTags(tags);
            setTags(kept.join(', '));
            annotate(run.id, { tags: kept });
          }}
        />
        <span id={`${id}-tags-help`} className="muted help">
          Comma-separated; the run filter finds runs by tag and by notes.
        </span>
      </div>
      <div className="field">
        <label htmlFor={`${id}-notes`}>Notes</label>
        <textarea
          id={`${id}-notes`}
          rows={3}
          maxLength={MAX_NOTES}
          value={notes}
          placeholder="What this run tried, and what it showed"
          onChange={(e) => setNotes(e.target.value)}
          onBlur={() => annotate(run.id, { notes })}
        />
      </div>
    </div>
  );
}
