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

/** What the run filter searches in a run: its name, its tags and its notes. */
export interface Searchable {
  name: string;
  tags?: readonly string[];
  notes?: string;
}

/**
 * A test of runs against `pattern`, by runMatcher's rules: a run matches when its name, any one of
 * its tags, or its notes do, so "baseline" finds the runs tagged so and "diverged" those whose
 * notes say it.
 */
export function runSearch(pattern: string): (run: Searchable) => boolean {
  const matches = runMatcher(pattern);
  return (run) => matches(run.name) || (run.tags ?? []).some(matches) || (!!run.notes && matches(run.notes));
}
