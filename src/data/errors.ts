/**
 * The one error type the data layer throws for bad input: a file that is not what it claims to be,
 * a dataset whose parts disagree, or storage that is full. The message names the file and the
 * problem in words a user can act on; `file` carries the name for a UI that wants it separately.
 */
export class DatasetError extends Error {
  /** The file (or dataset) the problem is in. */
  readonly file: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
    this.name = 'DatasetError';
    this.file = file;
  }
}

/**
 * Text taken from a file as a message shows it: on one line (control characters escaped as JSON
 * escapes them) and cut to `max` characters, so a damaged file cannot make a message unreadable.
 */
export function shown(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
