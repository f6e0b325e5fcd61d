import type { CoPurchasePair, ModelBundle } from '@recs/pipeline';

/**
 * A model version's co-purchase pairs in typed arrays: one index per product into `ids`, the counts
 * and the exact confidence and lift. Typed arrays live outside the V8 heap, so the garbage collector
 * neither marks nor moves them: 4,047,126 pairs (961,674 products) take 401 MB of heap as objects and
 * 130 MB here, off the heap, plus the array of product ids (strings the catalogue shares) on it
 * (docs/scaling.md, section 9).
 */
export interface PackedPairs {
  ids: string[];
  a: Int32Array;
  b: Int32Array;
  count: Float64Array;
  confidence: Float64Array;
  lift: Float64Array;
}

export function packPairs(pairs: readonly CoPurchasePair[]): PackedPairs {
  const index = new Map<string, number>();
  const ids: string[] = [];
  const idOf = (id: string) => {
    let i = index.get(id);
    if (i === undefined) {
      index.set(id, (i = ids.length));
      ids.push(id);
    }
    return i;
  };
  const n = pairs.length;
  const packed: PackedPairs = {
    ids,
    a: new Int32Array(n),
    b: new Int32Array(n),
    count: new Float64Array(n),
    confidence: new Float64Array(n),
    lift: new Float64Array(n),
  };
  for (let k = 0; k < n; k++) {
    const p = pairs[k]!;
    packed.a[k] = idOf(p.a);
    packed.b[k] = idOf(p.b);
    packed.count[k] = p.count;
    packed.confidence[k] = p.confidence;
    packed.lift[k] = p.lift;
  }
  return packed;
}

/** The pairs again, equal to those packed, in the same order. */
export function unpackPairs(p: PackedPairs): CoPurchasePair[] {
  const out: CoPurchasePair[] = new Array<CoPurchasePair>(p.a.length);
  for (let k = 0; k < p.a.length; k++) {
    out[k] = {
      a: p.ids[p.a[k]!]!,
      b: p.ids[p.b[k]!]!,
      count: p.count[k]!,
      confidence: p.confidence[k]!,
      lift: p.lift[k]!,
    };
  }
  return out;
}

/**
 * For a server whose co-purchase graph is a database (Neo4j) and already holds the version's pairs:
 * packs `bundle.coPurchase`, empties it in place (the bundle may be referenced elsewhere, and only an
 * emptied array frees the objects), and returns the pairs on demand, for the in-process graph that
 * answers when the database is down (`Recommender` option `modelPairs`).
 */
export function packBundlePairs(bundle: ModelBundle): () => CoPurchasePair[] {
  const packed = packPairs(bundle.coPurchase);
  bundle.coPurchase.length = 0;
  return () => unpackPairs(packed);
}
