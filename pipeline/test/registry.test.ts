import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModelRegistry, RegistryError } from '@recs/pipeline';
import { excludeForgotten } from '../src/forgotten';
import { versionMeta } from './fixtures';

const meta = versionMeta({ dataRange: { from: '2010-12-01', to: '2011-11-08' }, until: '2011-11-09' });

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
  // a listed artefact deleted from disk is a registry problem, not a raw ENOENT
  unlinkSync(join(root, v.version, 'w.bin'));
  await assert.rejects(
    registry.readBinary(v.version, 'w'),
    (err: Error) =>
      err instanceof RegistryError && /w\.bin of .* cannot be read \(missing\)/.test(err.message),
  );
});

test('rollback with a single promotion is refused', async () => {
  const registry = new ModelRegistry(join(mkdtempSync(join(tmpdir(), 'recs-reg-')), 'models'));
  const v = await registry.publish({ a: 1 }, meta);
  await registry.promote(v.version);
  await assert.rejects(registry.rollback(), /nothing to roll back/);
});

test('a manifest that is null, not JSON or not a manifest is corrupt: listed apart, never promoted', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'recs-reg-')), 'models');
  const registry = new ModelRegistry(root);
  const v1 = await registry.publish({ a: [1] }, meta, new Date('2026-01-01T00:00:00Z'));
  const v2 = await registry.publish({ a: [2] }, meta, new Date('2026-01-02T00:00:00Z'));
  await registry.promote(v1.version);
  await registry.promote(v2.version);
  const broken: [string, string, RegExp][] = [
    ['v20260103T000000Z-00000001', 'null', /is corrupt: expected a JSON object; received null/],
    ['v20260104T000000Z-00000002', '{"version": "v2026', /is corrupt: not valid JSON/],
    ['v20260105T000000Z-00000003', '[]', /is corrupt: expected a JSON object; received an array/],
    [
      'v20260106T000000Z-00000004',
      JSON.stringify({ ...v1, version: 'v20260106T000000Z-00000004', files: null }),
      /is corrupt: "files" is not an object/,
    ],
    ['v20260107T000000Z-00000005', JSON.stringify(v1), /is corrupt: it names version "v20260101/],
  ];
  for (const [version, text] of broken) {
    mkdirSync(join(root, version));
    writeFileSync(join(root, version, 'manifest.json'), text);
  }
  assert.deepEqual(
    (await registry.list()).map((m) => m.version),
    [v2.version, v1.version],
    'list() holds the usable versions only',
  );
  const entries = await registry.entries();
  assert.deepEqual(
    entries.map((e) => e.version),
    [...broken.map(([v]) => v).reverse(), v2.version, v1.version],
  );
  for (const [version, , why] of broken) {
    const entry = entries.find((e) => e.version === version)!;
    assert.equal(entry.manifest, undefined);
    assert.match(entry.problem!, why);
    await assert.rejects(registry.promote(version), (err: Error) => {
      assert.ok(err instanceof RegistryError);
      assert.match(err.message, new RegExp(`manifest .*${version}.*is corrupt`));
      assert.match(err.message, why);
      return true;
    });
  }
  await assert.rejects(registry.promote('v20990101T000000Z-deadbeef'), /does not exist/);
  assert.equal(await registry.current(), v2.version, 'nothing corrupt was promoted');
  // rollback does not point CURRENT at a version that went corrupt either
  writeFileSync(join(root, v1.version, 'manifest.json'), 'null');
  await assert.rejects(registry.rollback(), /cannot roll back to v20260101.*is corrupt/);
  assert.equal(await registry.current(), v2.version);
});

test('a registry path under a regular file is a RegistryError, before and at publishing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recs-reg-'));
  writeFileSync(join(dir, 'file'), 'x');
  const registry = new ModelRegistry(join(dir, 'file', 'models'));
  await assert.rejects(registry.ensureWritable(), (err: Error) => {
    assert.ok(err instanceof RegistryError);
    assert.match(err.message, /file\/models is not usable: .*file is not a directory/);
    return true;
  });
  await assert.rejects(registry.publish({ a: 1 }, meta), RegistryError);
  await assert.rejects(registry.list(), /cannot read model registry/);
  await assert.rejects(excludeForgotten([], join(dir, 'file')), (err: Error) => {
    assert.ok(err instanceof RegistryError);
    assert.match(err.message, /is not a directory/);
    return true;
  });
  // a registry that does not exist yet passes the check and is not created by it
  const fresh = new ModelRegistry(join(dir, 'new', 'models'));
  await fresh.ensureWritable();
  assert.ok(!existsSync(join(dir, 'new')));
  assert.deepEqual(await fresh.list(), []);
});

test('a promotion that cannot switch CURRENT leaves no temporary file behind', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'recs-reg-')), 'models');
  const registry = new ModelRegistry(root);
  const v = await registry.publish({ a: [1] }, meta);
  // CURRENT as a non-empty directory: the atomic rename onto it fails
  mkdirSync(join(root, 'CURRENT', 'x'), { recursive: true });
  await assert.rejects(
    registry.promote(v.version),
    (err: Error) => err instanceof RegistryError && /cannot promote/.test(err.message),
  );
  assert.deepEqual(
    readdirSync(root).filter((f) => f.startsWith('CURRENT.tmp')),
    [],
  );
});
