import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseUntil, train } from '@recs/pipeline';

/** The Online Retail file bundled with the repository (real data, CC BY 4.0). */
export const ONLINE_RETAIL_FILE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../data/online-retail/online_retail_until_2011-11-09.csv.gz',
);

let trained: Promise<string> | undefined;

/**
 * A model registry trained on the bundled Online Retail data (cut-off 2011-11-09) and promoted, that
 * tests share read-only. `npm test` trains it once for the whole run and passes it in
 * `RECS_TEST_REGISTRY`; a test file run on its own trains it once per process.
 */
export function trainedRegistry(): Promise<string> {
  const shared = process.env.RECS_TEST_REGISTRY;
  if (shared) return Promise.resolve(shared);
  return trainFresh();
}

/** Trains a new registry (once per process). */
export function trainFresh(): Promise<string> {
  trained ??= (async () => {
    const parent = mkdtempSync(join(tmpdir(), 'recs-registry-'));
    // a trained version holds ~190 MB of matrices: removed when the process that trained it exits
    process.once('exit', () => rmSync(parent, { recursive: true, force: true }));
    const dir = join(parent, 'models');
    await train({
      dataset: 'online-retail',
      input: ONLINE_RETAIL_FILE,
      until: parseUntil('2011-11-09')!,
      registryRoot: dir,
    });
    return dir;
  })();
  return trained;
}
