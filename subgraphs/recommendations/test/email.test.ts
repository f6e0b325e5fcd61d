import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { createRedisFeatureStore } from '@recs/feature-store';
import { cliProblems, freePort, testRedis } from '@recs/testkit';
import { trainedRegistry } from '@recs/testkit/registry';
import { LIVE_KEY_PREFIX } from '../src/rules/LiveFacts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'recs-email-'));
const USERS = ['17850', '12347'];
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  const store = createRedisFeatureStore({ url: (await testRedis()).url, keyPrefix: LIVE_KEY_PREFIX });
  await store.deleteMany('user', USERS);
  await store.close();
});

interface Line {
  userId: string;
  fallback: boolean;
  items: { productId: string; title: string; reasonCode: string }[];
}

/** Runs the e-mail command once with --record; resolves to its lines by user. */
async function send(n: number): Promise<Map<string, Set<string>>> {
  const out = join(dir, `send-${n}.jsonl`);
  const { stderr } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      'subgraphs/recommendations/src/emailCli.ts',
      '--users',
      join(dir, 'users.txt'),
      '--limit',
      '8',
      '--out',
      out,
      '--record',
      '--registry',
      await trainedRegistry(),
    ],
    { env: { ...process.env, REDIS_URL: (await testRedis()).url } },
  );
  assert.match(stderr, /email: 2 lists of up to 8 products, recorded as sent/);
  const lines = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
  assert.deepEqual(
    lines.map((l) => l.userId),
    USERS,
  );
  for (const l of lines) {
    assert.equal(l.items.length, 8);
    assert.equal(l.fallback, false);
    assert.ok(l.items.every((i) => i.title.length > 0));
  }
  return new Map(lines.map((l) => [l.userId, new Set(l.items.map((i) => i.productId))]));
}

test('the e-mail command never repeats what the last 3 sends contained', async () => {
  writeFileSync(join(dir, 'users.txt'), `${USERS.join('\n')}\n`);
  const sends: Map<string, Set<string>>[] = [];
  for (let n = 0; n < 4; n++) sends.push(await send(n));
  for (const user of USERS) {
    for (let a = 0; a < 4; a++) {
      for (let b = a + 1; b < 4 && b - a <= 3; b++) {
        const repeated = [...sends[a]!.get(user)!].filter((p) => sends[b]!.get(user)!.has(p));
        assert.deepEqual(repeated, [], `user ${user}: send ${b} repeats send ${a}`);
      }
    }
  }
});

test('bad usage and a missing users file exit with their codes and a message', async () => {
  const registry = await trainedRegistry();
  const cases: [string[], number, RegExp][] = [
    [['--all', '--limit', '0'], 2, /--limit must be an integer in 1\.\.100/],
    [['--users', join(dir, 'nope.txt')], 3, /cannot be read/],
    [['--all', '--users', 'x'], 2, /exactly one of --users FILE and --all/],
  ];
  for (const [args, code, message] of cases) {
    await assert.rejects(
      run(process.execPath, [
        '--import',
        'tsx',
        'subgraphs/recommendations/src/emailCli.ts',
        ...args,
        '--registry',
        registry,
      ]),
      (err: { code: number; stderr: string }) => err.code === code && message.test(err.stderr),
    );
  }
});

test('bad output, rule file and Redis exit with their codes and a message, never a stack', async () => {
  const registry = await trainedRegistry();
  const users = join(dir, 'bad-input-users.txt');
  writeFileSync(users, `${USERS.join('\n')}\n`);
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, 'not a directory\n');
  const notJson = join(dir, 'rules-not-json.json');
  writeFileSync(notJson, '{"version": ');
  const port = await freePort(); // nothing listens there
  const cases: {
    name: string;
    args: string[];
    env: Record<string, string>;
    code: number;
    message: RegExp;
  }[] = [
    {
      name: '--out under a regular file',
      args: ['--out', join(aFile, 'x.jsonl')],
      env: {},
      code: 2,
      message: /--out .*a-file\/x\.jsonl cannot be written: ENOTDIR/,
    },
    {
      name: 'missing RULES_FILE',
      args: [],
      env: { RULES_FILE: join(dir, 'no-rules.json') },
      code: 2,
      message: /RULES_FILE .*no-rules\.json cannot be read/,
    },
    {
      name: 'RULES_FILE not JSON',
      args: [],
      env: { RULES_FILE: notJson },
      code: 2,
      message: /RULES_FILE .*rules-not-json\.json is not JSON/,
    },
    {
      name: 'REDIS_URL not a URL',
      args: [],
      env: { REDIS_URL: 'notaurl' },
      code: 2,
      message: /REDIS_URL: not a Redis URL: "notaurl"/,
    },
    {
      // the first write fails (ENOSPC): nothing is counted as written, and nothing hangs
      name: '--out on a full disk',
      args: ['--out', '/dev/full'],
      env: {},
      code: 2,
      message: /--out \/dev\/full cannot be written: .*ENOSPC.* \(0 lists written\)/,
    },
    {
      name: 'Redis down with --record',
      args: ['--record', '--out', join(dir, 'never.jsonl')],
      env: { REDIS_URL: `redis://:hunter2secret@127.0.0.1:${port}` },
      code: 6,
      message: new RegExp(`Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} unreachable`),
    },
  ];
  // every case is checked (each a child process, in parallel) and every problem reported at once
  const problems = await Promise.all(
    cases.map(async (c) => {
      const result = await run(
        process.execPath,
        [
          '--import',
          'tsx',
          'subgraphs/recommendations/src/emailCli.ts',
          '--users',
          users,
          ...c.args,
          '--registry',
          registry,
        ],
        { env: { ...process.env, REDIS_URL: '', RULES_FILE: '', ...c.env }, timeout: 120_000 },
      ).then(
        (r) => ({ code: 0, ...r }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
      return cliProblems(c, result, 'hunter2secret');
    }),
  );
  assert.deepEqual(problems.flat(), []);
  // nothing half-written: the output of the run that could not reach Redis was never created
  assert.equal(existsSync(join(dir, 'never.jsonl')), false);
});
