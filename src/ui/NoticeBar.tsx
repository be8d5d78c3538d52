/** A page-wide notice (a lost GPU, a full disk) above the panels, until the user dismisses it. */
import { useKiln } from './store';

/** The notice bar; renders nothing when there is no notice. */
export function NoticeBar() {
  const notice = useKiln((s) => s.notice);
  const setNotice = useKiln((s) => s.setNotice);
  if (!notice) return null;
  return (
    <div className={`note notice ${notice.kind}`} role="alert">
      <div>
        <strong>{notice.title}</strong>
        <div>{notice.message}</div>
      </div>
      <button type="button" onClick={() => setNotice(null)}>
        Dismiss
      </button>
    </div>
  );
}
