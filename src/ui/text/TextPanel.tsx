/**
 * A language model's own views, for the shown run when it reads token ids: the Sample box (prompt,
 * temperature, top-k, length, seed; the text appears character by character as the worker makes
 * it, from the current weights, also while the run trains), each attention head's pattern for a
 * prompt (a heatmap, position by position: the causal triangle), and the likeliest next characters
 * after a position picked among the prompt's. All of it is computed in the worker.
 */

import { MAX_SAMPLE_CHARS, SAMPLE_DEFAULTS, type SampleOptions } from 'kiln/config';
import { useEffect, useId, useRef, useState } from 'react';
import type { AttentionPattern, TextInspection } from '../../worker/protocol';
import { useKiln } from '../store';
import type { RunSample } from '../store/runsSlice';
import './text.css';

/** A character as the page shows it: whitespace and control characters named, so they can be seen. */
export function visibleChar(c: string): string {
  if (c === '\n') return '⏎';
  if (c === ' ') return '␣';
  if (c === '\t') return '⇥';
  return c < ' ' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c;
}

/** The text panel for the shown run; nothing for a model that does not read token ids. */
export function TextPanel() {
  const id = useId();
  const run = useKiln((s) => s.runs.find((r) => r.id === s.activeRunId) ?? null);
  if (run?.model.inputDtype !== 'int32') return null;
  const usable = run.hasCheckpoint || run.state === 'running' || run.state === 'paused';
  return (
    <section className="card text-panel" aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>Sample and attention</h2>
        <span className="muted">{run.name}</span>
      </div>
      {run.samples?.length ? <RunSamples samples={run.samples} /> : null}
      {usable ? (
        <>
          <SampleBox runId={run.id} />
          <InsideText runId={run.id} />
        </>
      ) : (
        <p className="muted">This run has no weights yet: it can write once it trains.</p>
      )}
    </section>
  );
}

/**
 * The samples the run took at its evaluations, newest first (each from the same prompt and seed,
 * so they differ only by what the model has learned by that step).
 */
function RunSamples({ samples }: { samples: RunSample[] }) {
  return (
    <details className="run-samples" open>
      <summary>
        Samples during training: {samples.length}, one per evaluation, each 200 characters from a newline with
        sample.py's settings and seed
      </summary>
      <ol aria-label="Samples during training">
        {[...samples].reverse().map((x) => (
          <li key={x.step}>
            <span className="muted num">step {x.step}</span>
            <pre className="sample-text">{x.text}</pre>
          </li>
        ))}
      </ol>
    </details>
  );
}

/** A number field of the Sample box. */
function NumberInput(props: {
  label: string;
  value: number;
  onChange: (v: number) => void;
  min: number;
  max?: number;
  step?: number;
}) {
  const { label, value, onChange, ...range } = props;
  return (
    <label className="sample-field">
      {label}
      <input
        type="number"
        value={value}
        {...range}
        onChange={(e) => onChange(e.currentTarget.valueAsNumber)}
      />
    </label>
  );
}

/** Prompt, temperature, top-k, length and seed, and the text as it comes. */
function SampleBox({ runId }: { runId: string }) {
  const sample = useKiln((s) => s.sample);
  const [options, setOptions] = useState<SampleOptions>({ ...SAMPLE_DEFAULTS, prompt: 'The ', tokens: 200 });
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<SampleOptions>) => setOptions((o) => ({ ...o, ...patch }));
  const go = async () => {
    setBusy(true);
    setProblem(null);
    setText(options.prompt);
    const error = await sample(runId, options, (piece) => setText((t) => t + piece));
    setProblem(error);
    setBusy(false);
  };
  return (
    <form
      className="sample-box"
      aria-label="Sample"
      onSubmit={(e) => {
        e.preventDefault();
        void go();
      }}
    >
      <label className="sample-prompt">
        Prompt
        <textarea
          rows={2}
          maxLength={MAX_SAMPLE_CHARS}
          value={options.prompt}
          onChange={(e) => set({ prompt: e.currentTarget.value })}
        />
      </label>
      <div className="sample-fields">
        <NumberInput
          label="Temperature"
          value={options.temperature}
          min={0}
          step={0.1}
          onChange={(temperature) => set({ temperature })}
        />
        <NumberInput
          label="Top-k"
          value={options.topK ?? 0}
          min={0}
          onChange={(k) => set({ topK: k > 0 ? k : null })}
        />
        <NumberInput
          label="Length"
          value={options.tokens}
          min={1}
          max={MAX_SAMPLE_CHARS}
          onChange={(tokens) => set({ tokens })}
        />
        <NumberInput label="Seed" value={options.seed} min={0} onChange={(seed) => set({ seed })} />
        <button type="submit" disabled={busy}>
          {busy ? 'Sampling…' : 'Sample'}
        </button>
      </div>
      <p className="muted">Temperature 0 always takes the likeliest character; top-k 0 draws among all.</p>
      {problem && <p className="note warn">{problem}</p>}
      <pre className="sample-text" aria-live="polite" data-testid="sample-text">
        {text}
      </pre>
    </form>
  );
}

