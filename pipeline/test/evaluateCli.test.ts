import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeRetailFile } from './fixtures';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'pipeline', 'src', 'cli.ts');
const DATA = join(root, 'data', 'online-retail', 'online_retail_until_2011-11-09.csv.gz');
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' });

test('evaluate: clear errors and exit codes for bad input', () => {
  const file = writeRetailFile(['536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom']);
  const cases: [string[], number, RegExp][] = [
    [
      ['evaluate', '--dataset', 'nope', '--input', file, '--until', '2011-01-01'],
      2,
      /--dataset must be one of/,
    ],
    [['evaluate', '--dataset', 'online-retail', '--input', file, '--until', '2011-13-01'], 2, /real date/],
    [
      ['evaluate', '--dataset', 'online-retail', '--input', file, '--until', '2011-01-01', '--k', '0'],
      2,
      /--k must be a positive integer/,
    ],
    [
      ['evaluate', '--dataset', 'online-retail', '--input', '/no/such.csv', '--until', '2011-01-01'],
      3,
      /input file not found/,
    ],
    [
      ['evaluate', '--dataset', 'online-retail', '--input', file, '--until', '2010-06-01'],
      4,
      /no purchases on both sides/,
    ],
  ];
  for (const [args, code, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('evaluate: out-of-range numbers, unreadable inputs, an unwritable --out and stray arguments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recs-eval-'));
  const file = writeRetailFile([
    '536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
    '536366,71053,LANTERN,1,2010-12-02 08:26:00,3.39,17850.0,United Kingdom',
  ]);
  const notGzip = join(dir, 'plain.csv.gz');
  writeFileSync(notGzip, readFileSync(file));
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, 'x');
  const evaluate = (...args: string[]) => ['evaluate', '--dataset', 'online-retail', ...args];
  const out = join(dir, 'out');
  const cases: [string[], number, RegExp][] = [
    [
      evaluate('--input', file, '--until', '2010-12-02', '--days', '99999999999', '--out', out),
      2,
      /--days must be at most 3660; received "99999999999"/,
    ],
    [
      evaluate('--input', file, '--until', '2010-12-02', '--k', '5000', '--out', out),
      2,
      /--k must be at most 1000; received "5000"/,
    ],
    ...['', '11,,12', '11,11', '-1', '1.5', 'x', '2147483648', '1,2,3,4,5,6,7,8,9,10,11'].map(
      (seeds): [string[], number, RegExp] => [
        evaluate('--input', file, '--until', '2010-12-02', `--ranker-seeds=${seeds}`, '--out', out),
        2,
        new RegExp(
          `--ranker-seeds must be 1 to 10 distinct integers from 0 to 2147483647, comma-separated; received "${seeds}"`,
        ),
      ],
    ),
    [
      evaluate(
        '--input',
        file,
        '--until',
        '2010-12-02',
        '--ranker-seeds',
        '11,12',
        '--no-ranker',
        '--out',
        out,
      ),
      2,
      /--ranker-seeds trains rankers: it cannot be used with --no-ranker/,
    ],
    [evaluate('--input', notGzip, '--until', '2010-12-02', '--out', out), 3, /is not a valid gzip file/],
    [evaluate('--input', dir, '--until', '2010-12-02', '--out', out), 3, /is a directory/],
    [
      evaluate('--input', file, '--until', '2010-12-02', '--out', join(aFile, 'eval')),
      2,
      /--out .*a-file\/eval cannot hold the report: .*a-file is not a directory/,
    ],
    [
      evaluate('--input', file, '--until', '2010-12-02', '--out', aFile),
      2,
      /--out .*a-file cannot hold the report: .*a-file is not a directory/,
    ],
    [
      [...evaluate('--input', file, '--until', '2010-12-02', '--out', out), 'junk'],
      2,
      /unexpected argument "junk"/,
    ],
  ];
  for (const [args, code, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /^\s+at .+[(:]\d+/m, `${args.join(' ')}: no stack trace`);
    // refused before any model is trained, not after the evaluation
    assert.doesNotMatch(r.stderr, /training candidate models/, args.join(' '));
  }
  assert.ok(!existsSync(out), 'nothing written');
});

test('evaluate on the bundled data writes the report, charts and a JSON summary', () => {
  const out = mkdtempSync(join(tmpdir(), 'recs-eval-'));
  const r = run(
    'evaluate',
    '--dataset',
    'online-retail',
    '--input',
    DATA,
    '--until',
    '2011-03-01',
    '--until',
    '2011-04-01',
    '--days',
    '14',
    '--out',
    out,
    '--no-ranker',
  );
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    results: {
      cut: string;
      cases: { cart: number; home: number };
      rows: { protocol: string; method: string; kind: string; hr: number; ndcg: number }[];
    }[];
  };
  assert.deepEqual(
    summary.results.map((x) => x.cut),
    ['2011-03-01', '2011-04-01'],
  );
  for (const result of summary.results) {
    assert.ok(result.cases.cart > 50 && result.cases.home > 50, JSON.stringify(result.cases));
    const cart = result.rows.filter((x) => x.protocol === 'cart');
    const hr = (name: RegExp) => cart.find((x) => name.test(x.method))!.hr;
    // Real signal, not a constant: co-purchase models beat popularity by a wide margin.
    assert.ok(hr(/EASE on invoices/) > 2 * hr(/popularity/), JSON.stringify(cart));
    for (const row of result.rows) assert.ok(row.hr >= 0 && row.hr <= 1 && row.ndcg <= row.hr + 1e-9);
  }
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(report, /## Cut-off 2011-03-01/);
  assert.match(report, /Published reference/);
  assert.match(readFileSync(join(out, 'ndcg-2011-04-01.svg'), 'utf8'), /^<svg /);
});
