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
  /** Term of each id, and its inverse document frequency: a new product's title is embedded with them. */
  vocabulary: string[];
  idf: Float32Array;
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
  const idf = Float32Array.from(df, (v) => Math.log((1 + n) / (1 + v)));
  const postingLists: number[][] = Array.from({ length: vocab.size }, () => []);
  const terms: Int32Array[] = [];
  const weights: Float32Array[] = [];
  docs.forEach((d, item) => {
    const ids = [...d.keys()].sort((a, b) => a - b);
    const w = ids.map((id) => (1 + Math.log(d.get(id)!)) * idf[id]!);
    const norm = Math.hypot(...w) || 1;
    terms.push(Int32Array.from(ids));
    weights.push(Float32Array.from(w, (v) => v / norm));
    for (const id of ids) postingLists[id]!.push(item);
  });
  return {
    terms,
    weights,
    postings: postingLists.map((p) => Int32Array.from(p)),
    vocabulary: [...vocab.keys()],
    idf,
  };
}

/**
 * The unit TF-IDF vector of a title with the model's vocabulary and IDF (log-scaled term counts):
 * term ids and their weights. Words the catalogue never used are left out.
 */
export function titleVector(model: TextModel, title: string): { ids: number[]; weights: number[] } {
  const index = vocabularyIndex(model);
  const counts = new Map<number, number>();
  for (const tok of tokenize(title)) {
    const id = index.get(tok);
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const ids = [...counts.keys()];
  const w = ids.map((id) => (1 + Math.log(counts.get(id)!)) * model.idf[id]!);
  const norm = Math.hypot(...w) || 1;
  return { ids, weights: w.map((v) => v / norm) };
}

/**
 * Cosine similarity of a title that is not in the model (a product first sold after training)
 * to every item, added into `out`. Words the catalogue never used are ignored.
 */
export function titleScores(model: TextModel, title: string, out: Float32Array): void {
  const { ids, weights: w } = titleVector(model, title);
  const pw = postingWeights(model);
  ids.forEach((term, k) => {
    const wk = w[k]!;
    const items = model.postings[term]!;
    const weights = pw[term]!;
    for (let p = 0; p < items.length; p++) out[items[p]!]! += wk * weights[p]!;
  });
}

const postingWeightsCache = new WeakMap<TextModel, Float32Array[]>();
const accumulators = new WeakMap<TextModel, Float32Array>();

/**
 * Per term, the weight of that term in each item of its posting list (parallel to `postings`), built
 * once per model: the scoring loops read it instead of searching each item's terms.
 */
function postingWeights(model: TextModel): Float32Array[] {
  let pw = postingWeightsCache.get(model);
  if (!pw) {
    pw = model.postings.map((items, term) => Float32Array.from(items, (j) => termWeight(model, j, term)));
    postingWeightsCache.set(model, pw);
  }
  return pw;
}

/** The weight of `term` in item `j`'s vector (binary search in its sorted term ids; the term is there). */
function termWeight(model: TextModel, j: number, term: number): number {
  const jt = model.terms[j]!;
  let lo = 0;
  let hi = jt.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (jt[mid]! < term) lo = mid + 1;
    else hi = mid;
  }
  return model.weights[j]![lo]!;
}

const indexCache = new WeakMap<TextModel, Map<string, number>>();
function vocabularyIndex(model: TextModel): Map<string, number> {
  let index = indexCache.get(model);
  if (!index) {
    index = new Map(model.vocabulary.map((t, i) => [t, i] as const));
    indexCache.set(model, index);
  }
  return index;
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
  // per-item accumulator, all zero between seeds and between calls (each touched entry is reset)
  let acc = accumulators.get(model);
  if (!acc) accumulators.set(model, (acc = new Float32Array(model.terms.length)));
  const touched: number[] = [];
  const pw = postingWeights(model);
  for (let s = 0; s < seeds.length; s++) {
    const seed = seeds[s]!;
    const st = model.terms[seed]!;
    const sw = model.weights[seed]!;
    for (let k = 0; k < st.length; k++) {
      const term = st[k]!;
      const w = sw[k]!;
      const items = model.postings[term]!;
      const weights = pw[term]!;
      for (let p = 0; p < items.length; p++) {
        const j = items[p]!;
        if (acc[j] === 0) touched.push(j);
        acc[j]! += w * weights[p]!;
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

/**
 * The cosine similarity of two items' titles (their unit TF-IDF vectors): a merge of the two sorted
 * term lists. Equal to what {@link textScores} adds for the pair, up to float rounding.
 */
export function textPairScore(model: TextModel, a: number, b: number): number {
  const at = model.terms[a]!;
  const bt = model.terms[b]!;
  const aw = model.weights[a]!;
  const bw = model.weights[b]!;
  let s = 0;
  for (let p = 0, q = 0; p < at.length && q < bt.length;) {
    const d = at[p]! - bt[q]!;
    if (d === 0) s += aw[p++]! * bw[q++]!;
    else if (d < 0) p++;
    else q++;
  }
  return s;
}
