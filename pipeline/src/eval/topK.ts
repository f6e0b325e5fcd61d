/**
 * Indices of the `k` highest scores, best first, skipping `exclude`. Ties are broken by `tieBreak`
 * (higher first) and then by the lower index, so every ranking is deterministic.
 */
export function topK(
  scores: Float32Array,
  k: number,
  exclude?: ReadonlySet<number>,
  tieBreak?: Float32Array,
): number[] {
  const idx: number[] = [];
  const better = (a: number, b: number): boolean => {
    const d = scores[a]! - scores[b]!;
    if (d !== 0) return d > 0;
    if (tieBreak) {
      const t = tieBreak[a]! - tieBreak[b]!;
      if (t !== 0) return t > 0;
    }
    return a < b;
  };
  for (let i = 0; i < scores.length; i++) {
    // the cheap comparisons first: most items score below the current k-th (no tie-break, no set lookup)
    if (idx.length === k) {
      const last = idx[k - 1]!;
      if (scores[i]! < scores[last]! || !better(i, last)) continue;
    }
    if (exclude?.has(i)) continue;
    let pos = idx.length === k ? k - 1 : idx.length;
    while (pos > 0 && better(i, idx[pos - 1]!)) pos--;
    if (idx.length === k) idx.pop();
    idx.splice(pos, 0, i);
  }
  return idx;
}
