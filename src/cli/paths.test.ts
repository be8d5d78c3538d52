/**
 * Output paths and odd files: a folder where writing fails whatever access() says (sysfs, procfs,
 * even as root) is refused before any work, and no write, probe or cache read opens, and so blocks
 * on, a FIFO already there.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeWritable } from './paths';
import { runCli } from './testing';
import { loadTuning, tuningFile } from './tuning_cache';

const dir = mkdtempSync(join(tmpdir(), 'kiln-paths-'));
const mkfifo = (path: string) => execFileSync('mkfifo', [path]);
const TINY = ['--backend', 'cpu', '--dataset', 'synthetic', '--limit', '64', '--batch-size', '32'];
const MODEL = ['--model', 'linear:4,relu,linear:2', '--epochs', '1'];

describe('output paths', () => {
  it('are probed by creating and removing a file, which leaves nothing behind', async () => {
    await probeWritable(dir);
    expect(readdirSync(dir)).toEqual([]);
    await expect(probeWritable(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  // sysfs and procfs say writable to access() as root, and refuse every new file.
  it.each([
    ['--export-pytorch', '/sys/kernel'],
    ['--logdir', '/sys/kernel/kiln-tb'],
    ['--save', '/sys/kernel/model.safetensors'],
    ['--export-pytorch', '/proc'],
    ['--checkpoint', '/proc/ckpt.safetensors'],
  ])('%s %s is refused before any work', async (flag, path) => {
    const r = await runCli(...TINY, ...MODEL, flag, path);
    expect(r.code).toBe(2);
    expect(r.stderr.filter((l) => l.startsWith('error: '))).toEqual([
      expect.stringMatching(new RegExp(`^error: ${flag}: cannot write ${path} \\(([/\\w]+: )?E[A-Z]+\\)$`)),
    ]);
    // Refused in the checks: no backend was made, nothing trained.
    expect(r.stderr.join('\n')).not.toMatch(/Backend:|epoch 1/);
  });

  it('exporting next to a FIFO named as the old aside file does not hang, and leaves the FIFO', async () => {
    const out = join(dir, 'export');
    execFileSync('mkdir', [out]);
    mkfifo(join(out, 'train.py.tmp'));
    const r = await runCli(...TINY, ...MODEL, '--export-pytorch', out);
    expect(r.stderr.filter((l) => l.startsWith('error: '))).toEqual([]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['train.py', 'train.py.tmp']);
  });
});

describe('the tuning cache', () => {
  it("ignores a FIFO or a folder in its file's place instead of waiting for a writer", async () => {
    const fifoDir = join(dir, 'cache-fifo');
    execFileSync('mkdir', [fifoDir]);
    mkfifo(tuningFile('gpu', fifoDir));
    expect(await loadTuning('gpu', fifoDir)).toEqual({});
    const folderDir = join(dir, 'cache-folder');
    execFileSync('mkdir', ['-p', tuningFile('gpu', folderDir)]);
    expect(await loadTuning('gpu', folderDir)).toEqual({});
    expect(existsSync(tuningFile('gpu', fifoDir))).toBe(true);
  });
});
