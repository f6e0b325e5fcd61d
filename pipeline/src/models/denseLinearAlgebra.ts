/**
 * Small dense linear algebra for the factor models: systems and decompositions of size f × f (f = a
 * few dozen factors), where a plain triple loop in float64 is exact enough and costs microseconds.
 * Matrices are row-major.
 */

/**
 * Solves A x = b for a symmetric positive definite `n × n` matrix A by Cholesky factorisation
 * A = L Lᵀ, then forward (L y = b) and back (Lᵀ x = y) substitution. Cost n³/3. Throws when A is not
 * positive definite (a non-positive pivot).
 */
export function choleskySolve(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error(`choleskySolve: matrix is not positive definite (pivot ${i})`);
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}

/**
 * Eigen-decomposition of a symmetric `n × n` matrix by cyclic Jacobi rotations (each rotation zeroes
 * one off-diagonal entry; sweeps repeat until the off-diagonal mass is negligible). Returns the
 * eigenvalues in descending order and the eigenvectors as the matching columns of `vectors`.
 */
export function symmetricEigen(
  matrix: ArrayLike<number>,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix as ArrayLike<number>);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i]! ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j]! ** 2;
    }
    if (off <= 1e-24 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        // rotation angle that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1)
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y]! - a[x * n + x]!);
  const values = Float64Array.from(order, (i) => a[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src]!;
  });
  return { values, vectors };
}

/**
 * Orthonormalises the `cols` columns of a row-major `rows × cols` matrix in place (modified
 * Gram-Schmidt, twice for stability); a column that becomes numerically zero is left at zero.
 */
export function orthonormaliseColumns(m: Float64Array, rows: number, cols: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < cols; j++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += m[r * cols + j]! * m[r * cols + p]!;
        for (let r = 0; r < rows; r++) m[r * cols + j]! -= dot * m[r * cols + p]!;
      }
      let norm = 0;
      for (let r = 0; r < rows; r++) norm += m[r * cols + j]! ** 2;
      norm = Math.sqrt(norm);
      const inv = norm > 1e-12 ? 1 / norm : 0;
      for (let r = 0; r < rows; r++) m[r * cols + j]! *= inv;
    }
  }
}
