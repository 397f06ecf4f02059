/** Longest word (or candidate) "did you mean" compares: longer text is no typo of a name. */
const MAX_WORD = 64;

/**
 * How much "did you mean" work one validation may do, in edit-distance cells (about 2 ms per
 * million). A file with thousands of dangling references to thousands of names would otherwise
 * spend seconds on suggestions; past the budget, hints list names instead.
 */
export class SuggestionBudget {
  constructor(public cells = 4_000_000) {}
}

/**
 * The candidate nearest to `word` by edit distance, if it is close enough to be a likely typo
 * (at most max(2, length / 3) edits). Bounded for hostile input: words and candidates longer
 * than 64 characters are never compared, candidates whose length alone rules them out are
 * skipped, and the distance stops counting past the best found so far. With a `budget` shared
 * by the calls of one validation, no suggestion is made once it is spent.
 */
export function closest(word: string, candidates: Iterable<string>, budget?: SuggestionBudget): string | undefined {
  if (word.length > MAX_WORD || (budget && budget.cells <= 0)) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (candidate.length > MAX_WORD || Math.abs(candidate.length - word.length) >= bestDistance) continue;
    if (budget && (budget.cells -= (word.length + 1) * (candidate.length + 1)) < 0) return undefined;
    const distance = editDistance(lower, candidate.toLowerCase(), bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      if (distance === 0) break;
    }
  }
  return best;
}

/** Levenshtein distance of `a` and `b`, or any value >= `bound` once it is sure to reach it. */
function editDistance(a: string, b: string, bound: number): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
      if (row[j]! < rowMin) rowMin = row[j]!;
    }
    // Every later row is at least this row's minimum.
    if (rowMin >= bound) return bound;
  }
  return row[b.length]!;
}
