import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { readOnlineRetail } from '../src/ingest/onlineRetail';
import { ModelRegistry } from '../src/registry/ModelRegistry';
import { parseUntil, train } from '../src/train';
import { ruleCategory } from '../src/ingest/taxonomy';
import { SyntheticShop, writeSyntheticOnlineRetail } from '../src/synthetic/generate';
import { syntheticBaskets } from '../src/synthetic/fit';
import { FITTED } from '../src/synthetic/params';
import {
  coOccurrenceHitRate,
  productBasketCounts,
  quantiles,
  repeatShare,
  topShares,
  userLineCounts,
} from '../src/synthetic/stats';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'recs-synthetic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const { targets } = FITTED;
const share = (fractions: number[], values: number[], fraction: number) =>
  values[fractions.indexOf(fraction)]!;

describe('synthetic Online Retail data', () => {
  it('is deterministic: the same seed gives byte-identical gzip files, another seed another file', async (t) => {
    const dir = await tempDir(t);
    const opts = { products: 2000, events: 30_000, seed: 7 };
    const a = await writeSyntheticOnlineRetail(join(dir, 'a.csv.gz'), opts);
    const b = await writeSyntheticOnlineRetail(join(dir, 'b.csv.gz'), opts);
    await writeSyntheticOnlineRetail(join(dir, 'c.csv.gz'), { ...opts, seed: 8 });
    assert.deepEqual(a, b);
    const [bytesA, bytesB, bytesC] = await Promise.all(
      ['a', 'b', 'c'].map((name) => readFile(join(dir, `${name}.csv.gz`))),
    );
    assert.ok(bytesA!.equals(bytesB!), 'same seed, same bytes');
    assert.ok(!bytesA!.equals(bytesC!), 'another seed, other bytes');
  });

  it('parses with the Online Retail adapter: every row accepted, exact event count, categories from rules', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'synthetic.csv.gz');
    const summary = await writeSyntheticOnlineRetail(file, { products: 3000, events: 50_000, seed: 3 });
    const data = await readOnlineRetail(file);
    assert.equal(data.report.rowsRead, 50_000);
    assert.equal(data.report.accepted, 50_000, JSON.stringify(data.report));
    assert.equal(new Set(data.interactions.map((e) => e.basketId)).size, summary.invoices);
    assert.ok(data.catalogue.size <= 3000 && data.catalogue.size > 2000, `${data.catalogue.size} products`);
    const guests = new Set(data.interactions.filter((e) => e.userId === null).map((e) => e.basketId));
    assert.equal(guests.size, summary.guestInvoices);
    assert.ok(Math.abs(guests.size / summary.invoices - FITTED.guestInvoiceShare) < 0.03);
    // Titles carry a head noun the taxonomy rules know, so no product falls back to similar titles.
    for (const entry of data.catalogue.values()) assert.notEqual(entry.category, 'other', entry.title);
    const countries = new Set(data.interactions.map((e) => e.country));
    assert.ok(countries.has('GB') && countries.has('DE') && !countries.has(null));
    assert.equal(summary.from.slice(0, 10) >= FITTED.calendar.start, true);
    assert.equal(summary.to.slice(0, 10) < FITTED.calendar.end, true);
    // No invoice on a Saturday, as in the real data.
    assert.ok(data.interactions.every((e) => new Date(e.ts).getUTCDay() !== 6));
  });

  it('names products with valid, unique StockCodes at a million products', () => {
    const shop = new SyntheticShop({ products: 1_000_000, events: 10, seed: 1 });
    const ids = new Set<string>();
    for (const i of [0, 1, 89_999, 90_000, 90_001, 999_999, 500_000]) {
      const id = shop.productId(i);
      assert.match(id, /^\d{5}[A-Z]*$/);
      ids.add(id);
      const title = shop.title(i);
      assert.ok(ruleCategory(title), title);
    }
    assert.equal(ids.size, 7);
    assert.equal(shop.productId(0), '10000');
    assert.equal(shop.productId(90_000), '10000A');
    assert.equal(shop.productId(999_999), '19999K');
  });

  it('keeps the real skew at another catalogue size (10k products, the real lines per product)', () => {
    const baskets = syntheticBaskets(FITTED, 10_000, 1_160_000, 11);
    const products = topShares(productBasketCounts(baskets).values(), targets.productTopFractions);
    const real = (f: number) => share(targets.productTopFractions, targets.productTopShares, f);
    const synthetic = (f: number) => share(targets.productTopFractions, products, f);
    // Top 1% of products: real 0.097 of invoice lines.
    assert.ok(Math.abs(synthetic(0.01) - real(0.01)) < 0.015, `top 1%: ${synthetic(0.01)} vs ${real(0.01)}`);
    assert.ok(Math.abs(synthetic(0.1) - real(0.1)) < 0.06, `top 10%: ${synthetic(0.1)} vs ${real(0.1)}`);
    // A heavy-customer tail: the top 1% of customers hold far more than 1% of the lines.
    const customers = topShares(userLineCounts(baskets).values(), targets.customerTopFractions);
    assert.ok(customers[0]! > 0.1 && customers[0]! < 0.25, `top 1% of customers: ${customers[0]}`);
    // Products per invoice: real median 15, 90th percentile 52.
    const [median, p90] = quantiles(
      baskets.map((b) => b.items.length),
      [0.5, 0.9],
    );
    assert.ok(Math.abs(median! - 15) <= 2 && Math.abs(p90! - 52) <= 5, `median ${median}, p90 ${p90}`);
  });

  it('matches the real co-purchase and buy-again structure at the real size', () => {
    const baskets = syntheticBaskets(FITTED, targets.products, targets.lines, 5);
    const hr = coOccurrenceHitRate(baskets);
    const repeat = repeatShare(baskets);
    assert.ok(Math.abs(hr - targets.coOccurrenceHitRate) < 0.03, `co-occurrence HR@10 ${hr}`);
    assert.ok(Math.abs(repeat - targets.repeatShare) < 0.03, `repeat share ${repeat}`);
  });

  it('trains with the unchanged train step, and the manifest records the index chosen for its size', async (t) => {
    const dir = await tempDir(t);
    const input = join(dir, 'synthetic.csv.gz');
    await writeSyntheticOnlineRetail(input, { products: 600, events: 20_000, seed: 2 });
    const registryRoot = join(dir, 'models');
    const manifest = await train({
      dataset: 'online-retail',
      input,
      until: parseUntil('2011-11-09')!,
      registryRoot,
    });
    assert.equal(manifest.metrics.interactions, 20_000);
    const products = manifest.metrics.products!;
    assert.ok(products > 400 && products <= 600, `${products} products`);
    assert.equal(manifest.vectorIndex?.type, 'flat');
    assert.equal(manifest.vectorIndex?.requirements.size, products);
    assert.equal(manifest.vectorIndex?.meetsTargets, true);
    const stored = await new ModelRegistry(registryRoot).manifest(manifest.version);
    assert.deepEqual(stored.vectorIndex, manifest.vectorIndex);
  });
});

