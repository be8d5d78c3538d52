/** A greyscale dataset image (raw bytes, row-major) drawn pixel-exact on a small canvas. */
import { useEffect, useRef } from 'react';

/** Props: the image's bytes and size, the CSS size to show it at, and its accessible name. */
export interface DigitImageProps {
  pixels: Uint8Array;
  rows: number;
  cols: number;
  size?: number;
  label: string;
}

/** One image; CSS scales it up with nearest-neighbour sampling, like TensorBoard's image tab. */
export function DigitImage({ pixels, rows, cols, size = 56, label }: DigitImageProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(cols, rows);
    for (let i = 0; i < rows * cols; i++) {
      const v = pixels[i] ?? 0;
      img.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
  }, [pixels, rows, cols]);
  return (
    <canvas
      ref={ref}
      className="digit"
      width={cols}
      height={rows}
      style={{ width: size, height: size }}
      role="img"
      aria-label={label}
    />
  );
}
