/**
 * The public API is what api/*.api.md records (scripts/api-report.mjs, api-extractor on the entry
 * points' declarations): a name removed from an entry point, or a changed type, fails this test
 * until the report is regenerated on purpose (`npm run api`). The second test proves the check
 * bites, on a copy of the declarations with one export taken out and one type changed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
// @ts-expect-error: a plain ES module script, without declarations.
import { checkApi, emitDeclarations } from '../../scripts/api-report.mjs';

let types = '';
beforeAll(() => {
  types = emitDeclarations();
});
afterAll(() => rmSync(types, { recursive: true, force: true }));

test('every entry point exports what api/ records, with the recorded types', () => {
  expect(checkApi(types)).toEqual([]);
}, 600_000);

test('removing a public export, or changing its type, fails the check', () => {
  const copy = mkdtempSync(join(tmpdir(), 'kiln-api-edit-'));
  try {
    cpSync(types, copy, { recursive: true });
    // The copy as it is matches: what fails below is the edit, not the copy's folder.
    expect(checkApi(copy, { only: ['nn', 'optim', 'train'] })).toEqual([]);
    const nn = join(copy, 'kiln/nn.d.ts');
    const text = readFileSync(nn, 'utf8');
    expect(text).toMatch(/\bDropout\b/);
    writeFileSync(nn, text.replace("export { Dropout } from '../nn/dropout';\n", ''));
    expect(readFileSync(nn, 'utf8')).not.toMatch(/\bDropout\b/);
    expect(checkApi(copy, { only: ['nn'] })).toEqual(['nn']);

    // A changed signature behind an unchanged name: clipGradNorm_'s max norm becomes a string.
    cpSync(types, copy, { recursive: true });
    const clip = join(copy, 'optim/clip_grad.d.ts');
    const before = readFileSync(clip, 'utf8');
    const after = before.replace(/maxNorm: number/, 'maxNorm: string');
    expect(after).not.toBe(before);
    writeFileSync(clip, after);
    expect(checkApi(copy, { only: ['optim'] })).toEqual(['optim']);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}, 600_000);
