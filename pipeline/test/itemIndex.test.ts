import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ModelRegistry,
  alsScores,
  foldIn,
  loadBundle,
  loadCandidateModels,
  parseUntil,
  topK,
  train,
} from '@recs/pipeline';
import { writeRetailFile } from './fixtures';

const LINES = [
  '536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
  '536365,71053,LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom',
  '536365,84406B,CREAM CUPID HEARTS COAT HANGER,8,2010-12-01 08:26:00,2.75,17850.0,United Kingdom',
  '536366,85123A,HEART,1,2010-12-05 10:00:00,2.55,13047.0,France',
  '536366,22633,HAND WARMER UNION JACK,6,2010-12-05 10:00:00,1.85,13047.0,France',
  '536367,22086,CHAIN,2,2010-12-06 23:59:00,2.95,12583.0,Germany',
  '536367,71053,LANTERN,2,2010-12-06 23:59:00,3.39,12583.0,Germany',
  '536368,22633,HAND WARMER UNION JACK,3,2010-12-07 11:00:00,1.85,17850.0,United Kingdom',
];

test('a trained version holds the ALS item index; the bundle loads it and it agrees with fold-in scores', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'recs-index-')), 'models');
  const manifest = await train({
    dataset: 'online-retail',
    input: writeRetailFile(LINES),
    until: parseUntil('2010-12-10')!,
    registryRoot: root,
  });
  assert.ok(manifest.vectorIndex, 'the manifest records the chosen structure');
  const bundle = await loadBundle(root, manifest.version);
  assert.ok(bundle.itemIndex, 'the bundle has the item index');
  // FAISS, in the structure the manifest chose: not the exact brute-force scan the build falls back to
  // when the faiss addon does not load (which would pass every search check below just as well)
  assert.equal(bundle.itemIndex.kind, `faiss-${manifest.vectorIndex.type}`);
  const m = await loadCandidateModels(new ModelRegistry(root), manifest.version);
  assert.equal(bundle.itemIndex.size, m.matrix.items.length);
  assert.equal(bundle.itemIndex.dim, m.als.factors);
  // a live cart folded in: the index returns the brute-force top 3 of the same vector (near-ties on
  // this tiny catalogue may swap places, so the scores are compared, and each hit's own score)
  const cart = ['85123A', '71053'].map((id) => m.matrix.index.get(id)!);
  const x = foldIn(m.als, cart);
  const scores = new Float32Array(m.matrix.items.length);
  alsScores(m.als, x, scores);
  const brute = topK(scores, 3).map((i) => scores[i]!);
  const hits = bundle.itemIndex.search(x, 3);
  assert.equal(hits.length, 3);
  hits.forEach((h, k) => {
    assert.ok(Math.abs(h.score - brute[k]!) < 1e-5, `rank ${k}: ${h.score} vs ${brute[k]}`);
    assert.ok(Math.abs(h.score - scores[m.matrix.index.get(h.id)!]!) < 1e-5, h.id);
  });
});
