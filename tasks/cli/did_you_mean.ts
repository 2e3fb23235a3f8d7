/**
 * "Did you mean …?" for a mistyped flag or command: the closest known name by edit distance
 * (insertions, deletions, substitutions and swaps of two neighbours each count 1), offered when it
 * is at most 2 edits away, or a third of the name's length for long names; nothing otherwise.
 */

/** The known name closest to `given`, or undefined when none is close. */
export function closestName(given: string, known: readonly string[]): string | undefined {
  let best: string | undefined, bestDistance = Infinity;
  for (const name of known) {
    const d = editDistance(given, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return bestDistance <= Math.max(2, Math.floor(given.length / 3)) ? best : undefined;
}

/** ` (did you mean X?)`, or nothing. */
export function didYouMean(given: string, known: readonly string[], prefix = ""): string {
  const name = closestName(given, known);
  return name === undefined ? "" : ` (did you mean ${prefix}${name}?)`;
}

/** Optimal string alignment distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i || j));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
