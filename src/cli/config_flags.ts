/**
 * The CLI's view of the settings table (train/config.ts): one flag per setting that has one, with
 * its kind, help and default from the table, and the config a command line describes. A config
 * problem found by the validator is reported under the flag that set the field.
 */
import {
  type ConfigError,
  DEFAULT_CONFIG,
  defaultScheduler,
  labelOf,
  OPTIMIZER_DEFAULTS,
  OPTIMIZERS,
  SCHEDULER_PARAMS,
  SCHEDULERS,
  type SchedulerConfig,
  type SchedulerName,
  SETTINGS,
  type SettingBase,
  type TrainConfig,
} from 'kiln/config';
import { type CliOption, type OptionKind, type OptionValues, UsageError } from './options';

const settings = Object.entries(SETTINGS) as [keyof TrainConfig, (typeof SETTINGS)[keyof TrainConfig]][];
const schedulerParams = Object.entries(SCHEDULER_PARAMS) as [string, SettingBase][];

/** The option kind that reads a setting's value; its range is the validator's to check. */
function optionKind(s: SettingBase): OptionKind {
  switch (s.kind.type) {
    case 'integer':
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'choice':
      return { type: 'choice', choices: s.kind.choices };
    case 'pair':
    case 'milestones':
      return { type: 'numbers' };
  }
}

/** The word after a setting's flag in --help, where the option kind's own says too little. */
function argWord(s: SettingBase): string | undefined {
  const words: Partial<Record<SettingBase['kind']['type'], string>> = {
    integer: 'N',
    pair: 'B1,B2',
    milestones: 'E1,E2',
  };
  return words[s.kind.type];
}

/** A value as --help writes it ("0.9,0.999", a scheduler's name, "off" for null). */
function valueText(s: (typeof SETTINGS)[keyof TrainConfig], v: unknown): string {
  if (v === null) return s.off ?? 'none';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (typeof v === 'object') return Array.isArray(v) ? v.join(',') : (v as { name: string }).name;
  return String(v);
}

/**
 * A setting's default as --help gives it: the optimizer's own where it has one, and a text run's
 * where it differs (nanoGPT's recipe).
 */
function defaultText(field: keyof TrainConfig): string | undefined {
  const s = SETTINGS[field];
  const text = s.textDefault === undefined ? '' : `; ${valueText(s, s.textDefault)} for text`;
  if (s.byOptimizer) {
    const key = field as keyof (typeof OPTIMIZER_DEFAULTS)[keyof typeof OPTIMIZER_DEFAULTS];
    return OPTIMIZERS.map((o) => `${OPTIMIZER_DEFAULTS[o][key]} for ${o}`).join(', ') + text;
  }
  if (typeof s.default === 'boolean') return text ? valueText(s, s.default) + text : undefined;
  return valueText(s, s.default) + text;
}

/** The schedulers that take a parameter, for its help. */
function usersOf(key: string): string {
  return SCHEDULERS.filter((n) => key in defaultScheduler(n)).join(', ');
}

/** Every setting's flag, in the table's order, each scheduler parameter's after --scheduler. */
export const SETTING_OPTIONS: readonly CliOption[] = settings.flatMap(([field, s]) => {
  if (!s.flag) return [];
  const option: CliOption = {
    flag: s.flag,
    kind: optionKind(s),
    arg: argWord(s),
    // Said, not applied: an absent setting takes the config's default (a flag given is a change).
    help: defaultText(field) === undefined ? s.help : `${s.help} (default ${defaultText(field)})`,
    newRunOnly: s.newRunOnly,
  };
  if (!s.scheduler) return [option];
  return [
    option,
    ...schedulerParams.flatMap(([key, p]) =>
      p.flag
        ? [
            {
              flag: p.flag,
              kind: optionKind(p),
              arg: argWord(p),
              help: `${p.help}: ${labelOf(p)} of ${usersOf(key)}`,
              newRunOnly: s.newRunOnly,
            },
          ]
        : [],
    ),
  ];
});

/** The flag that sets each config field (a path such as 'lr' or 'scheduler.gamma'). */
const FLAG_OF = new Map<string, string>([
  ...settings.flatMap(([field, s]) => (s.flag ? [[field, s.flag] as const] : [])),
  ...schedulerParams.flatMap(([key, p]) => (p.flag ? [[`scheduler.${key}`, p.flag] as const] : [])),
]);

/** The scheduler the flags ask for: PyTorch's defaults (train/config.ts), with each given flag over them. */
function schedulerConfig(
  v: OptionValues,
  c: Pick<TrainConfig, 'epochs' | 'lr' | 'steps'>,
  base: TrainConfig,
): SchedulerConfig {
  const name = (v[SETTINGS.scheduler.flag as string] ?? base.scheduler.name) as SchedulerName;
  const s = defaultScheduler(name, c) as SchedulerConfig & Record<string, unknown>;
  for (const [key, p] of schedulerParams) {
    if (!p.flag || v[p.flag] === undefined) continue;
    if (!(key in s)) throw new UsageError(`--${p.flag} does not apply to --scheduler ${name}`);
    s[key] = v[p.flag];
  }
  return s;
}

/**
 * A new run's config from the flags: the defaults (`base`: an image run's, or a text run's), the
 * optimizer's own where a flag picks another optimizer than the base's, then each flag.
 */
export function configFromFlags(v: OptionValues, base: TrainConfig = DEFAULT_CONFIG): TrainConfig {
  const optimizer = (v[SETTINGS.optimizer.flag as string] ?? base.optimizer) as TrainConfig['optimizer'];
  const c: Record<string, unknown> = {
    ...base,
    ...(optimizer === base.optimizer ? {} : OPTIMIZER_DEFAULTS[optimizer]),
  };
  for (const [field, s] of settings) {
    const given = s.flag === undefined ? undefined : v[s.flag];
    if (given !== undefined && !s.scheduler) c[field] = s.negated ? !given : given;
  }
  c.scheduler = schedulerConfig(v, c as unknown as TrainConfig, base);
  return c as unknown as TrainConfig;
}

/** A config error's problems under the flags that set them, as one line. */
export function flagged(e: ConfigError): UsageError {
  return new UsageError(
    e.problems
      .map((p) => (FLAG_OF.has(p.field) ? `--${FLAG_OF.get(p.field)}: ${p.message}` : p.message))
      .join('; '),
  );
}
