/**
 * Where a screenshot meant for the README goes: into docs/ only when asked (`npm run docs:shots`),
 * else beside the other e2e screenshots (ignored by git), so a test run leaves the tree clean and
 * the docs change only when someone means to change them.
 */
export function docsShot(name: string): string {
  return process.env.KILN_DOCS_SHOTS ? `docs/${name}` : `e2e/screenshots/docs-${name}`;
}