describe('synth command line', () => {
  const cli = join(import.meta.dirname, '..', 'src', 'synthetic', 'cli.ts');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', timeout: 60_000 });

  it('refuses bad flags, sizes past the generator’s limits and unusable paths with a message, not a crash', async (t) => {
    const dir = await tempDir(t);
    const aFile = join(dir, 'a-file');
    await writeFile(aFile, 'x');
    await mkdir(join(dir, 'a-dir'));
    const notGzip = join(dir, 'plain.csv.gz');
    await writeFile(notGzip, 'InvoiceNo,StockCode\n');
    const ok = ['--products', '20', '--events', '100'];
    const cases: [string[], number, RegExp][] = [
      [['--bogus'], 2, /Unknown option '--bogus'/],
      [[...ok, '--out', join(dir, 'nodir', 'x.csv')], 2, /--out .*: directory .*nodir does not exist/],
      [[...ok, '--out', join(dir, 'a-dir')], 2, /--out .*a-dir: .*a-dir is a directory/],
      [[...ok, '--out', join(aFile, 'x.csv')], 2, /--out .*: .*a-file is not a directory/],
      [
        ['--products', '20', '--events', '1e12', '--out', join(dir, 'x.csv')],
        2,
        /--events must be at most 100,000,000/,
      ],
      [['--products', '1e15', '--out', join(dir, 'x.csv')], 2, /--products must be at most 5,000,000/],
      [
        ['--products', '5000000', '--out', join(dir, 'x.csv')],
        2,
        /--events defaults to 116 x --products.*pass --events/,
      ],
      [['--products', '5', '--out', join(dir, 'x.csv')], 2, /--products must be at least 10/],
      [[...ok, '--seed', '1.5', '--out', join(dir, 'x.csv')], 2, /--seed must be an integer/],
      [['stats', '--products', 'abc'], 2, /--products must be an integer; received "abc"/],
      [['stats', '--events', '20000000'], 2, /--events must be at most 10,000,000 for stats/],
      [['fit', '--input', join(dir, 'missing.csv.gz')], 3, /input file not found: .*missing\.csv\.gz/],
      [['fit', '--input', join(dir, 'a-dir')], 3, /a-dir is a directory/],
      [['fit', '--input', notGzip], 3, /plain\.csv\.gz is not a valid gzip file/],
      [['fit', 'extra'], 2, /unexpected argument\(s\) "extra"/],
      [['nope'], 2, /unknown command "nope"/],
    ];
    for (const [args, code, message] of cases) {
      const r = run(...args);
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /^\s+at .+[(:]\d+/m, `${args.join(' ')}: no stack trace`);
    }
    const r = run(...ok, '--out', join(dir, 'small.csv'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { events: number }).events, 100);
  });
});
