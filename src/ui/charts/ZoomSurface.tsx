/**
 * The plot box of a chart, where a drag across selects an x range to zoom to and a double-click
 * resets the zoom. The selection is a plain box over the chart: dragging re-renders only this
 * component, never the chart under it (its children keep their identity).
 */
import { type PointerEvent, type ReactNode, useState } from 'react';
import { type PlotSpan, plotFraction, zoomRange } from './zoom';

/** Props: where the plot lies inside the box, the x range it shows, and what to do on a zoom. */
export interface ZoomSurfaceProps {
  /** Pixels between the box's left edge and the plot (the y-axis), and between the plot and its right edge. */
  insets: { left: number; right: number };
  /** The x range the plot shows; null while there is nothing to zoom. */
  domain: readonly [number, number] | null;
  /** Whether x is whole (steps): the zoomed range is too. */
  integer: boolean;
  onZoom: (range: [number, number]) => void;
  onReset: () => void;
  children: ReactNode;
}

interface Drag {
  /** The box's left edge in the window, and the plot within the box, as measured when the drag began. */
  boxLeft: number;
  plot: PlotSpan;
  from: number;
  to: number;
}

/** A chart's plot box with drag-to-zoom. */
export function ZoomSurface({ insets, domain, integer, onZoom, onReset, children }: ZoomSurfaceProps) {
  const [drag, setDrag] = useState<Drag | null>(null);

  function start(e: PointerEvent<HTMLDivElement>) {
    if (e.button !== 0 || !domain || !(domain[1] > domain[0])) return;
    const box = e.currentTarget.getBoundingClientRect();
    const plot = { left: insets.left, width: box.width - insets.left - insets.right };
    const x = e.clientX - box.left;
    if (x < plot.left || x > plot.left + plot.width) return;
    // Captured, the drag goes on when the pointer leaves the chart, and ends wherever it is let go.
    e.currentTarget.setPointerCapture(e.pointerId);
    setDrag({ boxLeft: box.left, plot, from: x, to: x });
  }

  function end() {
    if (!drag || !domain) return;
    setDrag(null);
    const range = zoomRange(drag.from, drag.to, drag.plot, domain, integer);
    if (range) onZoom(range);
  }

  // The selection as drawn: held inside the plot, however far the pointer went.
  const shade =
    drag &&
    [drag.from, drag.to]
      .map((px) => drag.plot.left + plotFraction(px, drag.plot) * drag.plot.width)
      .sort((a, b) => a - b);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: zooming is a pointer gesture over the plot; its keyboard counterpart, Reset zoom, is a button.
    <div
      className="scalar-chart-plot"
      onPointerDown={start}
      // A press would focus the chart's svg (recharts makes it keyboard-navigable), ringing it on
      // every drag, and start a text selection: the keyboard still reaches it with Tab.
      onMouseDown={(e) => e.preventDefault()}
      onPointerMove={(e) => drag && setDrag({ ...drag, to: e.clientX - drag.boxLeft })}
      onPointerUp={end}
      onPointerCancel={() => setDrag(null)}
      onDoubleClick={onReset}
    >
      {children}
      {shade && <div className="zoom-selection" style={{ left: shade[0], width: shade[1] - shade[0] }} />}
    </div>
  );
}
