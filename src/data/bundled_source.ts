/**
 * The bundled text: the Jargon File 4.4.7 (public domain), as Debian's dict-jargon package installs
 * it (dictzip, which is gzip). The CLI reads it from there (data/node.ts), and the site carries the
 * same file (scripts/mnist-assets.ts, which imports this module alone: it has no imports, so Vite's
 * config does not pull in the engine).
 */
export const BUNDLED_TEXT = {
  name: 'jargon',
  path: '/usr/share/dictd/jargon.dict.dz',
  debian: 'dict-jargon',
};
