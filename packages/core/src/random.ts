/**
 * mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). Used wherever a result must be
 * reproducible from a seed (evaluation splits, model initialisation, simulations, test data).
 */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
