/**
 * `npm run generate -- --checkpoint FILE [options]`: text from a text run's checkpoint, as
 * nanoGPT's sample.py, on the same engine as the page (train/generate.ts): printed to stdout as it
 * is generated, the prompt first. Everything is checked before the model is built: flags (the
 * option table's parser), the file (read and parsed as a checkpoint), that it holds a language
 * model with its vocabulary, and the prompt against that vocabulary. Exit codes: 0 done, 2 a usage
 * or input error (one line on stderr), 1 a failure while generating.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setDefaultBackend } from 'kiln';
import { parseCheckpoint } from 'kiln/checkpoint';
import { SAMPLE_DEFAULTS, SampleError, type SampleOptions, sampleOptionsError } from 'kiln/config';
import { buildModel } from 'kiln/nn';
import { checkpointVocab, encode, errorKind, generate } from 'kiln/train';
import {
  type CliOption,
  helpText,
  type OptionSection,
  parseOptions,
  UsageError,
  type ValuesOf,
} from './options';
import { BACKEND_OPTION, parseUserFile, pickBackend, readUserFile, THREADS_OPTION } from './shell';

const OPTIONS = [
  {
    flag: 'checkpoint',
    kind: { type: 'path', of: 'file' },
    help: "a text run's full checkpoint (.safetensors)",
  },
  {
    flag: 'prompt',
    kind: { type: 'string' },
    help: 'the text to continue (default: a newline, as sample.py starts)',
  },
  {
    flag: 'tokens',
    kind: { type: 'count', min: 1 },
    help: 'characters to generate',
    default: String(SAMPLE_DEFAULTS.tokens),
  },
  {
    flag: 'temperature',
    kind: { type: 'number' },
    help: 'divides the logits: < 1 sharper, > 1 flatter, 0 always the most likely character',
    default: String(SAMPLE_DEFAULTS.temperature),
  },
  {
    flag: 'top-k',
    kind: { type: 'count', min: 1 },
    arg: 'K',
    help: 'draw among the K most likely characters only (K >= the vocabulary: all)',
    default: String(SAMPLE_DEFAULTS.topK),
  },
  {
    flag: 'seed',
    kind: { type: 'count', min: 0 },
    help: 'seeds the sampler: a seed gives the same text on both backends',
    default: String(SAMPLE_DEFAULTS.seed),
  },
  BACKEND_OPTION,
  THREADS_OPTION,
  { flag: 'help', kind: { type: 'boolean' }, help: 'this text' },
] as const satisfies readonly CliOption[];

const SECTIONS: OptionSection[] = [{ title: 'Options', options: OPTIONS }];

type Values = ValuesOf<typeof OPTIONS>;

/** The flag of each sample setting, so a refusal names what the user typed. */
const FLAG: Record<keyof SampleOptions, string> = {
  prompt: 'prompt',
  tokens: 'tokens',
  temperature: 'temperature',
  topK: 'top-k',
  seed: 'seed',
};

/** Where the CLI writes: the text as it comes, and lines for the user. */
export interface GenerateIo {
  /** A piece of the text, written as it is (no newline added). */
  text(s: string): void;
  stderr(line: string): void;
}

/** Runs `npm run generate` with `argv`. */
async function generateCli(argv: string[], io: GenerateIo): Promise<void> {
  const v = parseOptions(SECTIONS, argv) as Values;
  if (v.help) {
    io.text(`${helpText('Usage: npm run generate -- --checkpoint FILE [options]', SECTIONS)}\n`);
    return;
  }
  if (v.checkpoint === undefined) throw new UsageError('--checkpoint FILE is required (see --help)');
  const options: SampleOptions = {
    prompt: v.prompt ?? SAMPLE_DEFAULTS.prompt,
    tokens: v.tokens,
    temperature: v.temperature,
    topK: v['top-k'],
    seed: v.seed,
  };
  const bytes = await readUserFile('checkpoint', v.checkpoint);
  const { meta, model: state } = parseUserFile('checkpoint', v.checkpoint, bytes, parseCheckpoint);
  const vocab = parseUserFile('checkpoint', v.checkpoint, meta, checkpointVocab);
  const problem = sampleOptionsError(options);
  if (problem) throw problem;
  encode(vocab, options.prompt);

  const backend = await pickBackend(v.backend, io.stderr, v.threads);
  setDefaultBackend(backend);
  const model = buildModel(meta.spec);
  model.loadStateDict(state);
  io.text(options.prompt);
  await generate(model, meta.spec, vocab, options, io.text);
  io.text('\n');
}

/** Runs the CLI and gives its exit code: 0 done, 2 a usage or input error, 1 anything else. */
export async function cliMain(argv: string[], io: GenerateIo): Promise<number> {
  try {
    await generateCli(argv, io);
    return 0;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const flag = e instanceof SampleError && e.field ? `--${FLAG[e.field]}: ` : '';
    io.stderr(`error: ${flag}${message}`);
    if (!(e instanceof UsageError) && errorKind(e) === 'internal' && process.env.KILN_DEBUG) console.error(e);
    return e instanceof UsageError || errorKind(e) === 'bad-input' ? 2 : 1;
  }
}

// Run as a program, not imported by a test (real paths: see train.ts).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(resolve(process.argv[1]))).href) {
  void cliMain(process.argv.slice(2), {
    text: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(`${s}\n`),
  }).then((code) => process.exit(code));
}
