import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { cliProblems, testNeo4j, testRedis, trainedRegistry } from '@recs/testkit';

const root = resolve(import.meta.dirname, '..');
const script = join(root, 'scripts', 'evaluateServed.ts');

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: root,
      env: { ...process.env, REDIS_URL: '', NEO4J_URI: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => res({ code: code ?? 1, stdout, stderr }));
  });
}

describe('evaluate:served', () => {
  const out = mkdtempSync(join(tmpdir(), 'recs-served-test-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('refuses a bad date, a missing file and a registry trained at another cut-off', async () => {
    const badDate = await run(['--until', '2011-02-30']);
    assert.equal(badDate.code, 2, badDate.stderr);
    assert.match(badDate.stderr, /--until must be a real date YYYY-MM-DD; received 2011-02-30/);

    const missing = await run(['--input', join(out, 'nope.csv.gz')]);
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /input file not found/);

    // the shared test registry is trained until 2011-11-09
    const other = await run(['--registry', await trainedRegistry(), '--until', '2011-10-09']);
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, /was trained until 2011-11-09.*not 2011-10-09/);
  });

  it('refuses bad flags, a missing registry, an empty or foreign input and an unwritable --out, without a stack', async () => {
    const empty = join(out, 'empty.csv');
    writeFileSync(empty, '');
    const foreign = join(out, 'foreign.csv');
    writeFileSync(foreign, 'a,b\n1,2\n');
    const aFile = join(out, 'a-file');
    writeFileSync(aFile, 'not a directory\n');
    const registry = await trainedRegistry();
    const cases: [string, string[], number, RegExp][] = [
      ['unknown flag', ['--bogus'], 2, /Unknown option '--bogus'[\s\S]*usage: /],
      ['flag without its value', ['--days'], 2, /Option '--days <value>' argument missing[\s\S]*usage: /],
      ['missing registry', ['--registry', join(out, 'no-registry')], 3, /--registry .*no-registry not found/],
      ['empty input', ['--input', empty], 3, /input file .*empty\.csv is empty/],
      // as the audit found it: the registry's own cut-off, so only the input is wrong
      [
        'empty input with --registry',
        ['--input', empty, '--registry', registry, '--until', '2011-11-09'],
        3,
        /is empty/,
      ],
      ['not an Online Retail file', ['--input', foreign], 3, /foreign\.csv is not an Online Retail file/],
      ['--out under a file', ['--out', join(aFile, 'eval')], 2, /--out .*a-file\/eval cannot be written/],
      // root may write everywhere by access(W_OK), but not create a directory in /proc (mkdir hung there)
      ['--out in /proc', ['--out', '/proc/recs-eval/x'], 2, /--out \/proc\/recs-eval\/x cannot be written/],
    ];
    // every case is checked (each a child process, in parallel) and every problem reported at once
    const results = await Promise.all(cases.map(([, args]) => run(args)));
    const problems = cases.flatMap(([name, , code, message], i) =>
      cliProblems({ name, code, message }, results[i]!),
    );
    assert.deepEqual(problems, []);
    assert.equal(existsSync(join(out, 'served.json')), false, 'nothing written');
  });

  it('trains at the cut-off and scores the lists the gateway serves, on real Redis and Neo4j', async () => {
    const redis = await testRedis();
    const neo4j = await testNeo4j();
    const r = await run(['--until', '2011-03-01', '--days', '14', '--max', '12', '--out', out], {
      REDIS_URL: redis.url,
      NEO4J_URI: neo4j.uri,
      NEO4J_USER: neo4j.user,
      NEO4J_PASSWORD: neo4j.password,
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /Redis: yes, Neo4j: yes/);
    const served = JSON.parse(readFileSync(join(out, 'served.json'), 'utf8')) as {
      until: string;
      rows: { protocol: string; cases: number; hr: number; ndcg: number; fallbacks: number; short: number }[];
    };
    assert.equal(served.until, '2011-03-01');
    assert.deepEqual(
      served.rows.map((row) => row.protocol),
      ['cart', 'home', 'new-customers'],
    );
    for (const row of served.rows) {
      assert.equal(row.cases, 12, `${row.protocol}: --max 12 cases`);
      assert.ok(row.hr >= 0 && row.hr <= 1 && row.ndcg >= 0 && row.ndcg <= row.hr, JSON.stringify(row));
      assert.equal(row.fallbacks, 0, `${row.protocol}: every list came from the model`);
      assert.equal(row.short, 0, `${row.protocol}: every list has 10 products`);
    }
    const md = readFileSync(join(out, 'served.md'), 'utf8');
    assert.match(md, /\| cart \| 12 \| /);
  });
});
