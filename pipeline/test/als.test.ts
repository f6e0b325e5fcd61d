import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { seededRandom } from '@recs/core';
import { chooseIndex } from '@recs/vector-index';
import {
  alsScores,
  confidence,
  conjugateGradient,
  csrFromRows,
  foldIn,
  regularisedGram,
  trainAls,
  transposeCsr,
} from '../src/models/als';
import { choleskySolve } from '../src/models/denseLinearAlgebra';
import { buildItemIndex, itemIndexArtefacts, loadItemIndex } from '../src/models/itemIndex';
import { topK } from '../src/eval/topK';
import { ModelRegistry } from '../src/registry/ModelRegistry';

/**
 * Planted structure: `groups` disjoint item blocks of `perGroup` items; each user belongs to one group
 * and buys `bought` random items of its block (strength 1..3), nothing outside it.
 */
function planted(users: number, groups: number, perGroup: number, bought: number, seed: number) {
  const random = seededRandom(seed);
  const rows: { items: number[]; values: number[]; group: number }[] = [];
  for (let u = 0; u < users; u++) {
    const group = u % groups;
    const pool = Array.from({ length: perGroup }, (_, k) => group * perGroup + k);
    for (let k = pool.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [pool[k], pool[j]] = [pool[j]!, pool[k]!];
    }
    const items = pool.slice(0, bought).sort((a, b) => a - b);
    rows.push({ items, values: items.map(() => 1 + Math.floor(random() * 3)), group });
  }
  return rows;
}

describe('CSR matrices', () => {
  it('transpose twice gives the matrix back, columns sorted', () => {
    const m = csrFromRows(
      [
        { items: [2, 0], values: [5, 1] },
        { items: [], values: [] },
        { items: [1, 2], values: [3, 4] },
      ],
      3,
    );
    assert.deepEqual([...m.indptr], [0, 2, 2, 4]);
    assert.deepEqual([...m.indices], [0, 2, 1, 2]);
    assert.deepEqual([...m.values], [1, 5, 3, 4]);
    const t = transposeCsr(m);
    assert.deepEqual([...t.indptr], [0, 1, 2, 4]);
    assert.deepEqual([...t.indices], [0, 2, 0, 2]);
    assert.deepEqual([...t.values], [1, 3, 5, 4]);
    assert.deepEqual(transposeCsr(t), m);
  });
});

