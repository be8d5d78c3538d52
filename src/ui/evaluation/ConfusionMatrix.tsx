/** The confusion matrix as a heat-map table: rows are true classes, columns predicted ones. */
import { classLabel } from '../format';

/** Props: counts[true][predicted], and the classes' names where the dataset has them. */
export interface ConfusionMatrixProps {
  counts: number[][];
  names?: string[];
}

/** The matrix; each cell's shade is its share of its row, so rare classes read as clearly as common ones. */
export function ConfusionMatrix({ counts, names }: ConfusionMatrixProps) {
  const n = counts.length;
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
                const share = v / total;
                const hue = t === p ? 'var(--heat-ok)' : 'var(--heat-bad)';
                return (
                  <td
                    key={p}
                    className="num"
                    title={`true ${classLabel(t, names)}, predicted ${classLabel(p, names)}: ${v}`}
                    style={{
                      background: v
                        ? `color-mix(in srgb, ${hue} ${Math.round(15 + share * 85)}%, transparent)`
                        : undefined,
                      color: share > 0.5 ? '#fff' : undefined,
                    }}
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
