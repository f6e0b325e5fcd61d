import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModelRegistry, parseUntil, readOnlineRetail, train } from '@recs/pipeline';
import { titlesAsOf } from '../src/eval/runEvaluation';
import { writeRetailFile } from './fixtures';

const BASE = [
  '536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
  '536365,71053,LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom',
  '536366,85123A,HEART,1,2010-12-05 10:00:00,2.55,13047.0,France',
  '536367,22086,CHAIN,2,2010-12-09 23:59:00,2.95,,Germany',
];
const POISON = [
  '539999,85123A,HEART RENAMED,999,2010-12-10 00:00:00,99.99,17850.0,Germany',
  '540000,99999Z,NEW PRODUCT,1,2011-01-05 10:00:00,1,99999.0,France',
  '540001,71053,LANTERN,1,2010-12-10 00:00:01,3.39,13047.0,United Kingdom',
];

const files = new Map<string[], Map<string, Buffer>>();

async function artefacts(lines: string[]): Promise<string[]> {
  const reg = join(mkdtempSync(join(tmpdir(), 'recs-leak-')), 'models');
  const manifest = await train({
    dataset: 'online-retail',
    input: writeRetailFile(lines),
    until: parseUntil('2010-12-10')!,
    registryRoot: reg,
  });
  const names = Object.keys(manifest.files).sort();
  const bytes = new Map(
    names.map((n) => [n, readFileSync(join(new ModelRegistry(reg).root, manifest.version, n))]),
  );
  files.set(lines, bytes);
  return names.map((n) => bytes.get(n)!.toString('utf8'));
}

test('data at or after --until cannot change any trained artefact', async () => {
  const clean = await artefacts(BASE);
  const poisoned = await artefacts([...POISON.slice(0, 1), ...BASE, ...POISON.slice(1)]);
  assert.equal(clean.length, poisoned.length);
  clean.forEach((text, i) => assert.equal(poisoned[i], text, `artefact ${i} changed`));
  // The ALS factors and their FAISS index, byte for byte
  const cleanFiles = files.get(BASE)!;
  const poisonedFiles = [...files.entries()].find(([lines]) => lines !== BASE)![1];
  const als = [...cleanFiles.keys()].filter((n) => n.startsWith('als-'));
  assert.ok(als.includes('als-items.bin'), 'the ALS item factors are an artefact');
  assert.ok(
    als.some((n) => n.startsWith('als-index.')),
    'the ALS item index is an artefact',
  );
  for (const name of als) assert.ok(poisonedFiles.get(name)!.equals(cleanFiles.get(name)!), name);
  // The check can fail: a row before the cut-off does change them.
  const changed = await artefacts([...BASE, '536368,22086,CHAIN,1,2010-12-09 12:00:00,2.95,12345.0,Germany']);
  assert.ok(changed.some((text, i) => text !== clean[i]));
});

test('evaluate titles products sold before the cut-off from the rows before it', async () => {
  const renamed = [1, 2, 3].map(
    (i) => `54100${i},85123A,HEART RENAMED,1,2010-12-1${i} 10:00:00,2.55,1234${i}.0,France`,
  );
  const input = writeRetailFile([...BASE, ...POISON, ...renamed]);
  const later = (await readOnlineRetail(input)).catalogue;
  assert.equal(
    later.get('85123A')!.title,
    'HEART RENAMED',
    'the fixture renames a product after the cut-off',
  );
  const titles = await titlesAsOf(input, parseUntil('2010-12-10')!, later);
  assert.equal(titles.get('85123A'), 'HEART');
  assert.equal(titles.get('71053'), 'LANTERN');
  // A product first sold after the cut-off keeps the title it was listed with.
  assert.equal(titles.get('99999Z'), 'NEW PRODUCT');
});
