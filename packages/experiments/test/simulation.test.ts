// The automation's error rates under continuous monitoring, by seeded simulation: users arrive in
// batches, the analysis and decision run after every look (as the experiments subgraph's loop does),
// and the first non-hold decision ends a run. bench/experiments.ts runs the same at full size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { monitoredRun, type Experiment } from '@recs/experiments';
import { seededRandom } from './stats-helpers';

const experiment: Experiment = {
  id: 'sim',
  layer: 'l',
  status: 'RUNNING',
  salt: 's',
  traffic: { from: 0, to: 100 },
  variants: [
    { name: 'A', allocation: 50 },
    { name: 'B', allocation: 50 },
  ],
  automation: { minUsersPerVariant: 1000 },
};

const outcome = (random: () => number, ctrControl: number, ctrTreatment: number, maxUsersPerArm: number) => {
  const { decision } = monitoredRun(random, { experiment, ctrControl, ctrTreatment, maxUsersPerArm });
  return decision.action === 'hold' ? 'hold' : `${decision.action}:${decision.variant}`;
};

test('A/A: looked at after every 1000 users, false promotions and rollbacks stay below alpha = 5%', () => {
  const random = seededRandom(11);
  const runs = 400;
  let wrong = 0;
  for (let r = 0; r < runs; r++) if (outcome(random, 0.1, 0.1, 30_000) !== 'hold') wrong++;
  // a correct 5% test stays below 5% + 3 standard errors of 400 runs (8.3%)
  assert.ok(wrong / runs <= 0.083, `${wrong} of ${runs} A/A runs ended in a decision`);
});

test('a real 10% CTR lift is promoted and a 15% drop rolled back in most runs', () => {
  const random = seededRandom(12);
  const runs = 60;
  let promoted = 0;
  let rolledBack = 0;
  for (let r = 0; r < runs; r++) if (outcome(random, 0.1, 0.11, 60_000) === 'promote:B') promoted++;
  for (let r = 0; r < runs; r++) if (outcome(random, 0.1, 0.085, 60_000) === 'rollback:B') rolledBack++;
  assert.ok(promoted / runs >= 0.8, `promoted in ${promoted} of ${runs} runs`);
  assert.ok(rolledBack / runs >= 0.8, `rolled back in ${rolledBack} of ${runs} runs`);
});
