import { constants } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SourceFormatError } from '../ingest/csv';
import { compareWithReal, fitOnlineRetail, renderParams } from './fit';
import { FITTED } from './params';
import { writeSyntheticOnlineRetail } from './generate';

/**
 * Synthetic Online Retail data:
 *   synth --products N [--events N] [--seed S] --out FILE[.gz]
 *   synth fit [--input FILE] [--write]
 *   synth stats [--products N --events N] [--seed S]   (generated vs real statistics, a Markdown table)
 * Exit codes: 0 ok, 2 usage (bad flag or value, a size above its limit, an --out that cannot be
 * written), 3 input missing or not an Online Retail file.
 */
const REAL_FILE = 'data/online-retail/online_retail_until_2011-11-09.csv.gz';
/** Lines per product in the real file (434,698 / 3,751). */
const REAL_LINES_PER_PRODUCT = 116;
/**
 * Sizes the generator is run at. It holds O(products + invoices) numbers: 5M products and 100M lines
 * take about 400 MB and 7 s before the first line (and a million products and ten million lines 51 s
 * in all); far beyond, its arrays overflow or the process runs out of memory. `stats` keeps every
 * generated invoice in memory, so it stops ten times earlier.
 */
const MAX_PRODUCTS = 5_000_000;
const MAX_EVENTS = 100_000_000;
const MAX_STATS_EVENTS = 10_000_000;
const USAGE = `usage:
  synth --products N [--events N (default 116 x products, the real ratio)] [--seed 1] --out FILE[.gz]
  synth fit [--input ${REAL_FILE}] [--write]
  synth stats [--products N --events N (default: the real sizes)] [--seed 1]
limits: --products 10..${MAX_PRODUCTS.toLocaleString('en')}, --events 1..${MAX_EVENTS.toLocaleString('en')} (stats: ${MAX_STATS_EVENTS.toLocaleString('en')})`;

class UsageError extends Error {}
/** A failure reported with its own exit code and no usage text. */
class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

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
  const command = positionals[0];
  if (command !== undefined && command !== 'fit' && command !== 'stats')
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const extra = positionals.slice(command === undefined ? 0 : 1);
  if (extra.length > 0)
    throw new UsageError(`unexpected argument(s) ${extra.map((a) => JSON.stringify(a)).join(' ')}`);
  if (command === 'fit') {
    const input = resolve(values.input!);
    try {
      await access(input);
    } catch {
      throw new ExitError(`input file not found: ${input}`, 3);
    }
    const params = await fitOnlineRetail(input, (line) => console.error(`[fit] ${line}`));
    const cmd = `node --import tsx pipeline/src/synthetic/cli.ts fit --input ${values.input} --write`;
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
    const source = renderParams(params, cmd, header + '\n');
    await writeFile(file, await prettier.format(source, { ...options, filepath: file.pathname }));
    console.error(`[fit] wrote ${file.pathname}`);
    return 0;
  }
  const seed = integer('--seed', values.seed!, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (command === 'stats') {
    const products =
      values.products === undefined
        ? FITTED.targets.products
        : integer('--products', values.products, 10, MAX_PRODUCTS);
    const events =
      values.events === undefined
        ? FITTED.targets.lines
        : integer(
            '--events',
            values.events,
            1,
            MAX_STATS_EVENTS,
            ' for stats (it keeps every invoice in memory)',
          );
    console.log(`| statistic | real | synthetic (${products} products, ${events} lines, seed ${seed}) |`);
    console.log('|---|---|---|');
    for (const row of compareWithReal(FITTED, products, events, seed)) {
      console.log(`| ${row.statistic} | ${row.real} | ${row.synthetic} |`);
    }
    return 0;
  }
  if (values.products === undefined) throw new UsageError('--products N is required');
  const products = integer('--products', values.products, 10, MAX_PRODUCTS);
  let events: number;
  if (values.events === undefined) {
    events = products * REAL_LINES_PER_PRODUCT;
    if (events > MAX_EVENTS)
      throw new UsageError(
        `--events defaults to ${REAL_LINES_PER_PRODUCT} x --products = ${events.toLocaleString('en')}, above its limit ${MAX_EVENTS.toLocaleString('en')}; pass --events`,
      );
  } else events = integer('--events', values.events, 1, MAX_EVENTS);
  if (!values.out) throw new UsageError('--out FILE is required');
  const out = resolve(values.out);
  const outProblem = await outputProblem(out);
  if (outProblem) throw new UsageError(`--out ${values.out}: ${outProblem}`);
  const t0 = Date.now();
  let summary;
  try {
    summary = await writeSyntheticOnlineRetail(out, { products, events, seed });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || !code.startsWith('E')) throw err;
    throw new ExitError(`cannot write ${out}: ${(err as Error).message}`, 1);
  }
  console.log(JSON.stringify({ out: values.out, seed, ...summary, seconds: (Date.now() - t0) / 1000 }));
  return 0;
}

/** `text` as an integer in [min, max], or a {@link UsageError} naming the flag and the limit. */
function integer(flag: string, text: string, min: number, max: number, why = ''): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n))
    throw new UsageError(`${flag} must be an integer; received ${JSON.stringify(text)}`);
  if (n < min) throw new UsageError(`${flag} must be at least ${min}; received ${JSON.stringify(text)}`);
  if (n > max)
    throw new UsageError(
      `${flag} must be at most ${max.toLocaleString('en')}${why}; received ${JSON.stringify(text)}`,
    );
  return n;
}

/** Why the generated file cannot be written at `path`, checked before the generator runs. */
async function outputProblem(path: string): Promise<string | undefined> {
  try {
    if ((await stat(path)).isDirectory()) return `${path} is a directory; give a file name`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR')
      return `${path} cannot be accessed (${(err as Error).message})`;
  }
  const dir = dirname(path);
  try {
    if (!(await stat(dir)).isDirectory()) return `${dir} is not a directory`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `directory ${dir} does not exist`;
    if (code === 'ENOTDIR') return `${dir} is not a directory (a part of the path is a file)`;
    return `${dir} cannot be accessed (${(err as Error).message})`;
  }
  try {
    await access(dir, constants.W_OK);
  } catch (err) {
    return `directory ${dir} is not writable (${(err as Error).message})`;
  }
  return undefined;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    if (
      err instanceof UsageError ||
      (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      console.error(`error: ${err.message}\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof ExitError) {
      console.error(`error: ${err.message}`);
      process.exitCode = err.exitCode;
    } else if (err instanceof SourceFormatError) {
      console.error(`error: ${err.message}`);
      process.exitCode = 3;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
