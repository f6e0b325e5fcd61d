import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { composeSupergraph } from './compose';
import { unallowedBreakingChanges, type AllowedBreakingChange } from './breakingChanges';
import { invalidOperations } from './operations';
import { ALLOW_LIST_FILE, API_SCHEMA_FILE, OPERATIONS_DIR, REPO_ROOT, SUPERGRAPH_FILE } from './paths';
import { readSupergraphConfig } from './supergraphConfig';

/**
 * `npm run schema:check`. Fails (exit 1) when:
 * 1. the subgraphs do not compose;
 * 2. the committed supergraph or API schema differ from a fresh composition (run `npm run compose`);
 * 3. the API schema breaks clients relative to the baseline (the committed API schema at git ref
 *    SCHEMA_BASE_REF, default: the parent commit when the working tree is clean, else HEAD) unless
 *    schema/breaking-changes.allow.json lists the change with a reason;
 * 4. an operation in schema/operations/ no longer validates.
 */
function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

function baselineApiSdl(): { ref: string; sdl: string } | undefined {
  const path = 'schema/api-schema.graphql';
  const dirty = git(['status', '--porcelain', '--', 'schema']);
  const ref = process.env.SCHEMA_BASE_REF ?? (dirty ? 'HEAD' : 'HEAD~1');
  const sdl = git(['show', `${ref}:${path}`]);
  return sdl === undefined ? undefined : { ref, sdl };
}

const problems: string[] = [];
try {
  const c = composeSupergraph(readSupergraphConfig());
  const committed = existsSync(SUPERGRAPH_FILE) ? readFileSync(SUPERGRAPH_FILE, 'utf8') : '';
  if (committed !== c.supergraphSdl)
    problems.push('schema/supergraph.graphql is not a fresh composition: run `npm run compose`');
  const committedApi = existsSync(API_SCHEMA_FILE) ? readFileSync(API_SCHEMA_FILE, 'utf8') : '';
  if (committedApi !== c.apiSdl)
    problems.push('schema/api-schema.graphql is not a fresh composition: run `npm run compose`');
  const allowed = existsSync(ALLOW_LIST_FILE)
    ? (JSON.parse(readFileSync(ALLOW_LIST_FILE, 'utf8')) as AllowedBreakingChange[])
    : [];
  const baseline = baselineApiSdl();
  if (baseline) {
    for (const b of unallowedBreakingChanges(baseline.sdl, c.apiSchema, allowed)) {
      problems.push(`breaking change against ${baseline.ref}: ${b}`);
    }
    console.log(`breaking changes checked against the API schema at ${baseline.ref}`);
  } else {
    console.log('no baseline API schema in git history: breaking-change check skipped (first version)');
  }
  problems.push(...invalidOperations(c.apiSchema, OPERATIONS_DIR));
} catch (err) {
  problems.push((err as Error).message);
}
if (problems.length > 0) {
  for (const p of problems) console.error(`schema check: ${p}`);
  process.exitCode = 1;
} else {
  console.log('schema check passed: composition, committed artefacts, breaking changes, operations');
}
