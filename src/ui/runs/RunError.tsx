/** A run's failure explained for what it is, with what to try next. */
import type { RunRecord } from '../store/runsSlice';

/** Props: the run's error. */
export interface RunErrorProps {
  error: NonNullable<RunRecord['error']>;
  lr: number;
}

/** The explanation, as an alert. */
export function RunError({ error, lr }: RunErrorProps) {
  const { kind, message } = error;
  let title: string;
  let advice: string | null = null;
  switch (kind) {
    case 'nan-loss':
      title = 'The loss diverged (NaN, infinite, or over ten times its first value), so training stopped.';
      advice = `Try a lower learning rate (e.g. ${(lr / 10).toPrecision(2)} instead of ${lr}), or clip the gradient norm.`;
      break;
    case 'device-lost':
      title = 'The GPU device was lost; the run paused.';
      advice = 'Press Resume to continue from the last per-epoch checkpoint on a new device.';
      break;
    case 'config':
      title = 'The settings cannot train.';
      break;
    case 'data-mismatch':
      title = 'This run trained on other data.';
      advice = 'Load the data it trained on to resume it, or start a new run with its settings.';
      break;
    case 'quota':
      title = 'Storage is full.';
      advice = 'Nothing stored was lost. Clear cached datasets or delete old runs to make room.';
      break;
    case 'bad-input':
      title = 'The file was refused.';
      break;
    case 'dataset':
      title = 'The dataset could not be used.';
      break;
    default:
      title = 'Training failed.';
  }
  return (
    <div className="note error run-error" role="alert">
      <strong>{title}</strong> {advice}
      <div className="run-error-detail">{message}</div>
    </div>
  );
}
