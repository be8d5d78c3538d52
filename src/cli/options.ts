/**
 * Command-line options declared as a table, for `npm run train` and `npm run bench` alike: each
 * option's flag, the kind of value it takes, and its help line. From the table come the parsing
 * (node:util's parseArgs, then each value checked against its kind: a number is a number, a path is
 * not empty, a choice is one of its own) and the --help text, so a flag cannot be parsed one way and
 * documented another. A bad command line is one UsageError line, before any work.
 */
import { parseArgs } from 'node:util';

/** A user mistake: printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {}

/** The value an option takes, and how it is checked. */
export type OptionKind =
  /** Present or not. */
  | { type: 'boolean' }
  /** Any text (a model spec); the caller reads it. */
  | { type: 'string' }
  /** A finite number written in decimal or exponent notation; the caller checks its range. */
  | { type: 'number' }
  /** A whole number of at least `min`. */
  | { type: 'count'; min: number }
  /** Numbers separated by commas ("0.9,0.999"). */
  | { type: 'numbers' }
  /** One of `choices`. */
  | { type: 'choice'; choices: readonly string[] }
  /** A file or directory path: never empty (an empty one would silently mean "none"). */
  | { type: 'path'; of: 'file' | 'dir' };

/** One command-line option. */
export interface CliOption {
  /** The flag, without its dashes. */
  flag: string;
  kind: OptionKind;
  /** The word after the flag in --help (N, X, FILE); the kind's own where absent. */
  arg?: string;
  /** Its help, one line, or several separated by newlines. */
  help: string;
  /** The value taken when the flag is absent, written as a user would give it (--help shows it). */
  default?: string;
  /** Describes a new run: refused with --resume, which continues the checkpoint's own. */
  newRunOnly?: boolean;
}

/** A heading of --help and the options under it. */
export interface OptionSection {
  title: string;
  options: readonly CliOption[];
}

/** A parsed command line: each given option's value, checked against its kind; absent ones undefined. */
export type OptionValues = Record<string, string | number | boolean | number[] | undefined>;

/** The value of an option of kind `K`. */
type ValueOf<K extends OptionKind> = K extends { type: 'boolean' }
  ? boolean
  : K extends { type: 'number' | 'count' }
    ? number
    : K extends { type: 'numbers' }
      ? number[]
      : string;

/** The parsed values of a table declared `as const`, typed by each option's kind; those with a default always there. */
export type ValuesOf<T extends readonly CliOption[]> = {
  [O in T[number] as O extends { default: string } ? O['flag'] : never]: ValueOf<O['kind']>;
} & {
  [O in T[number] as O extends { default: string } ? never : O['flag']]?: ValueOf<O['kind']>;
};

/** A number as a user writes one: plain decimal or exponent notation, finite (not 0x10, not 1e400). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** `text` as the number an option takes, or a UsageError naming the option. */
function parseNumber(flag: string, text: string): number {
  const x = Number(text);
  if (!NUMBER.test(text.trim()) || !Number.isFinite(x)) {
    throw new UsageError(`--${flag} expects a number, got "${text}"`);
  }
  return x;
}

/** One option's text as its kind's value, or a UsageError naming the option. */
function parseValue(o: CliOption, text: string): string | number | number[] {
  const k = o.kind;
  switch (k.type) {
    case 'boolean':
    case 'string':
      return text;
    case 'number':
      return parseNumber(o.flag, text);
    case 'count': {
      const n = NUMBER.test(text.trim()) ? Number(text) : Number.NaN;
      if (!(Number.isSafeInteger(n) && n >= k.min)) {
        throw new UsageError(`--${o.flag} must be a whole number >= ${k.min}, got "${text}"`);
      }
      return n;
    }
    case 'numbers':
      return text.split(',').map((x) => parseNumber(o.flag, x));
    case 'choice':
      if (!k.choices.includes(text)) {
        throw new UsageError(`--${o.flag} must be one of ${k.choices.join(', ')}, got "${text}"`);
      }
      return text;
    case 'path':
      if (text === '') {
        throw new UsageError(`--${o.flag} expects a ${k.of === 'dir' ? 'directory' : 'file'} path, got ""`);
      }
      return text;
  }
}

/** Command-line words with a negative number after a flag joined to it (`--lr -1` as `--lr=-1`). */
function joinNegatives(options: ReadonlyMap<string, CliOption>, argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const o = argv[i].startsWith('--') ? options.get(argv[i].slice(2)) : undefined;
    const next = argv[i + 1];
    if (o && o.kind.type !== 'boolean' && next !== undefined && /^-\d|^-\.\d/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

/** The options of every section, by flag. */
function byFlag(sections: readonly OptionSection[]): Map<string, CliOption> {
  return new Map(sections.flatMap((s) => s.options.map((o) => [o.flag, o] as const)));
}

/**
 * Parses `argv` against the table: unknown flags, positional words and missing values are refused
 * as node:util says them, then every value, given or default, is checked against its option's kind.
 */
export function parseOptions(sections: readonly OptionSection[], argv: readonly string[]): OptionValues {
  const options = byFlag(sections);
  let raw: Record<string, string | boolean | undefined>;
  try {
    raw = parseArgs({
      args: joinNegatives(options, argv),
      options: Object.fromEntries(
        [...options.keys()].map((f) => [
          f,
          { type: options.get(f)?.kind.type === 'boolean' ? 'boolean' : 'string' } as const,
        ]),
      ),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const out: OptionValues = {};
  for (const [flag, o] of options) {
    const text = raw[flag] ?? o.default;
    if (text !== undefined) out[flag] = typeof text === 'boolean' ? text : parseValue(o, text);
  }
  return out;
}

/** The word --help shows after a flag. */
function argWord(o: CliOption): string {
  if (o.arg !== undefined) return o.arg;
  switch (o.kind.type) {
    case 'boolean':
      return '';
    case 'number':
      return 'X';
    case 'count':
      return 'N';
    case 'numbers':
      return 'X,Y';
    case 'choice':
      return o.kind.choices.join('|');
    case 'path':
      return o.kind.of === 'dir' ? 'DIR' : 'FILE';
    case 'string':
      return 'TEXT';
  }
}

/** Where the help of each option starts, so the lines read as a column. */
const HELP_COLUMN = 26;

/** The --help text: `usage`, each section's options one a line (defaults after the first), then `footer`. */
export function helpText(usage: string, sections: readonly OptionSection[], footer = ''): string {
  const pad = ' '.repeat(HELP_COLUMN);
  const lines = [usage];
  for (const s of sections) {
    lines.push('', s.title);
    for (const o of s.options) {
      const word = argWord(o);
      const head = `  --${o.flag}${word ? ` ${word}` : ''}`;
      const [line, ...rest] = o.help.split('\n');
      const first = o.default === undefined ? line : `${line} (default ${o.default})`;
      if (head.length < HELP_COLUMN - 1) lines.push(head.padEnd(HELP_COLUMN) + first);
      else lines.push(head, pad + first);
      for (const line of rest) lines.push(pad + line);
    }
  }
  if (footer) lines.push('', footer);
  return lines.join('\n');
}
