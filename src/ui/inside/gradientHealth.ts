/**
 * Gradient health from the scalars a run logs with its histograms (grad_norm/<param>,
 * update_ratio/<param>, dead_relu/<module>): the rules that turn them into a plain warning naming
 * the layer and what to try.
 */

/** A logged value at a step (a ChartPoint needs no more here). */
export interface HealthPoint {
  step: number;
  value: number;
}

/** The rule of thumb for the update-to-weight ratio per step: around 1e-3 is healthy. */
export const HEALTHY_UPDATE_RATIO = 1e-3;

/** Below these for VANISH_READS reads in a row, a layer's gradients are taken to have vanished. */
export const VANISHING_GRAD_NORM = 1e-7;
export const VANISHING_UPDATE_RATIO = 1e-6;
const VANISH_READS = 3;

/** Updates above this fraction of the weights for EXPLODE_READS reads in a row: exploding. */
export const EXPLODING_UPDATE_RATIO = 0.1;
const EXPLODE_READS = 2;
/**
 * Updates at least this fraction of the weights in a single read: exploding at once. The ratio is
 * ||Δw|| / ||w after the step||, so it nears 1 when a step replaces the weights with the update
 * (Adam at lr 10 or 1e10: 0.999 at the first step, after which the units are dead and the
 * gradients 0). Adam at a high but workable 1e-2 gives about 0.5 on a 784-input layer.
 */
export const REPLACING_UPDATE_RATIO = 0.9;
/** A gradient norm this many times its first read (the run's first step): two orders of magnitude. */
const EXPLODING_GROWTH = 100;

/** A ReLU module with at least this fraction of its units dead for DEAD_READS reads. */
export const DEAD_FRACTION = 0.5;
const DEAD_READS = 2;

/** The kind of each health tag, and the prefix before the parameter or module name. */
export const HEALTH_TAGS = {
  gradNorm: 'grad_norm/',
  updateRatio: 'update_ratio/',
  deadRelu: 'dead_relu/',
} as const;

/** A problem in one layer, said plainly, with what to try. */
export interface HealthWarning {
  kind: 'exploding' | 'vanishing' | 'dead';
  /** The layer (fc1), or the ReLU module, it is about. */
  layer: string;
  message: string;
}

/** The layer a parameter belongs to: fc1.weight -> fc1. */
export function layerOf(param: string): string {
  const dot = param.lastIndexOf('.');
  return dot < 0 ? param : param.slice(0, dot);
}

/** The names (parameters or modules) a run logged under a health tag prefix, in first-logged order. */
export function healthNames(series: Record<string, readonly HealthPoint[]>, prefix: string): string[] {
  return Object.keys(series)
    .filter((t) => t.startsWith(prefix))
    .map((t) => t.slice(prefix.length));
}

const last = (pts: readonly HealthPoint[] | undefined, n: number) =>
  pts && pts.length >= n ? pts.slice(-n).map((p) => p.value) : null;

const fmt = (v: number) => (Number.isFinite(v) ? v.toExponential(1) : String(v));

const EXPLODING_ADVICE =
  'Try a lower learning rate, gradient clipping (a clip norm of 1), or a smaller initialisation.';
const VANISHING_ADVICE =
  'Try a higher learning rate, Kaiming (He) initialisation for ReLU layers, BatchNorm, or ReLU in place of sigmoid or tanh.';

/**
 * When and why a parameter's gradients first exploded, or null: an explosion is kept in the
 * warning after it, since what follows it (dead units, vanished gradients) hides its cause.
 */
