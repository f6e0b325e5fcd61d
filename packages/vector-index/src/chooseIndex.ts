import { readFileSync } from 'node:fs';
import type { IndexType } from './createVectorIndex';
import { describe } from './validate';

/** What the engine asks of its embedding index. */
export interface IndexRequirements {
  /** Vectors to index (the catalogue size). */
  size: number;
  /** Minimum recall@100 against exact search (default 0.95). */
  recallTarget?: number;
  /** Single-query p99 latency budget in ms, one query per call on one thread (default 1). */
  latencyBudgetMs?: number;
  /** Memory budget for the native index in MiB (default: none). */
  memoryBudgetMiB?: number;
}

/** Settings for {@link createVectorIndex} besides backend and dim. */
export interface IndexParams {
  hnswM?: number;
  efConstruction?: number;
  efSearch?: number;
  nlist?: number;
  nprobe?: number;
  pqM?: number;
  pqBits?: number;
  refine?: number;
  /** IVF build: k-means rows per list, as calibrated (faiss's default is 256). */
  trainPointsPerList?: number;
}

/** The index structure and settings chosen for a catalogue, with what the calibration expects of them. */
export interface IndexChoice {
  type: IndexType;
  params: IndexParams;
  /** Expected at `size` from the calibration: recall@100, p99 of one query, native index memory. */
  expected: { recall: number; p99Ms: number; memoryMiB: number };
  /** Whether the expected numbers meet every requirement (else the best compromise, see `reason`). */
  meetsTargets: boolean;
  /** Requirements as applied (defaults filled in). */
  requirements: Required<Omit<IndexRequirements, 'memoryBudgetMiB'>> & { memoryBudgetMiB: number | null };
  /** Catalogue size of the calibration points used; `extrapolated` when `size` is beyond the largest. */
  calibratedAt: number;
  extrapolated: boolean;
  reason: string;
}

/** One measured configuration (64-d, inner product, k = 100): bench/scale-faiss.ts, see docs/scaling.md. */
export interface CalibrationPoint {
  size: number;
  type: IndexType;
  params: IndexParams;
  recall: number;
  p99Ms: number;
  /** Serialised native index bytes per vector (without the id map and raw vector copy). */
  bytesPerVector: number;
}

/**
 * Measured on the reference machine (2 cores shared with other work, see docs/scaling.md) by
 *   nice -n 10 node --import tsx bench/scale-faiss.ts --sizes 10000,100000 --json FILE
 *   nice -n 10 node --import tsx bench/scale-faiss.ts --sizes 1000000 --only ... --json FILE (per family)
 * and, for issue 7, IVF with 4,096-16,384 lists (`--nlist`, `--train-per-list`), IVF-SQ8 and HNSW
 * with efConstruction 200 at 100k (exact commands in docs/scaling.md section 2), on clustered 64-d
 * vectors with 500 held-out queries, one query per call with OMP_NUM_THREADS=1.
 * Per size and structure only the settings on the recall / p99 frontier are kept. `bytesPerVector`
 * is the native index; the engine's wrapper also keeps the id map and the raw vectors (4 x dim bytes).
 */
export const CALIBRATION: readonly CalibrationPoint[] = (
  JSON.parse(readFileSync(new URL('./calibration.json', import.meta.url), 'utf8')) as {
    points: CalibrationPoint[];
  }
).points;

/**
 * Picks the index structure and parameters for a catalogue from the calibration measurements, as a
 * pure function of the requirements:
 *
 * 1. The calibration tier is the smallest measured size >= `size` (a bigger catalogue is never easier),
 *    else the largest one, extrapolated: flat latency grows linearly with the size, HNSW with its
 *    logarithm, IVF linearly (the lists grow as sqrt(size) and the probed share is kept); recall is
 *    assumed to hold, which the `extrapolated` flag marks as unmeasured.
 * 2. IVF points are rescaled to `size`: nlist = the power of two nearest sqrt(size) times the
 *    calibrated multiple of it (IVF4096 at 1M: 4), nprobe keeping the calibrated share of lists.
 * 3. Exact flat search wins whenever it fits the latency and memory budgets. Otherwise the fastest
 *    point meeting recall, latency and memory; if none does, the fastest meeting recall and memory
 *    (over the latency budget), else the most accurate within memory, else the smallest.
 */
