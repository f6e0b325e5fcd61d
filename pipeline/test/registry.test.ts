import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModelRegistry, RegistryError } from '@recs/pipeline';

const meta = {
  dataset: 'online-retail',
  input: 'x',
  dataRange: { from: '2010-12-01', to: '2011-11-08' },
  until: '2011-11-09',
  metrics: {},
  cleaning: {},
};

test('publish, promote, rollback; hashes guard the artefacts', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'recs-reg-')), 'models');
  const registry = new ModelRegistry(root);
  assert.equal(await registry.current(), undefined);
  const v1 = await registry.publish({ a: [1] }, meta, new Date('2026-01-01T00:00:00Z'));
  const v2 = await registry.publish({ a: [2] }, meta, new Date('2026-01-02T00:00:00Z'));
  assert.match(v1.version, /^v20260101T000000Z-[0-9a-f]{8}$/);
  assert.equal(await registry.current(), undefined, 'publishing does not promote');
  await registry.promote(v1.version);
  await registry.promote(v2.version);
  assert.equal(await registry.current(), v2.version);
  assert.deepEqual(await registry.read(v2.version, 'a'), [2]);
  assert.deepEqual(
    (await registry.list()).map((m) => m.version),
    [v2.version, v1.version],
  );
  assert.equal(await registry.rollback(), v1.version);
  assert.equal(await registry.current(), v1.version);
  writeFileSync(join(root, v1.version, 'a.json'), '[666]');
  await assert.rejects(registry.read(v1.version, 'a'), /corrupt/);
  await assert.rejects(registry.promote('v20990101T000000Z-deadbeef'), RegistryError);
  await assert.rejects(registry.promote('../../etc'), /not a model version/);
});

test('binary artefacts are written raw and hash-checked', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'recs-reg-')), 'models');
  const registry = new ModelRegistry(root);
  const weights = Float32Array.from([1.5, -2, 3.25]);
  const v = await registry.publish({ w: new Uint8Array(weights.buffer), meta: { n: 3 } }, meta);
  assert.ok(await registry.has(v.version, 'w'));
  assert.ok(!(await registry.has(v.version, 'nope')));
  const bytes = await registry.readBinary(v.version, 'w');
  assert.deepEqual([...new Float32Array(bytes.buffer, bytes.byteOffset, 3)], [1.5, -2, 3.25]);
  assert.deepEqual(await registry.read(v.version, 'meta'), { n: 3 });
  writeFileSync(join(root, v.version, 'w.bin'), Buffer.from([0, 0, 0, 0]));
  await assert.rejects(registry.readBinary(v.version, 'w'), /corrupt/);
  await assert.rejects(registry.readBinary(v.version, 'meta'), /has no artefact meta.bin/);
});

test('rollback with a single promotion is refused', async () => {
  const registry = new ModelRegistry(join(mkdtempSync(join(tmpdir(), 'recs-reg-')), 'models'));
  const v = await registry.publish({ a: 1 }, meta);
  await registry.promote(v.version);
  await assert.rejects(registry.rollback(), /nothing to roll back/);
});
