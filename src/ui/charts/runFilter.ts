/** TensorBoard's "Filter runs": a pattern that keeps the runs whose names it matches. */

/**
 * A test of run names against `pattern`, case-insensitive: as a regular expression, or as plain
 * text while it is not a valid one (a half-typed "(" or "[" still filters). An empty pattern keeps
 * every run.
 */
export function runMatcher(pattern: string): (name: string) => boolean {
  const text = pattern.trim();
  if (!text) return () => true;
  try {
    const re = new RegExp(text, 'i');
    return (name) => re.test(name);
  } catch {
    const lower = text.toLowerCase();
    return (name) => name.toLowerCase().includes(lower);
  }
}