export function chooseIndex(req: IndexRequirements): IndexChoice {
  const size = req?.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
    throw new RangeError(`size must be an integer >= 0; received ${describe(size)}`);
  }
  const recallTarget = req.recallTarget ?? 0.95;
  const latencyBudgetMs = req.latencyBudgetMs ?? 1;
  const memoryBudgetMiB = req.memoryBudgetMiB ?? null;
  if (!(recallTarget > 0 && recallTarget <= 1)) {
    throw new RangeError(`recallTarget must be in (0, 1]; received ${describe(recallTarget)}`);
  }
  if (!(latencyBudgetMs > 0)) {
    throw new RangeError(`latencyBudgetMs must be > 0; received ${describe(latencyBudgetMs)}`);
  }
  if (memoryBudgetMiB !== null && !(memoryBudgetMiB > 0)) {
    throw new RangeError(`memoryBudgetMiB must be > 0; received ${describe(memoryBudgetMiB)}`);
  }
  const requirements = { size, recallTarget, latencyBudgetMs, memoryBudgetMiB };
  const sizes = [...new Set(CALIBRATION.map((p) => p.size))].sort((a, b) => a - b);
  const calibratedAt = sizes.find((s) => s >= size) ?? sizes[sizes.length - 1]!;
  const extrapolated = size > calibratedAt;

  const candidates = CALIBRATION.filter((p) => p.size === calibratedAt).map((p) => {
    const params = { ...p.params };
    let p99Ms = p.p99Ms;
    if (p.type === 'flat') p99Ms *= Math.max(size, 1) / p.size;
    if (p.type === 'hnsw' && extrapolated) p99Ms *= Math.log(size) / Math.log(p.size);
    if (p.type === 'ivf-flat' || p.type === 'ivf-pq' || p.type === 'ivf-sq8') {
      const share = p.params.nprobe! / p.params.nlist!;
      // Lists keep their calibrated multiple of ~sqrt(n) (IVF4096 at 1M is 4 x ivfLists(1M)).
      const multiple = p.params.nlist! / ivfLists(p.size);
      params.nlist = Math.max(1, Math.min(Math.max(size, 1), Math.round(multiple * ivfLists(size))));
      params.nprobe = Math.max(1, Math.min(params.nlist, Math.round(share * params.nlist)));
      if (extrapolated) p99Ms *= size / p.size;
    }
    const memoryMiB = (p.bytesPerVector * size) / 2 ** 20;
    return { type: p.type, params, expected: { recall: p.recall, p99Ms, memoryMiB } };
  });
  const fitsMemory = (c: (typeof candidates)[number]) =>
    memoryBudgetMiB === null || c.expected.memoryMiB <= memoryBudgetMiB;
  const fast = (c: (typeof candidates)[number]) => c.expected.p99Ms <= latencyBudgetMs;
  const accurate = (c: (typeof candidates)[number]) => c.expected.recall >= recallTarget;
  const byLatency = (a: (typeof candidates)[number], b: (typeof candidates)[number]) =>
    a.expected.p99Ms - b.expected.p99Ms || a.expected.memoryMiB - b.expected.memoryMiB;

  const flat = candidates.find((c) => c.type === 'flat' && fitsMemory(c) && fast(c));
  const feasible = candidates.filter((c) => fitsMemory(c) && fast(c) && accurate(c)).sort(byLatency);
  const slow = candidates.filter((c) => fitsMemory(c) && accurate(c)).sort(byLatency);
  const inMemory = candidates
    .filter(fitsMemory)
    .sort((a, b) => b.expected.recall - a.expected.recall || byLatency(a, b));
  const smallest = [...candidates].sort((a, b) => a.expected.memoryMiB - b.expected.memoryMiB);
  const [chosen, why] = flat
    ? [flat, 'exact flat search fits the latency budget']
    : feasible[0]
      ? [feasible[0], 'the fastest calibrated setting meeting recall, latency and memory']
      : slow[0]
        ? [
            slow[0],
            'no calibrated setting meets the latency budget at this recall: the fastest that meets recall',
          ]
        : inMemory[0]
          ? [
              inMemory[0],
              'no calibrated setting meets the recall target within memory: the most accurate that fits',
            ]
          : [smallest[0]!, 'nothing fits the memory budget: the smallest index'];
  const meetsTargets = fitsMemory(chosen) && fast(chosen) && accurate(chosen);
  return {
    ...chosen,
    meetsTargets,
    requirements,
    calibratedAt,
    extrapolated,
    reason: `${why}${extrapolated ? ` (extrapolated from ${calibratedAt} vectors)` : ''}`,
  };
}

/** IVF inverted lists for n vectors: the power of two nearest sqrt(n), at least 1. */
export function ivfLists(n: number): number {
  return 2 ** Math.max(0, Math.round(Math.log2(Math.sqrt(Math.max(n, 1)))));
}
