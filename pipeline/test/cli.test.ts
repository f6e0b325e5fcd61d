import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeRetailFile } from './fixtures';

const cli = join(import.meta.dirname, '..', 'src', 'cli.ts');
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' });

test('train: clear errors and exit codes for bad input', () => {
  const reg = mkdtempSync(join(tmpdir(), 'recs-cli-'));
  const file = writeRetailFile(['536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom']);
  const cases: [string[], number, RegExp][] = [
    [
      ['train', '--dataset', 'nope', '--input', file, '--until', '2011-01-01'],
      2,
      /--dataset must be one of online-retail/,
    ],
    [['train', '--dataset', 'online-retail', '--input', file, '--until', '2011-02-30'], 2, /real date/],
    [
      ['train', '--dataset', 'online-retail', '--input', '/no/such/file.csv', '--until', '2011-01-01'],
      3,
      /input file not found/,
    ],
    [
      ['train', '--dataset', 'online-retail', '--input', file, '--until', '2010-01-01', '--registry', reg],
      4,
      /no usable interactions/,
    ],
    [['train', '--bogus'], 2, /Unknown option/],
    [['models', 'rollback', '--registry', reg], 5, /nothing to roll back/],
  ];
  for (const [args, code, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('train writes and promotes a version that only used data before --until', () => {
  const reg = join(mkdtempSync(join(tmpdir(), 'recs-cli-')), 'models');
  const file = writeRetailFile([
    '536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
    '536366,71053,LANTERN,1,2010-12-02 08:26:00,3.39,17850.0,United Kingdom',
    '536367,22086,LATE,1,2010-12-03 00:00:00,3.39,17850.0,United Kingdom',
  ]);
  const r = run(
    'train',
    '--dataset',
    'online-retail',
    '--input',
    file,
    '--until',
    '2010-12-03',
    '--registry',
    reg,
  );
  assert.equal(r.status, 0, r.stderr);
  const { version } = JSON.parse(r.stdout) as { version: string };
  assert.equal(readFileSync(join(reg, 'CURRENT'), 'utf8').trim(), version);
  const catalogue = JSON.parse(readFileSync(join(reg, version, 'catalogue.json'), 'utf8')) as {
    id: string;
  }[];
  assert.deepEqual(
    catalogue.map((c) => c.id).sort(),
    ['71053', '85123A'],
    'the 2010-12-03 row is at the cut-off: excluded',
  );
  assert.ok(readdirSync(join(reg, version)).includes('manifest.json'));
});