/** The prompt to look inside with, its attention heatmaps, and the next characters at a position. */
function InsideText({ runId }: { runId: string }) {
  const inspectText = useKiln((s) => s.inspectText);
  const [prompt, setPrompt] = useState('hello world');
  const [result, setResult] = useState<TextInspection | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [position, setPosition] = useState(0);
  const look = async () => {
    const answer = await inspectText(runId, prompt);
    if (typeof answer === 'string') {
      setProblem(answer);
      setResult(null);
      return;
    }
    setProblem(null);
    setResult(answer);
    setPosition(answer.next.length - 1);
  };
  const next = result?.next[position];
  return (
    <div className="inside-text">
      <form
        className="sample-fields"
        onSubmit={(e) => {
          e.preventDefault();
          void look();
        }}
      >
        <label className="sample-prompt">
          Look inside with
          <input
            value={prompt}
            maxLength={MAX_SAMPLE_CHARS}
            onChange={(e) => setPrompt(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Show attention</button>
      </form>
      {problem && <p className="note warn">{problem}</p>}
      {result && (
        <>
          <fieldset className="positions">
            <legend>Next character after position</legend>
            {[...result.context].map((c, i) => (
              <button
                // biome-ignore lint/suspicious/noArrayIndexKey: positions are the identity here.
                key={i}
                type="button"
                aria-pressed={i === position}
                title={`position ${i}`}
                onClick={() => setPosition(i)}
                disabled={result.next.length === 1 && i !== result.context.length - 1}
              >
                {visibleChar(c)}
              </button>
            ))}
          </fieldset>
          {next && (
            <ol className="next-chars" aria-label="Likeliest next characters">
              {next.chars.map((c, i) => (
                <li key={c}>
                  <span className="next-char">{visibleChar(c)}</span>
                  <span className="next-bar" style={{ width: `${Math.round(next.probs[i] * 100)}%` }} />
                  <span className="muted">{(next.probs[i] * 100).toFixed(1)}%</span>
                </li>
              ))}
            </ol>
          )}
          {result.attention.length === 0 && <p className="muted">This model has no attention layer.</p>}
          {result.attention.map((a) => (
            <figure key={a.name} className="attention">
              <figcaption>
                <h3>{a.name}</h3>
                <span className="muted">
                  row: the position reading, column: the position read; darker reads more
                </span>
              </figcaption>
              <div className="heads">
                {Array.from({ length: a.heads }, (_, h) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: heads are numbered.
                  <Heatmap key={h} pattern={a} head={h} highlight={position} />
                ))}
              </div>
            </figure>
          ))}
        </>
      )}
    </div>
  );
}

/** Pixels per position in a heatmap: a short prompt gets big cells, a long one at least 2 pixels. */
const cellSize = (n: number) => Math.max(2, Math.floor(160 / n));

/** One head's weights [T, T] as a heatmap (white 0, dark blue 1), the picked row outlined. */
function Heatmap({
  pattern,
  head,
  highlight,
}: {
  pattern: AttentionPattern;
  head: number;
  highlight: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const n = pattern.size;
  const cell = cellSize(n);
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    const image = ctx.createImageData(n, n);
    const base = head * n * n;
    for (let i = 0; i < n * n; i++) {
      const v = Math.min(1, Math.max(0, pattern.values[base + i]));
      image.data.set([255 - 225 * v, 255 - 175 * v, 255 - 80 * v, 255], i * 4);
    }
    // Drawn at one pixel per weight, then scaled without smoothing: crisp cells.
    const small = new OffscreenCanvas(n, n);
    small.getContext('2d')?.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, n * cell, n * cell);
    ctx.drawImage(small, 0, 0, n * cell, n * cell);
    ctx.strokeStyle = '#d9480f';
    ctx.strokeRect(0.5, highlight * cell + 0.5, n * cell - 1, cell - 1);
  }, [pattern, head, highlight, n, cell]);
  return (
    <figure className="head">
      <canvas
        ref={canvas}
        width={n * cell}
        height={n * cell}
        role="img"
        aria-label={`head ${head}: attention weights, ${n} by ${n} positions`}
      />
      <figcaption className="muted">head {head}</figcaption>
    </figure>
  );
}
