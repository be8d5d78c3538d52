/** A grid of weight or activation tiles on one canvas, upscaled nearest-neighbour by CSS. */
import { useEffect, useMemo, useRef } from 'react';
import { gridLayout, paintTiles } from './tiles';

/** Props: the values (tile after tile, row-major), the tiles' count and size, and the accessible name. */
export interface TileGridProps {
  values: Float32Array;
  count: number;
  tileH: number;
  tileW: number;
  /** The widest the grid is drawn, in CSS pixels; it is never drawn over 10 screen pixels a value. */
  maxWidth?: number;
  label: string;
}

/** The tiles, drawn at one canvas pixel per value and shown larger with image-rendering: pixelated. */
export function TileGrid({ values, count, tileH, tileW, maxWidth = 520, label }: TileGridProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const grid = useMemo(() => gridLayout(count, tileH, tileW), [count, tileH, tileW]);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    ctx.putImageData(new ImageData(paintTiles(values, grid), grid.width, grid.height), 0, 0);
  }, [values, grid]);
  const width = Math.min(maxWidth, grid.width * 10);
  return (
    <canvas
      ref={ref}
      className="tiles"
      width={grid.width}
      height={grid.height}
      style={{ width, height: (width * grid.height) / grid.width }}
      role="img"
      aria-label={label}
    />
  );
}
