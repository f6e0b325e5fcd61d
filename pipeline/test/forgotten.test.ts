import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FORGOTTEN_USERS_FILE, userDigest } from '@recs/core';
import { excludeForgotten } from '../src/forgotten';
import type { Interaction } from '../src/ingest/Interaction';

test('train drops the interactions of shoppers in the registry’s tombstone file, and nothing else', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recs-forgotten-'));
  try {
    const row = (userId: string | null) => ({ userId }) as Interaction;
    const rows = [row('17850'), row('12347'), row(null), row('17850')];
    assert.equal((await excludeForgotten(rows, dir)).excluded, 0, 'no file: nothing dropped');
    writeFileSync(join(dir, FORGOTTEN_USERS_FILE), `# tombstones\n${userDigest('17850')}\n\n`);
    const kept = await excludeForgotten(rows, dir);
    assert.deepEqual(
      kept.interactions.map((r) => r.userId),
      ['12347', null],
    );
    assert.equal(kept.excluded, 2);
    assert.equal(kept.forgotten, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
