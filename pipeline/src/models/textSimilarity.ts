/**
 * TF-IDF over product titles: each item becomes a sparse, L2-normalised vector of its words, so two
 * products' text similarity is a sparse dot product. Product families in a shop's catalogue share
 * words ("JUMBO BAG RED RETROSPOT", "JUMBO BAG PINK POLKADOT"), which co-purchase data alone sees only
 * for the popular members.
 */
export interface TextModel {
  /** Per item: sorted term ids and their weights. */
  terms: Int32Array[];
  weights: Float32Array[];
  /** Items containing each term (inverted index). */
  postings: Int32Array[];
}

const STOP = new Set(['OF', 'THE', 'AND', 'IN', 'WITH', 'SET', 'A', 'FOR', 'TO', 'ON']);

/** Upper-cases, keeps letters and digits, drops stop words and one-letter tokens. */
export function tokenize(text: string): string[] {
  return text
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((t) => t.length > 1 && !STOP.has(t));
}

export function trainTextModel(titles: readonly string[]): TextModel {
  const vocab = new Map<string, number>();
  const docs = titles.map((t) => {
    const counts = new Map<number, number>();
    for (const tok of tokenize(t)) {
      let id = vocab.get(tok);
      if (id === undefined) vocab.set(tok, (id = vocab.size));
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  });
  const df = new Float64Array(vocab.size);
  for (const d of docs) for (const id of d.keys()) df[id]! += 1;
  const n = titles.length;
  const postingLists: number[][] = Array.from({ length: vocab.size }, () => []);
  const terms: Int32Array[] = [];
  const weights: Float32Array[] = [];
  docs.forEach((d, item) => {
    const ids = [...d.keys()].sort((a, b) => a - b);
    const w = ids.map((id) => (1 + Math.log(d.get(id)!)) * Math.log((1 + n) / (1 + df[id]!)));
    const norm = Math.hypot(...w) || 1;
    terms.push(Int32Array.from(ids));
    weights.push(Float32Array.from(w, (v) => v / norm));
    for (const id of ids) postingLists[id]!.push(item);
  });
  return { terms, weights, postings: postingLists.map((p) => Int32Array.from(p)) };
}

/**
 * For every item j: the sum (into `sum`) and the maximum (into `max`) over `seeds` of the cosine
 * similarity between j's title and the seed's. Touches only items sharing a word with a seed.
 */
export function textScores(
  model: TextModel,
  seeds: ArrayLike<number>,
  sum: Float32Array,
  max: Float32Array,
): void {
  const acc = new Float32Array(model.terms.length);
  const touched: number[] = [];
  for (let s = 0; s < seeds.length; s++) {
    const seed = seeds[s]!;
    const st = model.terms[seed]!;
    const sw = model.weights[seed]!;
    for (let k = 0; k < st.length; k++) {
      const term = st[k]!;
      const w = sw[k]!;
      for (const j of model.postings[term]!) {
        const jt = model.terms[j]!;
        // binary search the term's position in j's sorted terms
        let lo = 0;
        let hi = jt.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (jt[mid]! < term) lo = mid + 1;
          else hi = mid;
        }
        if (acc[j] === 0) touched.push(j);
        acc[j]! += w * model.weights[j]![lo]!;
      }
    }
    for (const j of touched) {
      const v = acc[j]!;
      acc[j] = 0;
      if (j === seed) continue;
      sum[j]! += v;
      if (v > max[j]!) max[j] = v;
    }
    touched.length = 0;
  }
}