function exploded(norms: readonly HealthPoint[] = [], ratios: readonly HealthPoint[] = [], weight: boolean) {
  const first = norms[0]?.value;
  for (const p of norms) {
    if (!Number.isFinite(p.value)) return `at step ${p.step} its gradient norm was ${p.value}`;
    if (first > 0 && p.value >= EXPLODING_GROWTH * first)
      return `at step ${p.step} its gradient norm reached ${fmt(p.value)}, ${fmt(p.value / first)} times its first`;
  }
  // A bias may start at 0, where any update is a large fraction of it: ratios judge weights only.
  if (!weight) return null;
  const replaced = ratios.find((p) => p.value >= REPLACING_UPDATE_RATIO);
  if (replaced)
    return `at step ${replaced.step} one step changed its weights by ${fmt(replaced.value)} of their size: the update replaced them (healthy is about ${fmt(HEALTHY_UPDATE_RATIO)})`;
  for (let i = EXPLODE_READS - 1; i < ratios.length; i++) {
    const run = ratios.slice(i + 1 - EXPLODE_READS, i + 1);
    if (run.every((p) => p.value > EXPLODING_UPDATE_RATIO))
      return `at step ${ratios[i].step} each step changed its weights by ${fmt(ratios[i].value)} of their size (healthy is about ${fmt(HEALTHY_UPDATE_RATIO)})`;
  }
  return null;
}

/** Why a parameter's gradients look vanished, or null. */
function vanishing(
  norms: readonly HealthPoint[] | undefined,
  ratios: readonly HealthPoint[] | undefined,
  weight: boolean,
) {
  const n = last(norms, VANISH_READS);
  if (n?.every((v) => v < VANISHING_GRAD_NORM))
    return `its gradient norm has been under ${fmt(VANISHING_GRAD_NORM)} for ${VANISH_READS} reads (${fmt(n[n.length - 1])})`;
  const r = weight ? last(ratios, VANISH_READS) : null;
  if (r?.every((v) => v < VANISHING_UPDATE_RATIO))
    return `each step has changed its weights by under ${fmt(VANISHING_UPDATE_RATIO)} of their size for ${VANISH_READS} reads`;
  return null;
}

/**
 * The warnings a run's health scalars call for, at most one per layer and kind: gradients that
 * exploded at some read (a non-finite norm, a norm 100 times its first read, updates of 0.9 of the
 * weights once or over a tenth of them for 2 reads), gradients vanished now (a norm under 1e-7,
 * or updates under 1e-6 of the weights, for the last 3 reads) in a run where nothing exploded,
 * and ReLU modules with half their units dead for the last 2 reads. After an explosion, vanished
 * gradients are what its dead units leave: calling them vanishing would advise a higher learning
 * rate, the opposite of the cure.
 */
export function healthWarnings(series: Record<string, readonly HealthPoint[]>): HealthWarning[] {
  const out: HealthWarning[] = [];
  const params = healthNames(series, HEALTH_TAGS.gradNorm);
  for (const kind of ['exploding', 'vanishing'] as const) {
    if (kind === 'vanishing' && out.length) break;
    for (const p of params) {
      const norms = series[HEALTH_TAGS.gradNorm + p];
      const ratios = series[HEALTH_TAGS.updateRatio + p];
      const weight = p.endsWith('.weight');
      const why = kind === 'exploding' ? exploded(norms, ratios, weight) : vanishing(norms, ratios, weight);
      const layer = layerOf(p);
      // One warning of a kind per layer: its weight's, else its bias's.
      if (why && !out.some((o) => o.kind === kind && o.layer === layer))
        out.push({
          kind,
          layer,
          message:
            kind === 'exploding'
              ? `${layer}: gradients exploded (${p}: ${why}). ${EXPLODING_ADVICE}`
              : `${layer}: gradients are vanishing (${p}: ${why}). ${VANISHING_ADVICE}`,
        });
    }
  }
  for (const m of healthNames(series, HEALTH_TAGS.deadRelu)) {
    const d = last(series[HEALTH_TAGS.deadRelu + m], DEAD_READS);
    if (d?.every((v) => v >= DEAD_FRACTION))
      out.push({
        kind: 'dead',
        layer: m,
        message: `${m}: ${Math.round(100 * d[d.length - 1])}% of this ReLU's units output 0 for every sample of a batch (dead). Try a lower learning rate, LeakyReLU, or another initialisation.`,
      });
  }
  return out;
}
