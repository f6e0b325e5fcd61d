import { mkdtempSync } from 'node:fs';
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
 * A model registry trained once per test process on the bundled Online Retail data (cut-off
 * 2011-11-09) and promoted. Tests share it read-only.
 */
export function trainedRegistry(): Promise<string> {
  trained ??= (async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'recs-registry-')), 'models');
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
