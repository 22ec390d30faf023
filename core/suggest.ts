/**
 * The candidate a mistyped name most likely meant: the one within a few edits (insertions,
 * deletions, substitutions, swapped neighbours; letter case and separators ignored), nearest first;
 * undefined when none is that close. "did you mean" for configuration keys and flags.
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const fold = (text: string) => text.toLowerCase().replace(/[^a-z0-9:.]/g, "");
  const wanted = fold(name);
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, fold(candidate));
    if (distance <= Math.max(1, Math.floor(Math.min(wanted.length, candidate.length) / 5)) && (!best || distance < best.distance))
      best = { candidate, distance };
  }
  return best?.candidate;
}

/** Optimal string alignment distance: Levenshtein's edits plus a swap of two neighbouring characters. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
    }
  }
  return rows[a.length]![b.length]!;
}
