import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildSchema } from 'graphql';
import {
  CompositionError,
  composeSupergraph,
  installedCompositionVersion,
  invalidOperations,
  readSupergraphConfig,
  unallowedBreakingChanges,
  OPERATIONS_DIR,
} from '@recs/schema';
import { CATALOGUE_SDL } from '@recs/testkit';

test('rover.yaml pins the installed composition version and lists our three subgraphs', () => {
  const config = readSupergraphConfig();
  assert.equal(config.federationVersion, installedCompositionVersion());
  assert.deepEqual(config.subgraphs.map((s) => s.name).sort(), [
    'experiments',
    'features',
    'recommendations',
  ]);
});

test('our subgraphs compose with a shop catalogue subgraph that owns Product.title and price', () => {
  const c = composeSupergraph(readSupergraphConfig(), [
    { name: 'catalogue', url: 'http://catalogue/graphql', sdl: CATALOGUE_SDL },
  ]);
  const product = c.apiSchema.getType('Product');
  assert.ok(product && 'getFields' in product);
  const fields = Object.keys((product as { getFields(): Record<string, unknown> }).getFields()).sort();
  assert.deepEqual(fields, [
    'activity',
    'experiments',
    'features',
    'frequentlyBoughtTogether',
    'id',
    'price',
    'similar',
    'title',
  ]);
});

test('a conflicting subgraph fails composition with the reason', () => {
  const clash = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type Product @key(fields: "id") { id: ID! features: String }`;
  assert.throws(
    () =>
      composeSupergraph(readSupergraphConfig(), [{ name: 'clash', url: 'http://clash/graphql', sdl: clash }]),
    (err: unknown) => err instanceof CompositionError && /features/.test(err.message),
  );
});

test('a wrong federation_version in rover.yaml is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rover-'));
  const file = join(dir, 'rover.yaml');
  writeFileSync(
    file,
    'federation_version: =2.3.0\nsubgraphs:\n  a:\n    routing_url: http://a\n    schema:\n      file: ./a.graphql\n',
  );
  assert.throws(() => composeSupergraph(readSupergraphConfig(file)), /2\.3\.0/);
});

test('breaking changes are found, and allowed only with a reason', () => {
  const before = 'type Query { user(id: ID!): User } type User { id: ID! name: String }';
  const after = buildSchema('type Query { user(id: ID!): User } type User { id: ID! }');
  const found = unallowedBreakingChanges(before, after, []);
  assert.deepEqual(found, ['FIELD_REMOVED: User.name was removed.']);
  assert.deepEqual(
    unallowedBreakingChanges(before, after, [{ change: found[0]!, reason: 'never shipped' }]),
    [],
  );
  assert.deepEqual(unallowedBreakingChanges(before, after, [{ change: found[0]!, reason: ' ' }]), found);
  // Adding an optional field is not breaking.
  assert.deepEqual(
    unallowedBreakingChanges(
      before,
      buildSchema(`${before.replace('name: String', 'name: String age: Int')}`),
      [],
    ),
    [],
  );
});

test('the promised client operations validate against the composed API schema, and a broken one is caught', () => {
  const c = composeSupergraph(readSupergraphConfig());
  assert.deepEqual(invalidOperations(c.apiSchema, OPERATIONS_DIR), []);
  const broken = buildSchema(c.apiSdl.replace(/\s+reasonCode: ReasonCode!/, ''));
  const problems = invalidOperations(broken, OPERATIONS_DIR);
  assert.ok(
    problems.some((p) => p.startsWith('cartRecommendations.graphql') && /reasonCode/.test(p)),
    problems.join('\n'),
  );
});
