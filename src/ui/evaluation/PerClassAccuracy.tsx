/** Per-class validation accuracy as a row of labelled bars. */
import { percent } from '../format';

/** Props: accuracy of each class in [0, 1]. */
export interface PerClassAccuracyProps {
  accuracy: number[];
}

/** The bars, worst class marked so the eye finds it. */
export function PerClassAccuracy({ accuracy }: PerClassAccuracyProps) {
  const worst = accuracy.indexOf(Math.min(...accuracy));
  return (
    <ol className="class-acc" aria-label="Per-class accuracy" start={0}>
      {accuracy.map((a, c) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the index is the class label.
        <li key={c} className={c === worst ? 'worst' : undefined} title={`class ${c}: ${percent(a)}`}>
          <span className="class-acc-track">
            <span className="class-acc-fill" style={{ height: `${(a * 100).toFixed(1)}%` }} />
          </span>
          <span className="num">{c}</span>
          <span className="num class-acc-value">{(a * 100).toFixed(1)}</span>
        </li>
      ))}
    </ol>
  );
}