describe('implicit ALS with conjugate gradient', () => {
  it('CG on the normal equations of one row matches a direct solve to 1e-4', () => {
    const f = 6;
    const random = seededRandom(3);
    const y = Float32Array.from({ length: 20 * f }, () => random() - 0.5);
    const cols = Int32Array.of(1, 4, 7, 12, 19);
    const strengths = [1, 3, 2, 5, 1];
    const conf = strengths.map((r) => confidence(4, r));
    const g = regularisedGram(y, f, 0.5);
    // A = G + Σ (c − 1) y yᵀ, b = Σ c y, solved directly
    const a = Float64Array.from(g);
    const b = new Float64Array(f);
    cols.forEach((c, k) => {
      for (let i = 0; i < f; i++) {
        b[i]! += conf[k]! * y[c * f + i]!;
        for (let j = 0; j < f; j++) a[i * f + j]! += (conf[k]! - 1) * y[c * f + i]! * y[c * f + j]!;
      }
    });
    const direct = choleskySolve(a, b, f);
    const x = new Float64Array(f);
    // in exact arithmetic CG converges in f steps; two more absorb rounding
    conjugateGradient(g, y, cols, conf, 0, cols.length, f, f + 2, x);
    for (let i = 0; i < f; i++) assert.ok(Math.abs(x[i]! - direct[i]!) < 1e-4, `x[${i}]`);
    // and a few steps from zero are not the answer yet, so the check above can fail
    const early = new Float64Array(f);
    conjugateGradient(g, y, cols, conf, 0, cols.length, f, 1, early);
    assert.ok(early.some((v, i) => Math.abs(v - direct[i]!) > 1e-3));
  });

  const rows = planted(120, 4, 15, 6, 1);
  const data = csrFromRows(rows, 60);
  const model = trainAls(data, { factors: 8, iterations: 10, regularization: 0.5, seed: 7 });

  it('recovers a planted block structure: a user’s top unseen items are from their own block', () => {
    let own = 0;
    let total = 0;
    rows.forEach((r, u) => {
      const scores = new Float32Array(60);
      alsScores(model, model.userFactors.subarray(u * 8, (u + 1) * 8), scores);
      for (const i of topK(scores, 5, new Set(r.items))) {
        total++;
        if (Math.floor(i / 15) === r.group) own++;
      }
    });
    assert.ok(own / total > 0.95, `share of own-block recommendations ${own / total}`);
  });

  it('folds in a training user to the trained vector (exactly with exactUsers, closely with CG)', () => {
    const exact = trainAls(data, {
      factors: 8,
      iterations: 10,
      regularization: 0.5,
      seed: 7,
      exactUsers: true,
    });
    for (const u of [0, 17, 63]) {
      const folded = foldIn(exact, rows[u]!.items, rows[u]!.values);
      const trained = exact.userFactors.subarray(u * 8, (u + 1) * 8);
      for (let a = 0; a < 8; a++) assert.ok(Math.abs(folded[a]! - trained[a]!) < 1e-5, `user ${u}[${a}]`);
      const cg = model.userFactors.subarray(u * 8, (u + 1) * 8);
      const viaFold = foldIn(model, rows[u]!.items, rows[u]!.values);
      let diff = 0;
      let norm = 0;
      for (let a = 0; a < 8; a++) {
        diff += (cg[a]! - viaFold[a]!) ** 2;
        norm += viaFold[a]! ** 2;
      }
      assert.ok(Math.sqrt(diff / norm) < 0.05, `user ${u}: CG vector within 5% of the fold-in`);
    }
    // duplicates merge and out-of-catalogue indices are ignored
    const a = foldIn(model, [3, 3, 99], [1, 2, 5]);
    const b = foldIn(model, [3], [3]);
    assert.deepEqual(a, b);
  });

  it('is reproducible from its seed and changes with it', () => {
    const again = trainAls(data, { factors: 8, iterations: 10, regularization: 0.5, seed: 7 });
    assert.deepEqual(again.itemFactors, model.itemFactors);
    const other = trainAls(data, { factors: 8, iterations: 10, regularization: 0.5, seed: 8 });
    assert.notDeepEqual(other.itemFactors, model.itemFactors);
  });

  it('the item index returns the brute-force top-k, also after a registry round trip', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `P${String(i).padStart(3, '0')}`);
    const choice = chooseIndex({ size: 60 });
    const index = buildItemIndex(ids, model.itemFactors, 8, choice);
    // a FAISS index of the chosen structure, not the brute-force fallback of a missing faiss addon
    assert.equal(index.kind, `faiss-${choice.type}`);
    const registry = new ModelRegistry(join(mkdtempSync(join(tmpdir(), 'recs-als-')), 'models'));
    const manifest = await registry.publish(await itemIndexArtefacts(index), {
      dataset: 'test',
      input: '-',
      dataRange: { from: '2011-01-01', to: '2011-01-02' },
      until: '2011-01-03',
      metrics: {},
      cleaning: {},
    });
    const loaded = await loadItemIndex(registry, manifest.version);
    assert.ok(loaded, 'the version holds an index');
    assert.equal(loaded.kind, index.kind);
    for (const u of [0, 1, 2, 3, 50]) {
      const x = foldIn(model, rows[u]!.items, rows[u]!.values);
      const scores = new Float32Array(60);
      alsScores(model, x, scores);
      const brute = topK(scores, 10).map((i) => ids[i]!);
      for (const idx of [index, loaded]) {
        const hits = idx.search(x, 10);
        assert.deepEqual(
          hits.map((h) => h.id),
          brute,
          `user ${u} on ${idx.kind}`,
        );
        hits.forEach((h, k) => assert.ok(Math.abs(h.score - scores[ids.indexOf(brute[k]!)]!) < 1e-4));
      }
    }
  });
});
