/**
 * How the page shows the learning-rate schedulers: their PyTorch class names and their editable
 * parameters. Their defaults are train/config.ts's defaultScheduler (PyTorch's), the CLI's too.
 */
import type { SchedulerConfig } from '../../worker/protocol';

/** Names shown in the scheduler select, by config name. */
export const SCHEDULER_LABELS: Record<SchedulerConfig['name'], string> = {
  none: 'None (constant)',
  step: 'StepLR',
  multistep: 'MultiStepLR',
  exponential: 'ExponentialLR',
  cosine: 'CosineAnnealingLR',
  plateau: 'ReduceLROnPlateau',
  linear: 'LinearLR',
  onecycle: 'OneCycleLR',
};

/** The editable numeric parameters of a scheduler, with their labels (PyTorch's argument names). */
export function schedulerParams(s: SchedulerConfig): { key: string; label: string; integer: boolean }[] {
  switch (s.name) {
    case 'none':
      return [];
    case 'step':
      return [
        { key: 'stepSize', label: 'step_size (epochs)', integer: true },
        { key: 'gamma', label: 'gamma', integer: false },
      ];
    case 'multistep':
      return [{ key: 'gamma', label: 'gamma', integer: false }];
    case 'exponential':
      return [{ key: 'gamma', label: 'gamma', integer: false }];
    case 'cosine':
      return [
        { key: 'tMax', label: 'T_max (epochs)', integer: true },
        { key: 'etaMin', label: 'eta_min', integer: false },
      ];
    case 'plateau':
      return [
        { key: 'factor', label: 'factor', integer: false },
        { key: 'patience', label: 'patience', integer: true },
        { key: 'threshold', label: 'threshold', integer: false },
        { key: 'cooldown', label: 'cooldown', integer: true },
        { key: 'minLr', label: 'min_lr', integer: false },
      ];
    case 'linear':
      return [
        { key: 'startFactor', label: 'start_factor', integer: false },
        { key: 'endFactor', label: 'end_factor', integer: false },
        { key: 'totalIters', label: 'total_iters', integer: true },
      ];
    case 'onecycle':
      return [
        { key: 'maxLr', label: 'max_lr', integer: false },
        { key: 'pctStart', label: 'pct_start', integer: false },
      ];
  }
}
