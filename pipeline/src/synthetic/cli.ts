import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compareWithReal, fitOnlineRetail, renderParams } from './fit';
import { FITTED } from './params';
import { writeSyntheticOnlineRetail } from './generate';

/**
 * Synthetic Online Retail data:
 *   synth --products N [--events N] [--seed S] --out FILE[.gz]
 *   synth fit [--input FILE] [--write]
 *   synth stats [--products N --events N] [--seed S]   (generated vs real statistics, a Markdown table)
 * Exit codes: 0 ok, 2 usage.
 */
const USAGE = `usage:
  synth --products N [--events N (default 116 x products, the real ratio)] [--seed 1] --out FILE[.gz]
  synth fit [--input data/online-retail/online_retail_until_2011-11-09.csv.gz] [--write]
  synth stats [--products N --events N (default: the real sizes)] [--seed 1]`;
const REAL_FILE = 'data/online-retail/online_retail_until_2011-11-09.csv.gz';
/** Lines per product in the real file (434,698 / 3,751). */
const REAL_LINES_PER_PRODUCT = 116;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      products: { type: 'string' },
      events: { type: 'string' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      input: { type: 'string', default: REAL_FILE },
      write: { type: 'boolean' },
    },
  });
  if (positionals[0] === 'fit') {
    const params = await fitOnlineRetail(resolve(values.input!), (line) => console.error(`[fit] ${line}`));
    const command = `node --import tsx pipeline/src/synthetic/cli.ts fit --input ${values.input} --write`;
    if (!values.write) {
      console.log(JSON.stringify(params, null, 2));
      return 0;
    }
    const file = new URL('./params.ts', import.meta.url);
    const text = await readFile(file, 'utf8');
    const header = text.slice(0, text.search(/^\/\/ (Fitted|Written) by/m)).trimEnd();
    // Formatted like the rest of the repository, so rerunning the fit leaves a clean diff.
    const prettier = await import('prettier');
    const options = await prettier.resolveConfig(file.pathname);
    const source = renderParams(params, command, header + '\n');
    await writeFile(file, await prettier.format(source, { ...options, filepath: file.pathname }));
    console.error(`[fit] wrote ${file.pathname}`);
    return 0;
  }
  if (positionals[0] === 'stats') {
    const products = Number(values.products ?? FITTED.targets.products);
    const events = Number(values.events ?? FITTED.targets.lines);
    console.log(
      `| statistic | real | synthetic (${products} products, ${events} lines, seed ${values.seed}) |`,
    );
    console.log('|---|---|---|');
    for (const row of compareWithReal(FITTED, products, events, Number(values.seed))) {
      console.log(`| ${row.statistic} | ${row.real} | ${row.synthetic} |`);
    }
    return 0;
  }
  if (positionals.length > 0) return usage(`unknown command ${JSON.stringify(positionals[0])}`);
  const products = Number(values.products);
  const events = values.events === undefined ? products * REAL_LINES_PER_PRODUCT : Number(values.events);
  const seed = Number(values.seed);
  if (!Number.isInteger(products) || products < 10) return usage('--products must be an integer >= 10');
  if (!Number.isInteger(events) || events < 1) return usage('--events must be a positive integer');
  if (!Number.isInteger(seed)) return usage('--seed must be an integer');
  if (!values.out) return usage('--out FILE is required');
  const t0 = Date.now();
  const summary = await writeSyntheticOnlineRetail(resolve(values.out), { products, events, seed });
  console.log(JSON.stringify({ out: values.out, seed, ...summary, seconds: (Date.now() - t0) / 1000 }));
  return 0;
}

function usage(message: string): number {
  console.error(`error: ${message}\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
