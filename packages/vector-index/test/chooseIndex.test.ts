import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CALIBRATION, chooseIndex, createVectorIndex, ivfLists } from '../src/index';

it('keeps exact flat search for the bundled catalogue (about 4k products)', () => {
  for (const size of [0, 1, 3751, 10_000]) {
    const choice = chooseIndex({ size });
    assert.equal(choice.type, 'flat', `size ${size}`);
    assert.deepEqual(choice.params, {});
    assert.equal(choice.meetsTargets, true);
    assert.equal(choice.extrapolated, false);
    assert.equal(choice.expected.recall, 1);
    assert.deepEqual(choice.requirements, {
      size,
      recallTarget: 0.95,
      latencyBudgetMs: 1,
      memoryBudgetMiB: null,
    });
  }
});

it('uses the smallest calibrated size at or above the catalogue, and flags sizes beyond it', () => {
  const sizes = [...new Set(CALIBRATION.map((p) => p.size))].sort((a, b) => a - b);
  assert.ok(sizes.length >= 3 && sizes.at(-1)! >= 1_000_000, `calibrated at ${sizes.join(', ')}`);
  assert.equal(chooseIndex({ size: sizes[0]! + 1 }).calibratedAt, sizes[1]);
  const beyond = chooseIndex({ size: 50_000_000 });
  assert.equal(beyond.calibratedAt, sizes.at(-1));
  assert.equal(beyond.extrapolated, true);
  assert.match(beyond.reason, /extrapolated from \d+ vectors/);
});

it('leaves flat search when it no longer fits the latency budget, and meets recall first', () => {
  const choice = chooseIndex({ size: 1_000_000 });
  assert.notEqual(choice.type, 'flat');
  assert.ok(choice.expected.recall >= 0.95, JSON.stringify(choice));
  // at 1M no setting reaching the recall target fits 1 ms: recall wins, and the missed budget is said
  assert.equal(choice.meetsTargets, false, JSON.stringify(choice));
  assert.match(choice.reason, /latency budget/);
  // A looser recall target is met within 1 ms by an approximate index at 100k vectors.
  const loose = chooseIndex({ size: 100_000, recallTarget: 0.8 });
  assert.equal(loose.meetsTargets, true, JSON.stringify(loose));
  assert.ok(loose.expected.p99Ms <= 1 && loose.expected.recall >= 0.8);
  // A generous budget at a small catalogue stays exact.
  assert.equal(chooseIndex({ size: 100_000, latencyBudgetMs: 100 }).type, 'flat');
});

it('at 1M picks IVF4096,PQ32 with exact re-ranking, the fastest measured setting reaching 0.95 (issue 7)', () => {
  const choice = chooseIndex({ size: 1_000_000 });
  assert.equal(choice.type, 'ivf-pq');
  assert.deepEqual(choice.params, { nlist: 4096, pqM: 32, nprobe: 512, refine: 2 });
  assert.ok(choice.expected.recall >= 0.95);
  // No measured 1M setting reaches recall 0.95 within 1 ms: the latency budget is not met, and said so.
  const reaching = CALIBRATION.filter((p) => p.size === 1_000_000 && p.recall >= 0.95);
  assert.ok(reaching.length > 0 && reaching.every((p) => p.p99Ms > 1));
  assert.equal(choice.meetsTargets, false);
  assert.match(choice.reason, /no calibrated setting meets the latency budget/);
  // Below 1M the lists keep their calibrated multiple of sqrt(n) (4 x 512 at 500k), nprobe its share.
  assert.deepEqual(chooseIndex({ size: 500_000 }).params, { nlist: 2048, pqM: 32, nprobe: 256, refine: 2 });
});

it('picks compressed IVF-PQ when only it fits the memory budget (50M products in 4 GiB)', () => {
  const choice = chooseIndex({ size: 50_000_000, memoryBudgetMiB: 4096, recallTarget: 0.5 });
  assert.equal(choice.type, 'ivf-pq');
  assert.ok(choice.expected.memoryMiB <= 4096);
  assert.equal(choice.params.nlist, ivfLists(50_000_000));
  assert.ok(choice.params.nprobe! >= 1 && choice.params.nprobe! <= choice.params.nlist!);
  // Nothing fits a tiny budget: the smallest index, said so.
  const none = chooseIndex({ size: 50_000_000, memoryBudgetMiB: 1 });
  assert.equal(none.meetsTargets, false);
  assert.match(none.reason, /nothing fits the memory budget/);
});

it('is monotone in the recall target and deterministic', () => {
  let previous = 0;
  for (const recallTarget of [0.5, 0.8, 0.9, 0.95, 0.99]) {
    const choice = chooseIndex({ size: 1_000_000, recallTarget });
    assert.ok(choice.expected.recall >= Math.min(previous, recallTarget), `${recallTarget}`);
    previous = choice.expected.recall;
    assert.deepEqual(chooseIndex({ size: 1_000_000, recallTarget }), choice);
  }
});

it('returns settings createVectorIndex accepts', () => {
  for (const size of [1000, 100_000, 1_000_000, 50_000_000]) {
    for (const recallTarget of [0.5, 0.95]) {
      const { type, params } = chooseIndex({ size, recallTarget });
      assert.doesNotThrow(() => createVectorIndex({ backend: 'faiss', dim: 64, type, ...params }));
    }
  }
});

it('refuses invalid requirements', () => {
  assert.throws(() => chooseIndex({ size: -1 }), /size must be an integer >= 0; received -1/);
  assert.throws(() => chooseIndex({ size: 1.5 }), /received 1\.5/);
  assert.throws(() => chooseIndex({ size: 10, recallTarget: 1.5 }), /recallTarget must be in \(0, 1\]/);
  assert.throws(() => chooseIndex({ size: 10, latencyBudgetMs: 0 }), /latencyBudgetMs must be > 0/);
  assert.throws(() => chooseIndex({ size: 10, memoryBudgetMiB: -5 }), /memoryBudgetMiB must be > 0/);
});
