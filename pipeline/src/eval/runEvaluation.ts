import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readOnlineRetail } from '../ingest/onlineRetail';
import { TrainError, type DatasetName } from '../train';
import { directoryProblem } from '../registry/ModelRegistry';
import { evaluate, type EvaluationResult } from './evaluate';
import { markdownReport, ndcgChart } from './report';

const DAY = 86_400_000;

export interface RunEvaluationOptions {
  dataset: DatasetName;
  input: string;
  /** Cut-offs (shop-local midnight, epoch ms): train before each, test on the `days` after it. */
  cuts: number[];
  days: number;
  k: number;
  outDir: string;
  /** Train and evaluate the learned rankers (default true). */
  ranker?: boolean;
  /**
   * Negative-sample seeds of the rankers (default: `train`'s one). With several, the report has a
   * row per seed and their mean with its spread.
   */
  rankerSeeds?: readonly number[];
  log?: (line: string) => void;
}

/**
 * Product titles as the shop knew them at `cut`: a product sold before it has the title of the rows
 * before it (the test month's descriptions must not reach the content model and the ranker); a product
 * first sold after it has the title it was listed with, read from the test window (the new-products
 * protocol shows that title).
 */
export async function titlesAsOf(
  input: string,
  cut: number,
  later: ReadonlyMap<string, { id: string; title: string }>,
): Promise<Map<string, string>> {
  const titles = new Map([...later.values()].map((c) => [c.id, c.title] as const));
  for (const c of (await readOnlineRetail(input, { until: cut })).catalogue.values())
    titles.set(c.id, c.title);
  return titles;
}

/**
 * The `evaluate` command: for each cut-off, trains every candidate model and the rankers on data
 * strictly before it, runs the CART, PRODUCT, new-product, HOME and new-customer protocols on the following `days`, and
 * writes `report.md`, one SVG chart per cut-off and `summary.json` into `outDir`.
 */
export async function runEvaluation(opts: RunEvaluationOptions): Promise<EvaluationResult[]> {
  const log = opts.log ?? (() => {});
  try {
    await access(opts.input);
  } catch {
    throw new TrainError(`input file not found: ${opts.input}`, 3);
  }
  // before the evaluation (minutes), not after it: an output directory that cannot be written
  const outProblem = await directoryProblem(opts.outDir, { create: false });
  if (outProblem) throw new TrainError(`--out ${opts.outDir} cannot hold the report: ${outProblem}`, 2);
  const lastEnd = Math.max(...opts.cuts) + opts.days * DAY;
  const data = await readOnlineRetail(opts.input, { until: lastEnd });
  const results: EvaluationResult[] = [];
  for (const cut of [...opts.cuts].sort((a, b) => a - b)) {
    const end = cut + opts.days * DAY;
    const iso = new Date(cut).toISOString().slice(0, 10);
    if (
      !data.interactions.some((e) => e.ts < cut) ||
      !data.interactions.some((e) => e.ts >= cut && e.ts < end)
    ) {
      throw new TrainError(`no purchases on both sides of the cut-off ${iso} in ${opts.input}`, 4);
    }
    log(`cut-off ${iso}: training candidate models and rankers`);
    const titles = await titlesAsOf(opts.input, cut, data.catalogue);
    const result = await evaluate(data.interactions, {
      cut,
      end,
      k: opts.k,
      titles,
      ranker: opts.ranker,
      sampleSeeds: opts.rankerSeeds,
      log: (line) => log(`  ${line}`),
    });
    if (result.cases.cart + result.cases.home + result.cases.newCustomers === 0) {
      throw new TrainError(`no evaluation cases in the ${opts.days} days after ${iso}`, 4);
    }
    for (const row of result.rows) {
      log(
        `  ${row.protocol.padEnd(13)} ${row.method.padEnd(46)} HR ${row.hr.toFixed(3)}  NDCG ${row.ndcg.toFixed(3)}`,
      );
    }
    results.push(result);
  }
  const charts = results.map((r) => `ndcg-${r.cut}.svg`);
  try {
    await mkdir(opts.outDir, { recursive: true });
    for (const [i, r] of results.entries()) await writeFile(join(opts.outDir, charts[i]!), ndcgChart(r));
    await writeFile(join(opts.outDir, 'report.md'), markdownReport(results, charts));
    await writeFile(
      join(opts.outDir, 'summary.json'),
      JSON.stringify(
        { dataset: opts.dataset, input: relative(process.cwd(), opts.input), results },
        null,
        2,
      ) + '\n',
    );
  } catch (err) {
    // checked writable above; this is the disk filling up or the directory removed meanwhile
    throw new TrainError(
      `cannot write the report to ${opts.outDir}: ${err instanceof Error ? err.message : String(err)}`,
      1,
    );
  }
  log(`wrote ${join(opts.outDir, 'report.md')}, summary.json and ${charts.length} chart(s)`);
  return results;
}
