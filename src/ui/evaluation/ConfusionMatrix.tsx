/** The confusion matrix as a heat-map table: rows are true classes, columns predicted ones. */
import { useSyncExternalStore } from 'react';
import { mixSrgb, textOn } from '../color';
import { classLabel } from '../format';

/** The heat map's hues: styles.css's --heat-ok (the diagonal) and --heat-bad (confusions). */
export const HEAT = { ok: '#15803d', bad: '#c2410c' } as const;

/** The card surface the cells stand on, in each colour scheme (styles.css's --surface). */
export const SURFACE = { light: '#ffffff', dark: '#1a1d23' } as const;

/**
 * A cell's colours: its hue at 15% (a count of 1 in a large row) to 100% (the whole row) over the
 * card, opaque so that its number's colour can be picked by contrast (black or white, whichever is
 * higher: at least 4.58:1 on any colour, over WCAG AA's 4.5:1).
 */
export function cellColors(share: number, diagonal: boolean, scheme: keyof typeof SURFACE) {
  const background = mixSrgb(diagonal ? HEAT.ok : HEAT.bad, SURFACE[scheme], 0.15 + share * 0.85);
  return { background, color: textOn(background) };
}

const DARK = '(prefers-color-scheme: dark)';

/** The page's colour scheme, following the system's as styles.css does. */
function useScheme(): keyof typeof SURFACE {
  const dark = useSyncExternalStore(
    (changed) => {
      const query = window.matchMedia?.(DARK);
      query?.addEventListener('change', changed);
      return () => query?.removeEventListener('change', changed);
    },
    () => window.matchMedia?.(DARK).matches ?? false,
    () => false,
  );
  return dark ? 'dark' : 'light';
}

/** Props: counts[true][predicted], and the classes' names where the dataset has them. */
export interface ConfusionMatrixProps {
  counts: number[][];
  names?: string[];
}

/** The matrix; each cell's shade is its share of its row, so rare classes read as clearly as common ones. */
export function ConfusionMatrix({ counts, names }: ConfusionMatrixProps) {
  const n = counts.length;
  const scheme = useScheme();
  const classes = Array.from({ length: n }, (_, c) => c);
  return (
    <table className="confusion" aria-label="Confusion matrix (rows: true class, columns: predicted class)">
      <thead>
        <tr>
          <th className="confusion-corner" title="true \ predicted">
            t \ p
          </th>
          {classes.map((c) => (
            <th key={c} scope="col" className="num class-name" title={classLabel(c, names)}>
              {classLabel(c, names)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {classes.map((t) => {
          const row = counts[t];
          const total = row.reduce((a, b) => a + b, 0) || 1;
          return (
            <tr key={t}>
              <th scope="row" className="num class-name" title={classLabel(t, names)}>
                {classLabel(t, names)}
              </th>
              {classes.map((p) => {
                const v = row[p];
                return (
                  <td
                    key={p}
                    className="num"
                    title={`true ${classLabel(t, names)}, predicted ${classLabel(p, names)}: ${v}`}
                    style={v ? cellColors(v / total, t === p, scheme) : undefined}
                  >
                    {v || ''}
                  </td>
                );
              })}
            </tr>
          );
        })}
      </tbody>
      <caption className="muted">{n} classes · rows true, columns predicted</caption>
    </table>
  );
}
