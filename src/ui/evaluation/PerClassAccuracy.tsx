/** Per-class validation accuracy as a row of labelled bars. */
import { classLabel, percent } from '../format';

/** Props: accuracy of each class in [0, 1], and the classes' names where the dataset has them. */
export interface PerClassAccuracyProps {
  accuracy: number[];
  names?: string[];
}

/** The bars, worst class marked so the eye finds it. */
export function PerClassAccuracy({ accuracy, names }: PerClassAccuracyProps) {
  const worst = accuracy.indexOf(Math.min(...accuracy));
  return (
    <ol className="class-acc" aria-label="Per-class accuracy" start={0}>
      {accuracy.map((a, c) => (
        <li
          // biome-ignore lint/suspicious/noArrayIndexKey: the index is the class label.
          key={c}
          className={c === worst ? 'worst' : undefined}
          title={`class ${classLabel(c, names)}: ${percent(a)}`}
        >
          <span className="class-acc-track">
            <span className="class-acc-fill" style={{ height: `${(a * 100).toFixed(1)}%` }} />
          </span>
          <span className="num class-name">{classLabel(c, names)}</span>
          <span className="num class-acc-value">{(a * 100).toFixed(1)}</span>
        </li>
      ))}
    </ol>
  );
}
