/**
 * `npm test`: everything CI runs, in order, failing fast on the static checks:
 *   typecheck, lint, format check, schema check, then every test file (unit, contract, end-to-end)
 *   with ONE real Redis and ONE real Neo4j started here on free ports and stopped at the end, also
 *   when tests fail or the run is interrupted.
 * Test files find the services through RECS_TEST_REDIS_URL / RECS_TEST_NEO4J_* and the model registry
 * trained once for the run through RECS_TEST_REGISTRY (all read by @recs/testkit).
 * Pass file paths to run only those test files (static checks are then skipped).
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startNeo4j, startRedis } from '@recs/testkit/services';
import { trainFresh } from '@recs/testkit/registry';

const root = join(import.meta.dirname, '..');
const SKIP = new Set(['node_modules', 'var', '.git', 'launcher']);

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out.sort();
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function step(name: string, cmd: string, args: string[]): Promise<void> {
  const t = Date.now();
  console.log(`\n== ${name}`);
  const code = await run(cmd, args);
  if (code !== 0) {
    console.error(`== ${name} failed (exit ${code})`);
    process.exit(code);
  }
  console.log(`== ${name} ok (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}

const only = process.argv.slice(2);
if (only.length === 0) {
  await step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  await step('lint', 'npx', ['eslint', '.']);
  await step('format', 'npx', ['prettier', '--check', '.']);
  await step('schema check', 'node', ['--import', 'tsx', 'schema/src/check-cli.ts']);
}

console.log('\n== starting Redis and Neo4j for the tests');
const redis = await startRedis({ appendOnly: true });
let neo4j: Awaited<ReturnType<typeof startNeo4j>> | undefined;
let stopped = false;
const stopAll = async () => {
  if (stopped) return;
  stopped = true;
  await Promise.allSettled([redis.stop(), neo4j?.stop()]);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().then(() => process.exit(130)));
}
let code = 1;
try {
  neo4j = await startNeo4j();
  console.log(`redis ${redis.url} (pid ${redis.pid}); neo4j ${neo4j.uri} (pid ${neo4j.pid})`);
  const files = only.length > 0 ? only : findTests(root);
  const t0 = Date.now();
  const registry = await trainFresh();
  console.log(`== trained the shared test model registry in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`== tests: ${files.length} files`);
  code = await run(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
    {
      ...process.env,
      RECS_TEST_REDIS_URL: redis.url,
      RECS_TEST_NEO4J_URI: neo4j.uri,
      RECS_TEST_NEO4J_USER: neo4j.user,
      RECS_TEST_NEO4J_PASSWORD: neo4j.password,
      RECS_TEST_REGISTRY: registry,
      // OpenMP threads spin while waiting by default, starving the other core on a 2-core machine.
      OMP_WAIT_POLICY: 'passive',
    },
  );
} finally {
  await stopAll();
}
process.exit(code);
