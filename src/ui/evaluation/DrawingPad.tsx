/**
 * A pad to draw a digit on (mouse, pen or touch through pointer events). The drawing is turned into
 * an MNIST-like 28x28 input and classified by the shown run, throttled so the worker is asked at most
 * once per interval and never twice at once, while the user keeps drawing.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useKiln } from '../store';
import { greyFromRgba, toMnist } from './downsample';

const SIZE = 280;
const THROTTLE_MS = 120;

/** Props: the run whose model classifies the drawing, and how many classes it has. */
export interface DrawingPadProps {
  runId: string | null;
  numClasses: number;
}

/** The pad, its Clear button and the class probabilities as bars. */
export function DrawingPad({ runId, numClasses }: DrawingPadProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const last = useRef<{ x: number; y: number } | null>(null);
  const [probs, setProbs] = useState<number[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const predict = useKiln((s) => s.predict);
  const setDrawnDigit = useKiln((s) => s.setDrawnDigit);
  // Throttle state: whether a predict is in flight, and whether another drawing change came meanwhile.
  const busy = useRef(false);
  const again = useRef(false);
  const lastSent = useRef(0);

  const blank = useCallback(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, SIZE, SIZE);
  }, []);
  useEffect(blank, [blank]);

  const classify = useCallback(async () => {
    const ctx = canvas.current?.getContext('2d', { willReadFrequently: true });
    if (!ctx || !runId) return;
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    lastSent.current = performance.now();
    const pixels = toMnist(greyFromRgba(ctx.getImageData(0, 0, SIZE, SIZE).data, SIZE, SIZE));
    // The filters panel shows this digit too (a copy: predict hands the pixels' buffer to the worker).
    setDrawnDigit(pixels.slice());
    const p = await predict(runId, pixels);
    busy.current = false;
    if (p) {
      setProbs(p);
      setProblem(null);
    } else setProblem('This run has no trained weights yet: train it for an epoch first.');
    if (again.current) {
      again.current = false;
      setTimeout(() => void classify(), Math.max(0, THROTTLE_MS - (performance.now() - lastSent.current)));
    }
  }, [runId, predict, setDrawnDigit]);

  const throttled = () => {
    if (performance.now() - lastSent.current >= THROTTLE_MS) void classify();
    else again.current = true;
  };

  const point = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * SIZE) / r.width, y: ((e.clientY - r.top) * SIZE) / r.height };
  };
  const stroke = (to: { x: number; y: number }) => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    const from = last.current ?? to;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 20;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    last.current = to;
  };

  const best = probs ? probs.indexOf(Math.max(...probs)) : -1;
  return (
    <div className="pad">
      <div className="pad-left">
        <canvas
          ref={canvas}
          width={SIZE}
          height={SIZE}
          className="pad-canvas"
          aria-label="Drawing pad: draw a digit"
          onPointerDown={(e) => {
            e.currentTarget.setPointerCapture(e.pointerId);
            last.current = null;
            stroke(point(e));
            throttled();
          }}
          onPointerMove={(e) => {
            if (e.buttons === 0 && e.pointerType === 'mouse') return;
            if (!e.currentTarget.hasPointerCapture(e.pointerId)) return;
            stroke(point(e));
            throttled();
          }}
          onPointerUp={() => {
            last.current = null;
            // The last strokes may have landed inside the throttle window: classify the final drawing.
            setTimeout(() => void classify(), THROTTLE_MS);
          }}
        />
        <button
          type="button"
          onClick={() => {
            blank();
            setProbs(null);
          }}
        >
          Clear
        </button>
      </div>
      <div className="pad-right">
        <p className="pad-guess" aria-live="polite">
          {probs ? (
            <>
              Prediction <strong className="num">{best}</strong>{' '}
              <span className="muted num">({(probs[best] * 100).toFixed(1)}%)</span>
            </>
          ) : (
            <span className="muted">
              {runId ? 'Draw a digit, white on black, like MNIST.' : 'Train or pick a run to draw with.'}
            </span>
          )}
        </p>
        {problem && <p className="note warn">{problem}</p>}
        <ol className="prob-bars" aria-label="Class probabilities" start={0}>
          {Array.from({ length: numClasses }, (_, c) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the index is the class label.
            <li key={c} className={c === best ? 'best' : undefined}>
              <span className="num prob-class">{c}</span>
              <span className="prob-track">
                <span className="prob-fill" style={{ width: `${((probs?.[c] ?? 0) * 100).toFixed(1)}%` }} />
              </span>
              <span className="num prob-value">{probs ? `${((probs[c] ?? 0) * 100).toFixed(1)}%` : ''}</span>
            </li>
          ))}
        </ol>
      </div>
    </div>
  );
}
