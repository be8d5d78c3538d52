/**
 * Output paths checked the only way that cannot be wrong: by writing there. access() asks the
 * permission bits, which a read-only mount, sysfs or procfs (even as root) answer with yes and
 * then refuse the write, after the epochs are trained.
 */
import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A name no file has: a probe or a file written aside must never open an existing FIFO or file. */
export function asideName(path: string, suffix: string): string {
  return `${path}.${process.pid}-${randomBytes(4).toString('hex')}${suffix}`;
}

/**
 * Resolves once a file was created in `dir` and removed again; rejects with the error of the
 * create (EROFS, EACCES, ENOENT...) when `dir` takes no new file. The file is created exclusively
 * under a fresh name, so the probe never opens, and never blocks on, anything already there.
 */
export async function probeWritable(dir: string): Promise<void> {
  const probe = asideName(join(dir, '.kiln-write-check'), '');
  const handle = await open(probe, 'wx');
  await handle.close();
  await rm(probe, { force: true });
}
