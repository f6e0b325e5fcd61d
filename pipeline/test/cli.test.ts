import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { versionMeta, writeRetailFile } from './fixtures';
import { ModelRegistry } from '../src/registry/ModelRegistry';

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

/** A Node.js stack frame in the output: bad input must never produce one. */
const STACK = /^\s+at .+[(:]\d+/m;

test('train: unreadable inputs, a registry that cannot be written and stray arguments are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recs-cli-'));
  const file = writeRetailFile(['536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom']);
  const notGzip = join(dir, 'plain.csv.gz');
  writeFileSync(notGzip, readFileSync(file));
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, 'x');
  const train = (...args: string[]) => ['train', '--dataset', 'online-retail', ...args];
  const cases: [string[], number, RegExp][] = [
    [
      train('--input', notGzip, '--until', '2011-01-01', '--registry', join(dir, 'r1')),
      3,
      /plain\.csv\.gz is not a valid gzip file/,
    ],
    [train('--input', dir, '--until', '2011-01-01', '--registry', join(dir, 'r2')), 3, /is a directory/],
    [
      train('--input', file, '--until', '2010-12-02', '--registry', join(aFile, 'models')),
      5,
      /model registry .*a-file\/models is not usable: .*a-file is not a directory/,
    ],
    [
      train('--input', file, '--until', '2010-12-02', '--registry', aFile),
      5,
      /model registry .*a-file is not usable/,
    ],
    [
      [...train('--input', file, '--until', '2010-12-02', '--registry', join(dir, 'r3')), 'extra', 'junk'],
      2,
      /unexpected arguments "extra" "junk"/,
    ],
    [['models', 'list', 'extra', '--registry', join(dir, 'r3')], 2, /unexpected argument "extra"/],
    [['models', 'list', '--registry', aFile], 5, /cannot read model registry/],
  ];
  for (const [args, code, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, STACK, `${args.join(' ')}: no stack trace`);
  }
  assert.ok(!existsSync(join(dir, 'r3', 'CURRENT')), 'the run with stray arguments trained nothing');
});

test('train refuses a cut-off with no purchases in the 30 days before it (empty popularity)', () => {
  const reg = join(mkdtempSync(join(tmpdir(), 'recs-cli-')), 'models');
  const file = writeRetailFile([
    '536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
    '536366,71053,LANTERN,1,2010-12-02 08:26:00,3.39,17850.0,United Kingdom',
  ]);
  const train = (until: string) =>
    run('train', '--dataset', 'online-retail', '--input', file, '--until', until, '--registry', reg);
  for (const until of ['9999-12-31', '2011-01-02']) {
    const r = train(until);
    assert.equal(r.status, 4, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `no purchases in the 30 days before the cut-off ${until}: the data in .* ends at 2010-12-02`,
      ),
    );
    assert.match(r.stderr, /choose --until at most 2011-01-01/);
    assert.ok(!existsSync(join(reg, 'CURRENT')), 'nothing promoted');
  }
  const ok = train('2011-01-01');
  assert.equal(ok.status, 0, ok.stderr);
  const { version } = JSON.parse(ok.stdout) as { version: string };
  const popularity = JSON.parse(readFileSync(join(reg, version, 'popularity.json'), 'utf8')) as {
    global: unknown[];
  };
  assert.equal(popularity.global.length, 1, 'the last day is inside the 30-day window');
});

test('models: a version whose manifest is null or not JSON is listed as corrupt and cannot be promoted', async () => {
  const reg = join(mkdtempSync(join(tmpdir(), 'recs-cli-')), 'models');
  const registry = new ModelRegistry(reg);
  const meta = versionMeta();
  const good = await registry.publish({ a: 1 }, meta, new Date('2026-01-01T00:00:00Z'));
  await registry.promote(good.version);
  const nullVersion = 'v20260102T000000Z-00000000';
  const badJson = 'v20260103T000000Z-11111111';
  mkdirSync(join(reg, nullVersion));
  writeFileSync(join(reg, nullVersion, 'manifest.json'), 'null');
  mkdirSync(join(reg, badJson));
  writeFileSync(join(reg, badJson, 'manifest.json'), '{"version": ');
  const list = run('models', 'list', '--registry', reg);
  assert.equal(list.status, 0, list.stderr);
  const lines = list.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3, list.stdout);
  assert.match(lines[0]!, new RegExp(`^  ${badJson}  CORRUPT: .*not valid JSON`));
  assert.match(lines[1]!, new RegExp(`^  ${nullVersion}  CORRUPT: .*expected a JSON object; received null`));
  assert.match(lines[2]!, new RegExp(`^\\* ${good.version}  until 2010-12-03`));
  for (const [version, why] of [
    [nullVersion, /received null/],
    [badJson, /not valid JSON/],
  ] as const) {
    const r = run('models', 'promote', version, '--registry', reg);
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, new RegExp(`manifest .*${version}.*manifest\\.json is corrupt`));
    assert.match(r.stderr, why);
    assert.doesNotMatch(r.stderr, /does not exist/);
    assert.doesNotMatch(r.stderr, STACK);
  }
  assert.equal(readFileSync(join(reg, 'CURRENT'), 'utf8').trim(), good.version, 'CURRENT unchanged');
});
