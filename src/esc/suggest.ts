// "did you mean" for unknown properties (§5.3): the closest key after lower-casing and removing
// underscores, if it is close enough.

function fold(s: string): string {
  return s.toLowerCase().replace(/_/g, '');
}

function levenshtein(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[y.length]!;
}

/** The candidate closest to `key`, accepted when its distance is below floor((len(folded key)+1)/2). */
export function suggestKey(key: string, candidates: Iterable<string>): string | undefined {
  const folded = fold(key);
  const limit = Math.floor((Array.from(folded).length + 1) / 2);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of [...candidates].sort()) {
    const d = levenshtein(folded, fold(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance < limit ? best : undefined;
}
