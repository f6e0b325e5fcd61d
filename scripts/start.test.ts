import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

test('npm start refuses an unknown argument instead of retraining', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'start.ts'), '--no-trian'],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /unknown argument\(s\) --no-trian; usage: npm start \[-- --no-train\]/);
  assert.doesNotMatch(r.stdout, /training/);
});
