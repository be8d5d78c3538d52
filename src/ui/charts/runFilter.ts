/** TensorBoard's "Filter runs": a pattern that keeps the runs whose names it matches. */

/** A parsed run filter: the test of a run's name, and why the pattern is not a regular expression. */
export interface RunFilter {
  matches: (name: string) => boolean;
  /**
   * Why the pattern is not a valid regular expression ("Unterminated group"), or null when it is
   * one (or empty). Such a pattern still filters, as plain text: the box says so rather than
   * reading as "no run matches".
   */
  invalid: string | null;
}

/**
 * `pattern` as a test of run names, case-insensitive: as a regular expression, or as plain text
 * while it is not a valid one (a half-typed "(" or "[" still filters, and `invalid` says why it is
 * not a regex). An empty pattern keeps every run.
 */
export function parseRunFilter(pattern: string): RunFilter {
  const text = pattern.trim();
  if (!text) return { matches: () => true, invalid: null };
  try {
    const re = new RegExp(text, 'i');
    return { matches: (name) => re.test(name), invalid: null };
  } catch (e) {
    const lower = text.toLowerCase();
    // V8 says "Invalid regular expression: /#(/i: Unterminated group": the pattern is in the box already.
    const why = e instanceof Error ? (e.message.split(': ').at(-1) ?? e.message) : String(e);
    return { matches: (name) => name.toLowerCase().includes(lower), invalid: why };
  }
}

/** What the run filter searches in a run: its name, its tags, its notes and its sweep's name. */
export interface Searchable {
  name: string;
  tags?: readonly string[];
  notes?: string;
  sweep?: { name: string };
}

/**
 * A test of runs against `pattern`, by parseRunFilter's rules: a run matches when its name, any one of
 * its tags, its notes or its sweep's name do, so "baseline" finds the runs tagged so, "diverged"
 * those whose notes say it, and a sweep's name all of its runs.
 */
export function runSearch(pattern: string): (run: Searchable) => boolean {
  const { matches } = parseRunFilter(pattern);
  return (run) =>
    matches(run.name) ||
    (run.tags ?? []).some(matches) ||
    (!!run.notes && matches(run.notes)) ||
    (!!run.sweep && matches(run.sweep.name));
}
