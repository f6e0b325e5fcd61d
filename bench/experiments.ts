/**
 * Benchmark: the experiment framework's statistics and its path through the real API.
 *   node --import tsx bench/experiments.ts [--aa-runs N] [--power-runs N] [--users N] [--seed S]
 * (1) Error rates of the automation under continuous monitoring, by seeded simulation of the same
 *     analysis and decision code the experiments subgraph runs (a look after every 1000 users, up to
 *     40,000 per arm, base CTR 10%): the share of A/A runs that end in any decision (must stay <= alpha),
 *     and the share of runs promoting a true +10% lift / rolling back a true -10% drop (power).
 * (2) One full run through the gateway: `--users` seeded shoppers (default 40,000) ask for HOME lists
 *     of a running experiment (true CTR 10% vs 11%), click and buy with known rates, events carry the
 *     list's requestId; the automation runs every 2,000 shoppers. Reports what was served and attributed,
 *     the decision and when it came, and the request rate. Starts a private Redis.
 * Prints the setup with the numbers; results go to docs/benchmarks.md ("Experiments").
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { seededRandom } from '@recs/core';
import { monitoredRun, type Experiment } from '@recs/experiments';
import { simulateShoppers, startStack } from '@recs/testkit';
import { startRedis } from '@recs/testkit/services';

const { values } = parseArgs({
  options: {
    'aa-runs': { type: 'string' },
    'power-runs': { type: 'string' },
    users: { type: 'string' },
    seed: { type: 'string' },
  },
});
const AA_RUNS = Number(values['aa-runs'] ?? 2000);
const POWER_RUNS = Number(values['power-runs'] ?? 500);
const USERS = Number(values.users ?? 40_000);
const SEED = Number(values.seed ?? 1);
if (![AA_RUNS, POWER_RUNS, USERS, SEED].every((n) => Number.isInteger(n) && n >= 0)) {
  console.error(
    'usage: bench/experiments.ts [--aa-runs N] [--power-runs N] [--users N] [--seed S] (integers)',
  );
  process.exit(2);
}

console.log(
  `# experiments bench: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, seed ${SEED}`,
);

// (1) statistics under continuous monitoring
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
function rates(label: string, runs: number, ctrTreatment: number, wanted: string) {
  const random = seededRandom(SEED * 7919 + Math.round(ctrTreatment * 1e4));
  const tally: Record<string, number> = {};
  const users: number[] = [];
  const started = Date.now();
  for (let r = 0; r < runs; r++) {
    const run = monitoredRun(random, { experiment, ctrControl: 0.1, ctrTreatment, maxUsersPerArm: 40_000 });
    const key = run.decision.action === 'hold' ? 'hold' : `${run.decision.action}:${run.decision.variant}`;
    tally[key] = (tally[key] ?? 0) + 1;
    if (key === wanted) users.push(run.usersPerArm);
  }
  users.sort((a, b) => a - b);
  const share = (tally[wanted] ?? 0) / runs;
  const se = Math.sqrt((share * (1 - share)) / runs);
  console.log(
    `${label.padEnd(34)} runs ${String(runs).padStart(5)}  ${wanted.padEnd(11)} ${(100 * share).toFixed(1).padStart(5)}% ± ${(196 * se).toFixed(1)}  ` +
      `median users/arm at decision ${users[Math.floor(users.length / 2)] ?? '-'}  all: ${JSON.stringify(tally)}  (${Date.now() - started} ms)`,
  );
}
console.log(
  '## (1) automation error rates: base CTR 10%, look every 1000 users, stop at 40,000 per arm, alpha 0.05',
);
if (AA_RUNS > 0) {
  const random = seededRandom(SEED);
  let decided = 0;
  for (let r = 0; r < AA_RUNS; r++) {
    const run = monitoredRun(random, {
      experiment,
      ctrControl: 0.1,
      ctrTreatment: 0.1,
      maxUsersPerArm: 40_000,
    });
    if (run.decision.action !== 'hold') decided++;
  }
  const share = decided / AA_RUNS;
  console.log(
    `${'A/A (no difference)'.padEnd(34)} runs ${String(AA_RUNS).padStart(5)}  any decision ${(100 * share).toFixed(2)}% ± ${(196 * Math.sqrt((share * (1 - share)) / AA_RUNS)).toFixed(2)} (must be <= 5%)`,
  );
}
if (POWER_RUNS > 0) {
  rates('true lift +10% (10% -> 11%)', POWER_RUNS, 0.11, 'promote:B');
  rates('true drop -10% (10% -> 9%)', POWER_RUNS, 0.09, 'rollback:B');
}

// (2) through the gateway
if (USERS > 0) {
  const redis = await startRedis({});
  const stack = await startStack({ redisUrl: redis.url, cacheTtlSeconds: 30 });
  try {
    const admin = { 'x-api-key': stack.adminKey };
    const save = await stack.query(
      {
        query: 'mutation ($input: ExperimentInput!) { saveExperiment(input: $input) { id } }',
        variables: {
          input: {
            id: 'bench-lift',
            layer: 'bench',
            status: 'RUNNING',
            surfaces: ['HOME'],
            variants: [
              { name: 'control', allocation: 50 },
              {
                name: 'treatment',
                allocation: 50,
                config: { sourceWeights: [{ source: 'popularity', weight: 1.2 }] },
              },
            ],
            automation: { minUsersPerVariant: 1000, maxLatencyP95Ms: 5000 },
          },
        },
      },
      admin,
    );
    if (save.body.errors) throw new Error(JSON.stringify(save.body.errors));
    await new Promise((r) => setTimeout(r, 500));
    console.log(
      `## (2) through the gateway: ${USERS} shoppers, HOME lists, true CTR control 10% / treatment 11%, purchase 30% of clicks, 8 concurrent clients, automation every 2000 shoppers`,
    );
    const served: Record<string, number> = {};
    const clicks: Record<string, number> = {};
    let failed = 0;
    let decision = 'hold';
    let decidedAt = 0;
    const started = Date.now();
    for (let done = 0; done < USERS && decision === 'hold'; done += 2000) {
      const chunk = await simulateShoppers(stack, {
        users: Math.min(2000, USERS - done),
        seed: SEED * 1000 + done / 2000,
        clickRate: { control: 0.1, treatment: 0.11 },
        userPrefix: 'bench',
      });
      for (const [k, v] of Object.entries(chunk.served)) served[k] = (served[k] ?? 0) + v;
      for (const [k, v] of Object.entries(chunk.clicks)) clicks[k] = (clicks[k] ?? 0) + v;
      failed += chunk.failedRequests;
      // let the consumer group attribute the chunk's last events before deciding
      await new Promise((r) => setTimeout(r, 300));
      const auto = await stack.query(
        { query: 'mutation { runExperimentAutomation { experimentId action variant reason } }' },
        admin,
      );
      const d = (
        auto.body.data?.runExperimentAutomation as
          { experimentId: string; action: string; variant: string | null; reason: string }[] | undefined
      )?.find((x) => x.experimentId === 'bench-lift');
      if (d && d.action !== 'hold') {
        decision = `${d.action}:${d.variant} (${d.reason})`;
        decidedAt = done + 2000;
      }
    }
    const ms = Date.now() - started;
    const res = await stack.query({
      query:
        '{ experimentResults(id: "bench-lift") { variants { name users exposures clicks clickUsers purchases revenue ctr } } }',
    });
    const shoppers = Object.values(served).reduce((s, n) => s + n, 0);
    console.log(
      `served ${JSON.stringify(served)}  clicks sent ${JSON.stringify(clicks)}  failed requests ${failed}`,
    );
    console.log(`attributed ${JSON.stringify(res.body.data?.experimentResults ?? res.body.errors)}`);
    console.log(
      `decision: ${decision}${decidedAt ? ` after ${decidedAt} shoppers` : ''}; ${shoppers} shoppers in ${(ms / 1000).toFixed(1)} s = ${((shoppers * 1000) / ms).toFixed(0)} lists/s (plus their events)`,
    );
  } finally {
    await stack.stop();
    await redis.stop();
  }
}
