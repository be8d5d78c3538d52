/** "Copy link": an address that opens this page with the builder's model and the form's settings. */
import { useId, useState } from 'react';
import { useKiln } from '../store';
import { setupLink } from '../store/setup';

/** The button, and once pressed the link itself (to copy by hand where the clipboard is refused). */
export function CopyLink() {
  const id = useId();
  const model = useKiln((s) => s.spec);
  const config = useKiln((s) => s.config);
  const [shown, setShown] = useState<{ link: string; copied: boolean; for: object[] } | null>(null);
  const [refused, setRefused] = useState<{ why: string; for: object[] } | null>(null);
  // A link copied before the model or settings changed no longer describes them: it is hidden.
  const current = shown?.for[0] === model && shown.for[1] === config ? shown : null;
  const copy = async () => {
    const { origin, pathname, search } = window.location;
    let link: string;
    try {
      link = setupLink(`${origin}${pathname}${search}`, { model, config });
    } catch (e) {
      setRefused({ why: (e as Error).message, for: [model, config] });
      return;
    }
    setRefused(null);
    let copied = true;
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      copied = false;
    }
    setShown({ link, copied, for: [model, config] });
  };
  return (
    <div className="copy-link">
      <button
        type="button"
        onClick={() => void copy()}
        title="A link that opens this model and these settings (not the weights)"
      >
        Copy link
      </button>
      {refused?.for[0] === model && refused.for[1] === config && (
        <span className="muted" role="alert">
          No link: {refused.why}.
        </span>
      )}
      {current && (
        <>
          <label htmlFor={id} className="muted">
            {current.copied ? 'Link copied: it opens this model and these settings' : 'Copy this link'}
          </label>
          <input
            id={id}
            className="copy-link-url"
            type="text"
            readOnly
            value={current.link}
            onFocus={(e) => e.currentTarget.select()}
          />
        </>
      )}
    </div>
  );
}
