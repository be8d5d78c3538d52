/** The learning-rate schedulers the page offers, with PyTorch-like defaults for each one's parameters. */
import type { SchedulerConfig, TrainConfig } from '../../worker/protocol';

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

/** A scheduler with sensible starting parameters for this run's length and learning rate. */
export function defaultScheduler(name: SchedulerConfig['name'], c: TrainConfig): SchedulerConfig {
  switch (name) {
    case 'none':
      return { name };
    case 'step':
      return { name, stepSize: 1, gamma: 0.7 };
    case 'multistep':
      return { name, milestones: [Math.max(1, Math.floor(c.epochs / 2))], gamma: 0.1 };
    case 'exponential':
      return { name, gamma: 0.9 };
    case 'cosine':
      return { name, tMax: c.epochs, etaMin: 0 };
    case 'plateau':
      return { name, mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, cooldown: 0, minLr: 0 };
    case 'linear':
      return { name, startFactor: 1 / 3, endFactor: 1, totalIters: 5 };
    case 'onecycle':
      return { name, maxLr: c.lr * 10, pctStart: 0.3 };
  }
}

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
