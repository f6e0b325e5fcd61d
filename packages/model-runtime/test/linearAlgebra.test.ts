import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invertMatricesInParallel, invertMatrix } from '../src/linearAlgebra';
import { seededRandom } from './random';

describe('invertMatrix (ONNX Runtime Inverse)', () => {
  it('inverts a 2 x 2 matrix to hand-computed values', async () => {
    // [[4, 7], [2, 6]]^-1 = 1/10 [[6, -7], [-2, 4]]
    const inv = await invertMatrix(Float32Array.from([4, 7, 2, 6]), 2);
    assert.deepEqual(
      [...inv].map((v) => Math.round(v * 1e5) / 1e5),
      [0.6, -0.7, -0.2, 0.4],
    );
  });

  it('A · A^-1 is the identity for a random regularised Gram matrix', async () => {
    const n = 60;
    const rng = seededRandom(7);
    const a = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = Math.floor(rng() * 5);
      a[i * n + i] += 20;
    }
    const inv = await invertMatrix(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-4, `(${i}, ${j}) = ${s}`);
      }
    }
  });

  it('rejects a matrix of the wrong size and a singular matrix', async () => {
    await assert.rejects(invertMatrix(new Float32Array(5), 2), /expected a 2 x 2 matrix/);
    await assert.rejects(invertMatrix(Float32Array.from([1, 2, 2, 4]), 2), /singular/);
  });
});

describe('invertMatricesInParallel (one worker thread per matrix)', () => {
  it('gives the same inverses as invertMatrix and reports a singular input', async () => {
    const a = Float32Array.from([4, 7, 2, 6]);
    const b = Float32Array.from([2, 0, 0, 8]);
    const [ia, ib] = await invertMatricesInParallel([
      { matrix: Float32Array.from(a), n: 2 },
      { matrix: Float32Array.from(b), n: 2 },
    ]);
    assert.deepEqual([...ia!], [...(await invertMatrix(a, 2))]);
    assert.deepEqual([...ib!], [0.5, 0, 0, 0.125]);
    await assert.rejects(
      invertMatricesInParallel([
        { matrix: Float32Array.from([1, 2, 2, 4]), n: 2 },
        { matrix: Float32Array.from(b), n: 2 },
      ]),
      /singular/,
    );
    await assert.rejects(
      invertMatricesInParallel([
        { matrix: new Float32Array(3), n: 2 },
        { matrix: b, n: 2 },
      ]),
      /expected a 2 x 2/,
    );
  });
});
