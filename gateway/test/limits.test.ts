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

test('an operationName the document does not define is BAD_USER_INPUT naming the operations it has', () => {
  const limits = new DocumentLimits({ maxDepth: 5, maxAliases: 5, maxDocumentBytes: 500 });
  assert.throws(
    () => limits.check('query A { a } query Other { b }', 'B'),
    (err: { code?: string; message?: string }) =>
      err.code === 'BAD_USER_INPUT' &&
      /"B" names no operation/.test(err.message!) &&
      /A, Other/.test(err.message!),
  );
  assert.doesNotThrow(() => limits.check('query A { a } query Other { b }', 'Other'));
  assert.throws(() => limits.check('{ a }', 'A'), { code: 'BAD_USER_INPUT' });
});
