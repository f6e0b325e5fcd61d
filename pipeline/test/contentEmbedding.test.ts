import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@recs/core';
import { trainTextModel } from '../src/models/textSimilarity';
import { embedTitle, itemEmbeddings, mapToAls, trainContentEmbedding } from '../src/models/contentEmbedding';
import { symmetricEigen } from '../src/models/denseLinearAlgebra';
import type { AlsModel } from '../src/models/als';

const COLOURS = ['RED', 'PINK', 'BLUE', 'GREEN', 'IVORY', 'BLACK'];
const FAMILIES = ['JUMBO BAG', 'LUNCH BOX', 'TEA TOWEL', 'PARTY BUNTING'];
/** Titles "<family> <colour> <pattern>": four families, each a clear text cluster. */
const TITLES = FAMILIES.flatMap((family) =>
  COLOURS.flatMap((c) => ['RETROSPOT', 'POLKADOT'].map((p) => `${family} ${c} ${p}`)),
);

describe('symmetric eigen-decomposition', () => {
  it('gives A = V diag(λ) Vᵀ with λ descending', () => {
    const a = [4, 1, 2, 1, 3, 0, 2, 0, 5];
    const { values, vectors } = symmetricEigen(a, 3);
    assert.ok(values[0]! >= values[1]! && values[1]! >= values[2]!);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let v = 0;
        for (let k = 0; k < 3; k++) v += vectors[i * 3 + k]! * values[k]! * vectors[j * 3 + k]!;
        assert.ok(Math.abs(v - a[i * 3 + j]!) < 1e-9, `(${i}, ${j})`);
      }
    }
  });
});

describe('content embedding (TF-IDF → randomised SVD) and ridge map to ALS', () => {
  const text = trainTextModel(TITLES);
  const f = 4;
  // ALS item factors that depend only on the family: one-hot of the family
  const itemFactors = new Float32Array(TITLES.length * f);
  TITLES.forEach((_, i) => (itemFactors[i * f + Math.floor(i / 12)] = 1));
  const als: AlsModel = { factors: f, regularization: 1, alpha: 1, itemFactors };
  const emb = trainContentEmbedding(text, als, { dim: 12, ridge: 1e-3 });

  it('embeds a catalogue title exactly as its item row', () => {
    const rows = itemEmbeddings(text, emb);
    for (const i of [0, 7, 30]) {
      const e = embedTitle(text, emb, TITLES[i]!);
      for (let c = 0; c < emb.dim; c++) assert.ok(Math.abs(e[c]! - rows[i * emb.dim + c]!) < 1e-5);
    }
  });

  it('keeps inner products of the TF-IDF vectors (the rank-12 SVD of a rank-12 matrix is exact)', () => {
    const rows = itemEmbeddings(text, emb);
    const random = seededRandom(2);
    for (let t = 0; t < 20; t++) {
      const i = Math.floor(random() * TITLES.length);
      const j = Math.floor(random() * TITLES.length);
      let dense = 0;
      for (let c = 0; c < emb.dim; c++) dense += rows[i * emb.dim + c]! * rows[j * emb.dim + c]!;
      let sparse = 0;
      text.terms[i]!.forEach((term, a) => {
        const b = text.terms[j]!.indexOf(term);
        if (b >= 0) sparse += text.weights[i]![a]! * text.weights[j]![b]!;
      });
      assert.ok(Math.abs(dense - sparse) < 1e-4, `pair (${i}, ${j}): ${dense} vs ${sparse}`);
    }
  });

  it('maps an unseen title of a known family onto that family’s ALS vector', () => {
    for (const [family, k] of FAMILIES.map((fam, k) => [fam, k] as const)) {
      const v = mapToAls(emb, embedTitle(text, emb, `${family} ORANGE STRIPES`));
      const best = [...v].indexOf(Math.max(...v));
      assert.equal(best, k, `${family}: ${[...v].map((x) => x.toFixed(2)).join(' ')}`);
    }
  });
});
