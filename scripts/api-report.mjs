#!/usr/bin/env node
// The public API as a checked-in report: one `api/kiln*.api.md` per subpath (`kiln`, `kiln/nn` as
// api/kiln-nn.api.md, ...), written by @microsoft/api-extractor from the declarations tsc emits for
// the entry points (tsconfig.package.json). A name that disappears or whose type changes changes a
// report, so the check fails until the report is regenerated on purpose (the API is a decision):
//
//   node scripts/api-report.mjs           check: exit 1 naming every report that differs
//   node scripts/api-report.mjs --update  rewrite api/*.api.md from the source
//
// src/kiln/api.test.ts runs the check in `npm test`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import apiExtractor from '@microsoft/api-extractor';

const { CompilerState, Extractor, ExtractorConfig } = apiExtractor;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The subpaths: src/kiln/<name>.ts is `kiln/<name>`, index.ts is `kiln`. */
export function subpaths() {
  return readdirSync(join(root, 'src/kiln'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** The report's file stem for a subpath: kiln, kiln-nn, ... */
export const reportName = (name) => (name === 'index' ? 'kiln' : `kiln-${name}`);

/** Emits the entry points' declarations into a new temporary folder and returns it. */
export function emitDeclarations() {
  const out = mkdtempSync(join(tmpdir(), 'kiln-api-'));
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.package.json'), '--outDir', out], {
    stdio: 'inherit',
  });
  return out;
}

/**
 * Compares (or with `update`, rewrites) the report of every subpath against the declarations in
 * `typesDir` (tsc's output: `<typesDir>/kiln/<name>.d.ts`). `reportFolder` defaults to api/.
 * `only` limits it to some subpaths. Returns the subpaths whose report differs (an empty list when
 * the API is as recorded).
 */
export function checkApi(typesDir, { update = false, reportFolder = join(root, 'api'), only = subpaths() } = {}) {
  const differ = [];
  // api-extractor writes each report here; it is compared with api/ (or copied there) after the
  // declarations' folder, which some warnings name, is written as <types> (it is a temporary one).
  const temp = mkdtempSync(join(tmpdir(), 'kiln-api-report-'));
  // Its line and column go too: an edit elsewhere in that file does not change the API.
  const normalise = (text) =>
    text
      .replaceAll(realpathSync(typesDir), '<types>')
      .replaceAll(typesDir, '<types>')
      .replace(/(<types>\/[^\s:]+):\d+:\d+/g, '$1');
  const entry = (name) => join(typesDir, 'kiln', `${name}.d.ts`);
  // One TypeScript program for every entry point (compiling it is most of the time).
  let compilerState;
  try {
    for (const name of only) {
      const config = ExtractorConfig.prepare({
        configObject: {
          projectFolder: root,
          mainEntryPointFilePath: entry(name),
          compiler: {
            overrideTsconfig: {
              compilerOptions: {
                target: 'ES2022',
                module: 'ESNext',
                moduleResolution: 'bundler',
                lib: ['ES2023', 'DOM', 'DOM.Iterable'],
                types: ['@webgpu/types', 'node'],
                strict: true,
                skipLibCheck: true,
              },
              files: only.map(entry),
            },
          },
          apiReport: {
            enabled: true,
            reportFileName: reportName(name),
            reportFolder: temp,
            reportTempFolder: temp,
          },
          docModel: { enabled: false },
          dtsRollup: { enabled: false },
          tsdocMetadata: { enabled: false },
          messages: {
            // Names the entry points reach but do not export (a return type's interface) are listed
            // in the report rather than failing it: the report still changes when they do.
            extractorMessageReporting: {
              default: { logLevel: 'none' },
              'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
            },
            tsdocMessageReporting: { default: { logLevel: 'none' } },
            compilerMessageReporting: { default: { logLevel: 'error' } },
          },
        },
        configObjectFullPath: join(root, 'api', 'api-extractor.json'),
        packageJsonFullPath: join(root, 'package.json'),
      });
      compilerState ??= CompilerState.create(config, { additionalEntryPoints: only.map(entry) });
      const result = Extractor.invoke(config, { compilerState, localBuild: true, showVerboseMessages: false, messageCallback: (m) => {
        // The "report changed" notice is what this function returns; keep the output to errors.
        if (m.logLevel !== 'error') m.handled = true;
      } });
      if (result.errorCount > 0) throw new Error(`api-extractor failed on kiln/${name}`);
      const file = `${reportName(name)}.api.md`;
      const report = normalise(readFileSync(join(temp, file), 'utf8'));
      const recorded = join(reportFolder, file);
      if (existsSync(recorded) && readFileSync(recorded, 'utf8') === report) continue;
      differ.push(name);
      if (update) writeFileSync(recorded, report);
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return differ;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const update = process.argv.includes('--update');
  const types = emitDeclarations();
  try {
    const differ = checkApi(types, { update });
    if (update) console.log(`api/: ${differ.length ? `updated ${differ.map(reportName).join(', ')}` : 'unchanged'}`);
    else if (differ.length) {
      console.error(
        `The public API differs from api/ in ${differ.map((n) => `${reportName(n)}.api.md`).join(', ')}: ` +
          'if the change is meant, run node scripts/api-report.mjs --update and commit api/',
      );
      process.exitCode = 1;
    } else console.log('The public API is as api/ records it.');
  } finally {
    rmSync(types, { recursive: true, force: true });
  }
}
