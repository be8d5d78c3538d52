/**
 * TensorBoard's HParams "parallel coordinates" view: one vertical axis per setting that varies
 * among the runs, the last axis the chosen final metric, each run a line across them coloured by
 * that metric. Dragging along an axis brushes a range (the runs outside it are filtered out
 * everywhere the run filter applies); a click on the axis clears it. From the keyboard: focus an
 * axis, arrows move a brush, Shift+arrows grow it, Escape clears it.
 */
import { type KeyboardEvent, type PointerEvent, useEffect, useMemo, useRef, useState } from 'react';
import type { RunRecord } from '../store/runsSlice';
import {
  type Axis,
  type Brush,
  brushOf,
  brushSpan,
  brushText,
  type Hparam,
  type Metric,
  makeAxis,
  passesBrushes,
  rampColor,
} from './hparams';

/** Props: the runs the filter finds, the settings to draw, the metric, the brushes and their setter. */
export interface ParallelCoordinatesProps {
  runs: readonly RunRecord[];
  hparams: readonly Hparam[];
  metric: Metric;
  brushes: readonly Brush[];
  onBrushes: (brushes: Brush[]) => void;
}

const H = 300;
const M = { top: 34, bottom: 18, left: 24, right: 72 };
/** The fewest pixels between axes; past what fits, the chart scrolls sideways. */
const MIN_GAP = 110;
const PLOT_H = H - M.top - M.bottom;
/** A drag shorter than this share of the axis is a click (which clears the axis's brush). */
const CLICK = 0.02;
/** Runs outside a brush: a faint grey that still shows the shape of what was filtered out. */
const FILTERED_OUT = 'var(--muted)';

/** The y pixel of a position on an axis (0 the bottom, 1 the top). */
const yOf = (at: number) => M.top + (1 - at) * PLOT_H;

/** The chart. */
export function ParallelCoordinates({ runs, hparams, metric, brushes, onBrushes }: ParallelCoordinatesProps) {
  const dims = useMemo(() => [...hparams, metric] as Hparam[], [hparams, metric]);
  const axes = useMemo(() => dims.map((h) => makeAxis(h.key, runs.map(h.value))), [dims, runs]);
  const metricAxis = axes[axes.length - 1];
  // The axes spread over the panel's width (measured), no closer than MIN_GAP.
  const box = useRef<HTMLDivElement>(null);
  const [room, setRoom] = useState(0);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setRoom(el.clientWidth));
    observer.observe(el);
    setRoom(el.clientWidth);
    return () => observer.disconnect();
  }, []);
  const gaps = Math.max(1, axes.length - 1);
  const gap = Math.max(MIN_GAP, (room - M.left - M.right) / gaps);
  const width = M.left + M.right + gap * gaps;
  const xOf = (i: number) => (axes.length === 1 ? width / 2 : M.left + i * gap);
  const [drag, setDrag] = useState<{ i: number; from: number; to: number } | null>(null);

  const setBrush = (key: string, brush: Brush | null) =>
    onBrushes([...brushes.filter((b) => b.key !== key), ...(brush ? [brush] : [])]);

  // Colour by where the run's metric sits on its axis, flipped where lower is better (a loss).
  const colourOf = (run: RunRecord) => {
    const at = metricAxis.position(metric.value(run));
    return at === null ? null : rampColor(metric.higherIsBetter ? at : 1 - at);
  };
  const lines = runs.map((run) => {
    const points = axes
      .map((axis, i) => {
        const at = axis.position(dims[i].value(run));
        return at === null ? null : `${xOf(i)},${yOf(at)}`;
      })
      .filter((p) => p !== null);
    return { run, points: points.join(' '), kept: passesBrushes(run, brushes), colour: colourOf(run) };
  });
  // Filtered-out runs first, so the kept ones are drawn over them.
  lines.sort((a, b) => Number(a.kept) - Number(b.kept));

  return (
    <div className="pcoords-scroll" ref={box}>
      {/* biome-ignore lint/a11y/useSemanticElements: an SVG holding focusable axes; a fieldset cannot live in it. */}
      <svg
        className="pcoords"
        width={width}
        height={H}
        viewBox={`0 0 ${width} ${H}`}
        role="group"
        aria-label={`Parallel coordinates: ${runs.length} runs across ${dims.map((d) => d.short).join(', ')}`}
      >
        <g className="pcoords-lines">
          {lines.map(({ run, points, kept, colour }) => (
            <polyline
              key={run.id}
              points={points}
              fill="none"
              stroke={kept ? (colour ?? FILTERED_OUT) : FILTERED_OUT}
              strokeOpacity={kept ? 0.9 : 0.45}
              strokeWidth={kept ? 2 : 1}
              strokeDasharray={kept && colour === null ? '4 3' : undefined}
              data-run={run.id}
              data-kept={kept}
            >
              <title>
                {run.name}: {metric.label}{' '}
                {metric.value(run) === null ? 'not yet' : metric.format(metric.value(run) as number)}
              </title>
            </polyline>
          ))}
        </g>
        {axes.map((axis, i) => (
          <AxisView
            key={axis.key}
            axis={axis}
            hparam={dims[i]}
            x={xOf(i)}
            last={i === axes.length - 1}
            brush={brushes.find((b) => b.key === axis.key) ?? null}
            drag={drag?.i === i ? drag : null}
            onDrag={(d) => setDrag(d && { i, ...d })}
            onBrush={(b) => setBrush(axis.key, b)}
          />
        ))}
      </svg>
    </div>
  );
}

