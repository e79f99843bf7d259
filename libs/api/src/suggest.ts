// "Did you mean ...?" for misspelled field names, enum values and kinds.

/**
 * Levenshtein distance (insert, delete, substitute each cost 1), optionally counting a swap of
 * two neighbouring letters as one edit too ("hots" -> "host"), the commonest typo of all.
 */
export function levenshtein(a: string, b: string, opts: { transpositions?: boolean } = {}): number {
  if (a === b) return 0;
  // d[i][j] = distance between a[0..i) and b[0..j)
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const up = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (opts.transpositions && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

// "mirror_percentage", "Mirror-Percentage" and "mirrorpercentage" all mean mirrorPercentage.
function normalize(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * The candidate closest to `word`, or undefined when nothing is close enough to be a likely typo.
 * Close enough: same letters ignoring case/underscores/dashes, or an edit distance of at most a
 * third of the word's length (at least 1, at most 3), a swap of neighbouring letters counting as one.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const norm = normalize(word);
  const same = candidates.find((c) => normalize(c) === norm);
  if (same !== undefined) return same;
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(norm, normalize(c), { transpositions: true });
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean "route"?` or the empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const hit = closest(word, candidates);
  return hit === undefined ? '' : `; did you mean ${JSON.stringify(hit)}?`;
}
