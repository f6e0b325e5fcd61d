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
    if (exclude?.has(i)) continue;
    if (idx.length === k && !better(i, idx[k - 1]!)) continue;
    let pos = idx.length === k ? k - 1 : idx.length;
    while (pos > 0 && better(i, idx[pos - 1]!)) pos--;
    if (idx.length === k) idx.pop();
    idx.splice(pos, 0, i);
  }
  return idx;
}
