import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse, Kind, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { DocumentLimits, aliasCount, operationDepth } from '@recs/gateway';

function depthOf(query: string): number {
  const doc = parse(query);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return operationDepth(
    doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode,
    fragments,
  );
}

test('depth counts nested selections through fragments and survives cycles', () => {
  assert.equal(depthOf('{ a }'), 1);
  assert.equal(depthOf('{ user { recommendations { items { product { id } } } } }'), 5);
  assert.equal(depthOf('{ a { ...F } } fragment F on T { b { c } }'), 3);
  assert.equal(depthOf('{ a { ... on T { b } } }'), 2);
  assert.equal(depthOf('{ a { ...F } } fragment F on T { b { ...F } }'), 2, 'a cycle is followed once');
});

test('aliases are counted', () => {
  assert.equal(aliasCount(parse('{ x: a y: a { z: b } }')), 3);
});

test('DocumentLimits refuses with the right code, and remembers verdicts', () => {
  const limits = new DocumentLimits({ maxDepth: 3, maxAliases: 1, maxDocumentBytes: 200 });
  const code = (q: string) => {
    try {
      limits.check(q);
      return 'ok';
    } catch (err) {
      return (err as { code: string }).code;
    }
  };
  assert.equal(code('{ a { b { c } } }'), 'ok');
  assert.equal(code('{ a { b { c { d } } } }'), 'QUERY_TOO_DEEP');
  assert.equal(code('{ a { b { c { d } } } }'), 'QUERY_TOO_DEEP', 'cached verdict');
  assert.equal(code('{ x: a y: a }'), 'TOO_MANY_ALIASES');
  assert.equal(code(`{ a } #${'x'.repeat(300)}`), 'DOCUMENT_TOO_LARGE');
  // A token bomb: under the byte limit but more tokens than half the byte limit.
  assert.equal(code(`{ a(x: ${'['.repeat(90)}${']'.repeat(90)}) }`), 'DOCUMENT_TOO_LARGE');
  assert.equal(code('{ unbalanced'), 'ok', 'syntax errors are left to Apollo');
});
