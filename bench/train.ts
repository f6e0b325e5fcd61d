/**
 * Benchmark: `train` on the whole bundled Online Retail file, wall time per step and peak memory.
 *   node --import tsx bench/train.ts [--runs N] [--until YYYY-MM-DD]
 * Prints the setup (machine, Node, data, cut-off) with the numbers; results go to docs/benchmarks.md.
 */
import { cpus, totalmem } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseUntil, train } from '@recs/pipeline';

const { values } = parseArgs({ options: { runs: { type: 'string' }, until: { type: 'string' } } });
const runs = Number(values.runs ?? 1);
const untilText = values.until ?? '2011-11-09';
const until = parseUntil(untilText);
if (!Number.isInteger(runs) || runs < 1 || until === undefined) {
  console.error('usage: bench/train.ts [--runs N>=1] [--until YYYY-MM-DD]');
  process.exit(2);
}
const input = resolve(
  import.meta.dirname,
  '..',
  'data',
  'online-retail',
  'online_retail_until_2011-11-09.csv.gz',
);

console.log('# bench/train');
console.log(
  `setup: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
);
console.log(
  `data: data/online-retail/online_retail_until_2011-11-09.csv.gz (whole file), --until ${untilText}, ${runs} run(s), one process`,
);
for (let r = 1; r <= runs; r++) {
  const parent = mkdtempSync(join(tmpdir(), 'recs-bench-train-'));
  const t0 = performance.now();
  try {
    const manifest = await train({
      dataset: 'online-retail',
      input,
      until,
      registryRoot: join(parent, 'models'),
    });
    const wall = (performance.now() - t0) / 1000;
    const steps = Object.entries(manifest.timings ?? {})
      .map(([k, v]) => `${k.replace(/Ms$/, '')} ${(v / 1000).toFixed(1)} s`)
      .join(', ');
    console.log(`run ${r}: wall ${wall.toFixed(1)} s; ${steps}`);
    console.log(
      `run ${r}: ${manifest.metrics.interactions} interactions, ${manifest.metrics.products} products, ` +
        `ranker rows cart ${manifest.metrics.rankerRowsCart} / home ${manifest.metrics.rankerRowsHome}`,
    );
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
