// "; did you mean "v2"?" for a name that is one typo away from an existing one.
import { didYouMean } from '@skiff/api';

/**
 * The did-you-mean sentence for `word` among `candidates`, or undefined when none is close.
 * Names of up to 3 characters ("v3") are one edit from any sibling ("v1"), so for them only a
 * difference of case or separators counts as a typo.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const pool = word.length > 3 ? candidates : candidates.filter((c) => normalize(c) === normalize(word));
  const hint = didYouMean(word, pool);
  return hint === '' ? undefined : hint;
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}
