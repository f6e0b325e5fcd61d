/**
 * `npm start`: the main job. Trains a model on the bundled Online Retail data (unless --no-train and
 * a model is already promoted), starts the three subgraphs and the gateway as child processes, waits
 * until the gateway reports ready, prints the URL and a ready-to-paste query, and stops everything
 * on Ctrl-C. Uses Redis / Neo4j when REDIS_URL / NEO4J_URI are set, embedded defaults otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { devCredentials } from './devEnv';
import { redactRedisUrl } from '@recs/core';

const root = join(import.meta.dirname, '..');
const args = new Set(process.argv.slice(2));
const unknown = [...args].filter((a) => a !== '--no-train');
if (unknown.length > 0) {
  // a typo such as --no-trian must not silently retrain
  console.error(`start: unknown argument(s) ${unknown.join(' ')}; usage: npm start [-- --no-train]`);
  process.exit(2);
}
const env = process.env;
const registry = env.MODEL_REGISTRY_DIR ?? join(root, 'var', 'models');
const dataset =
  env.DATASET_FILE ?? join(root, 'data', 'online-retail', 'online_retail_until_2011-11-09.csv.gz');
const until = env.TRAIN_UNTIL ?? '2011-11-09';
const creds = devCredentials(root);
const gatewayPort = env.GATEWAY_PORT ?? '4000';

const childEnv: NodeJS.ProcessEnv = {
  RECS_ENV: 'development',
  GATEWAY_SECRET: creds.GATEWAY_SECRET,
  JWT_SECRET: creds.JWT_SECRET,
  API_KEYS: `dev-service:service:${creds.API_KEY_SERVICE},dev-admin:admin:${creds.API_KEY_ADMIN}`,
  ...env,
  MODEL_REGISTRY_DIR: registry,
  APOLLO_TELEMETRY_DISABLED: '1',
  OMP_WAIT_POLICY: 'passive',
};

const children: ChildProcess[] = [];
let stopping = false;

function run(name: string, script: string, extra: string[] = []): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, script), ...extra], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping && script.endsWith('main.ts')) {
      console.error(`start: ${name} exited (${signal ?? code}); stopping the rest`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

async function stop(code: number): Promise<never> {
  stopping = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) =>
      c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)),
    ),
  );
  process.exit(code);
}
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

const promoted = existsSync(join(registry, 'CURRENT'));
if (!args.has('--no-train') || !promoted) {
  console.log(`start: training on ${dataset} (data before ${until})`);
  const trainer = run('train', 'pipeline/src/cli.ts', [
    'train',
    '--dataset',
    'online-retail',
    '--input',
    dataset,
    '--until',
    until,
    '--registry',
    registry,
  ]);
  const code: number = await new Promise((r) => trainer.once('exit', (c) => r(c ?? 1)));
  if (code !== 0) {
    console.error(`start: training failed (exit ${code})`);
    process.exit(code);
  }
  children.length = 0;
}

console.log(
  `start: backends: ${env.REDIS_URL ? `Redis ${redactRedisUrl(env.REDIS_URL)}` : 'embedded cache and feature store (REDIS_URL unset)'}`,
);
run('recommendations', 'subgraphs/recommendations/src/main.ts');
run('features', 'subgraphs/features/src/main.ts');
run('experiments', 'subgraphs/experiments/src/main.ts');
run('gateway', 'gateway/src/main.ts');

const base = `http://127.0.0.1:${gatewayPort}`;
const deadline = Date.now() + 120_000;
for (;;) {
  try {
    if ((await fetch(`${base}/ready`)).ok) break;
  } catch {
    // not listening yet
  }
  if (Date.now() > deadline) {
    console.error('start: the gateway did not become ready within 120 s');
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

const example = JSON.stringify({
  query:
    'query { user(id: "17850") { recommendations(surface: CART, limit: 5, context: { cartProductIds: ["85123A", "71053"] }) { requestId modelVersion items { product { id features { observedTitle } } score position reason reasonCode } } } }',
});
console.log(`
Gateway ready: ${base}/graphql   (Explorer: open it in a browser; add the header x-api-key)
Service API key: ${creds.API_KEY_SERVICE}   (admin key and secrets in var/dev-credentials.json)

Try:
curl -s ${base}/graphql -H 'content-type: application/json' -H 'x-api-key: ${creds.API_KEY_SERVICE}' \\
  -d '${example}'

Ctrl-C stops everything.`);
