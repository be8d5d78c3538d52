/**
 * A labelled number input that lets the user pass through invalid text ("", "1e") while typing: the
 * text is kept locally, and the spec receives NaN for an unparsable required value so shape
 * inference flags the layer, or undefined for an empty optional one (PyTorch's default).
 */
import { useEffect, useId, useState } from 'react';

/** Props: label, current value, whether empty means "default", and the integer constraint. */
export interface NumberFieldProps {
  label: string;
  value: number | undefined;
  integer: boolean;
  /** Placeholder naming PyTorch's default; when present the field may be left empty. */
  defaultText?: string;
  /** What is wrong with the value, shown under the field, which is marked invalid; none when fine. */
  problem?: string;
  onChange: (value: number | undefined) => void;
}

const parse = (text: string, optional: boolean): number | undefined =>
  text.trim() === '' ? (optional ? undefined : Number.NaN) : Number(text);

/** A number input with a visible label. */
export function NumberField({ label, value, integer, defaultText, problem, onChange }: NumberFieldProps) {
  const id = useId();
  const optional = defaultText !== undefined;
  const [text, setText] = useState(value === undefined || Number.isNaN(value) ? '' : String(value));
  // Follow outside changes (a preset load, a layer moved into this slot) without clobbering typing.
  useEffect(() => {
    if (!Object.is(parse(text, optional), value))
      setText(value === undefined || Number.isNaN(value) ? '' : String(value));
  }, [value, text, optional]);
  return (
    <div className={problem ? 'field invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode={integer ? 'numeric' : 'decimal'}
        step={integer ? 1 : 'any'}
        value={text}
        placeholder={defaultText}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          onChange(parse(e.target.value, optional));
        }}
      />
      {problem && (
        <span id={`${id}-problem`} className="field-problem">
          {problem}
        </span>
      )}
    </div>
  );
}