interface AxisViewProps {
  axis: Axis;
  hparam: Hparam;
  x: number;
  last: boolean;
  brush: Brush | null;
  drag: { from: number; to: number } | null;
  onDrag: (d: { from: number; to: number } | null) => void;
  onBrush: (b: Brush | null) => void;
}

/** Share of a numeric axis a keyboard brush covers, and moves by per key press. */
const KEY_SPAN = 0.25;
const KEY_STEP = 0.125;

function AxisView({ axis, hparam, x, last, brush, drag, onDrag, onBrush }: AxisViewProps) {
  const hit = useRef<SVGRectElement>(null);
  const at = (e: PointerEvent) => {
    const box = hit.current?.getBoundingClientRect();
    return box ? 1 - (e.clientY - box.top) / box.height : 0;
  };
  const span = brush ? brushSpan(axis, brush) : null;
  const shown = drag ? [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)] : span;
  const state = brush ? `brushed: ${brushText(brush)}` : 'not brushed';

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' || e.key === 'Delete' || e.key === 'Backspace') {
      if (brush) e.preventDefault();
      onBrush(null);
      return;
    }
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    e.preventDefault();
    const up = e.key === 'ArrowUp';
    if (axis.kind === 'category') {
      // One category at a time: the first press picks the bottom (Up) or top (Down) one.
      const n = axis.categories.length;
      const picked = brush && 'values' in brush ? brush.values.map((v) => axis.categories.indexOf(v)) : [];
      const [i0, i1] = picked.length ? [Math.min(...picked), Math.max(...picked)] : up ? [-1, -1] : [n, n];
      const w = i1 - i0;
      let [a, b] = [i0, i1];
      if (e.shiftKey)
        [a, b] = up ? [Math.max(0, i0), Math.min(n - 1, i1 + 1)] : [Math.max(0, i0 - 1), Math.min(n - 1, i1)];
      else if (up) [a, b] = [Math.min(n - 1 - w, i0 + 1), Math.min(n - 1 - w, i0 + 1) + w];
      else [a, b] = [Math.max(w, i1 - 1) - w, Math.max(w, i1 - 1)];
      onBrush({ key: axis.key, values: axis.categories.slice(Math.max(0, a), b + 1) });
      return;
    }
    // A window of a quarter of the axis, moved by an eighth: the first press puts it at the bottom (Up) or top (Down).
    const [lo, hi] =
      span ?? (up ? [-KEY_STEP, KEY_SPAN - KEY_STEP] : [1 - KEY_SPAN + KEY_STEP, 1 + KEY_STEP]);
    const size = hi - lo;
    let next: [number, number];
    if (e.shiftKey) next = up ? [lo, Math.min(1, hi + KEY_STEP)] : [Math.max(0, lo - KEY_STEP), hi];
    else if (up) next = [Math.min(1 - size, lo + KEY_STEP), Math.min(1, hi + KEY_STEP)];
    else next = [Math.max(0, lo - KEY_STEP), Math.max(size, hi - KEY_STEP)];
    const made = brushOf(axis, next[0], next[1]);
    if (made) onBrush(made);
  };

  return (
    // biome-ignore lint/a11y/noInteractiveElementToNoninteractiveRole lint/a11y/useSemanticElements: a focusable SVG axis named as a group; its keys are in its label.
    <g
      className={`pcoords-axis${brush ? ' brushed' : ''}`}
      tabIndex={0}
      role="group"
      aria-label={`${hparam.label} axis (${axis.kind === 'category' ? 'categories' : `${axis.kind} scale`}), ${state}. Drag or use the arrow keys to brush a range, Shift+arrows to grow it, Escape or a click to clear.`}
      onKeyDown={onKey}
      data-axis={axis.key}
    >
      <line x1={x} x2={x} y1={yOf(1)} y2={yOf(0)} className="pcoords-axis-line" />
      {axis.ticks.map((t) => (
        <g key={`${t.label}@${t.at}`}>
          <line x1={x - 3} x2={x + 3} y1={yOf(t.at)} y2={yOf(t.at)} className="pcoords-axis-line" />
          <text x={x + 6} y={yOf(t.at)} dy="0.32em" className="pcoords-tick">
            {t.label}
          </text>
        </g>
      ))}
      <text
        x={x}
        y={M.top - 14}
        textAnchor={last ? 'end' : 'middle'}
        dx={last ? 12 : 0}
        className="pcoords-head"
      >
        <title>{hparam.label}</title>
        {hparam.short}
      </text>
      {shown && (
        <rect
          className="pcoords-brush"
          x={x - 7}
          width={14}
          y={yOf(shown[1])}
          height={Math.max(2, (shown[1] - shown[0]) * PLOT_H)}
        />
      )}
      <rect
        ref={hit}
        className="pcoords-hit"
        x={x - 14}
        width={28}
        y={yOf(1)}
        height={PLOT_H}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          const p = at(e);
          onDrag({ from: p, to: p });
        }}
        onPointerMove={(e) => drag && onDrag({ from: drag.from, to: at(e) })}
        onPointerUp={(e) => {
          if (!drag) return;
          const to = at(e);
          onDrag(null);
          onBrush(Math.abs(to - drag.from) < CLICK ? null : brushOf(axis, drag.from, to));
        }}
        onPointerCancel={() => onDrag(null)}
      />
    </g>
  );
}
