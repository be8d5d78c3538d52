import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tar } from './tar';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the test. */
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-tar-'));
  dirs.push(d);
  return d;
}

describe('tar', () => {
  it('writes an archive that tar lists and extracts byte for byte, folders first', () => {
    const long = `${'lr=0.001,seed=1,'.repeat(5)}x`;
    const files = [
      { path: 'events.out.tfevents.1.kiln', bytes: Uint8Array.of(1, 2, 3) },
      {
        path: `${long}/events.out.tfevents.2.kiln`,
        bytes: Uint8Array.from({ length: 1300 }, (_, i) => i % 251),
      },
      { path: 'lr=0.01/empty', bytes: new Uint8Array(0) },
    ];
    const bytes = tar(files, 1_700_000_000);
    expect(bytes.length % 512).toBe(0);
    const d = scratch();
    writeFileSync(join(d, 'a.tar'), bytes);
    const listed = execFileSync('tar', ['-tf', join(d, 'a.tar')], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(listed).toEqual([files[0].path, `${long}/`, files[1].path, 'lr=0.01/', files[2].path]);
    execFileSync('tar', ['-xf', join(d, 'a.tar'), '-C', d]);
    for (const f of files) expect(new Uint8Array(readFileSync(join(d, f.path)))).toEqual(f.bytes);
  });

  it('refuses paths that are absolute, climb out, or cannot fit ustar', () => {
    const one = (path: string) => () => tar([{ path, bytes: new Uint8Array(1) }]);
    expect(one('/etc/passwd')).toThrow('a tar path must be relative and plain, got "/etc/passwd"');
    expect(one('a/../b')).toThrow(/relative and plain/);
    expect(one('x'.repeat(101))).toThrow(/too long for a tar archive/);
  });
});
