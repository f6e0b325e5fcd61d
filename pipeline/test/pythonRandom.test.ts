import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PythonRandom } from '../src/eval/pythonRandom';

// Reference values printed by CPython 3 (`import random`), e.g.
//   r = random.Random(42); [r.getrandbits(32) for _ in range(5)]
describe('PythonRandom (CPython random.Random)', () => {
  it('seeds MT19937 as random.Random(seed) does', () => {
    const r = new PythonRandom(42);
    assert.deepEqual(
      Array.from({ length: 5 }, () => r.nextUint32()),
      [2746317213, 478163327, 107420369, 3184935163, 1181241943],
    );
    const zero = new PythonRandom(0);
    assert.deepEqual(
      Array.from({ length: 3 }, () => zero.nextUint32()),
      [3626764237, 1654615998, 3255389356],
    );
    // a seed wider than 32 bits is split into 32-bit words, least significant first
    const wide = new PythonRandom(2 ** 40 + 5);
    assert.deepEqual(
      Array.from({ length: 3 }, () => wide.nextUint32()),
      [2166296868, 2220160828, 1153647273],
    );
  });

  it('choice draws as random.Random(seed).choice over lists of these lengths', () => {
    const lengths = [2, 3, 5, 7, 10, 17, 100, 1000, 2, 2];
    const draw = (seed: number) => {
      const r = new PythonRandom(seed);
      return lengths.map((n) => r.choice(Array.from({ length: n }, (_, i) => i)));
    };
    assert.deepEqual(draw(42), [0, 0, 2, 1, 3, 4, 94, 104, 0, 1]);
    assert.deepEqual(draw(7), [1, 0, 3, 5, 0, 2, 68, 96, 1, 0]);
  });

  it('refuses seeds and ranges it cannot reproduce', () => {
    assert.throws(() => new PythonRandom(-1), /non-negative safe integer/);
    assert.throws(() => new PythonRandom(1.5), /non-negative safe integer/);
    assert.throws(() => new PythonRandom(1).below(0), /integer in \(0, 2\^32\)/);
  });
});
