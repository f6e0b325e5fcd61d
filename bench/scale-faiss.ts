/**
 * Benchmark: faiss index structures at growing catalogue sizes, through the engine's own
 * `@recs/vector-index` (so latency includes the id mapping and input checks the servers pay).
 *
 *   node --import tsx bench/scale-faiss.ts [--sizes 10000,100000,1000000] [--dim 64] [--queries 500]
 *     [--k 100] [--only flat,hnsw,ivf-flat,ivf-pq,ivf-sq8] [--hnsw-m 16,32] [--ef-construction 80]
 *     [--ef 100,128,192,256,384,512] [--nlist 4096,16384] [--nprobe 4,8,16,32,64,128] [--pq-m 16,32]
 *     [--pq-bits 8,4] [--refine 1,4,16] [--train-per-list 256] [--step-timeout-min 15] [--seed 7]
 *     [--json FILE]
 *
 * `--nlist` defaults to the power of two nearest sqrt(n) (as `chooseIndex` sizes IVF); every listed
 * value is built for each IVF family. `--pq-bits 4` builds faiss's SIMD fast-scan PQ (`PQ<m>x4fs`).
 * `--refine` (exact re-ranking of refine x k candidates) applies to IVF-PQ and IVF-SQ8.
 * `--train-per-list` samples fewer rows per list for IVF k-means (faiss's default and maximum: 256),
 * which bounds the build time of many lists. `--step-timeout-min` stops a build (or search) child
 * after that many minutes and reports it as failed; HNSW builds log their progress (rows added so far)
 * so a stopped build still says how far it got.
 *
 * Per size it generates the vectors once (see `clusteredVectors`), computes the exact top-k of every
 * query with faiss's flat index, then builds each structure in a child process of its own, so the
 * RSS delta of the build is the index's alone and nothing is left from the previous one. For each
 * search setting it reports recall@k against the exact top-k and the latency of single queries (one
 * `search()` call per query, in sequence, after 20 warm-up queries): p50 and p99.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '@recs/core';
import {
  createVectorIndex,
  ivfLists,
  loadVectorIndex,
  type FaissIndex,
  type FaissSearchParams,
  type IndexType,
} from '@recs/vector-index';

/** One structure to build, with the search settings to sweep on it. */
interface BuildSpec {
  type: IndexType;
  hnswM?: number;
  efConstruction?: number;
  nlist?: number;
  pqM?: number;
  pqBits?: number;
  /** IVF k-means sample per list, when not faiss's 256. */
  trainPointsPerList?: number;
  /** Search settings to measure (efSearch for HNSW, nprobe and refine for IVF); none for flat. */
  sweep: FaissSearchParams[];
}

/** What a child reports for one structure. */
interface BuildResult {
  spec: BuildSpec;
  size: number;
  buildSeconds: number;
  rssDeltaMiB: number;
  indexMiB: number;
  /** Time to load the saved index (ids, vectors, native index) in a fresh process. */
  loadSeconds: number;
  points: {
    setting: FaissSearchParams | null;
    recall: number;
    p50Ms: number;
    p99Ms: number;
    queries: number;
  }[];
}

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    dim: { type: 'string', default: '64' },
    queries: { type: 'string', default: '500' },
    k: { type: 'string', default: '100' },
    only: { type: 'string', default: 'flat,hnsw,ivf-flat,ivf-pq' },
    'hnsw-m': { type: 'string', default: '16,32' },
    'ef-construction': { type: 'string', default: '80' },
    ef: { type: 'string', default: '100,128,192,256,384,512' },
    nlist: { type: 'string' },
    nprobe: { type: 'string', default: '4,8,16,32,64,128' },
    'pq-m': { type: 'string', default: '16,32' },
    'pq-bits': { type: 'string', default: '8' },
    'train-per-list': { type: 'string', default: '256' },
    'step-timeout-min': { type: 'string' },
    refine: { type: 'string', default: '1,4,16' },
    seed: { type: 'string', default: '7' },
    json: { type: 'string' },
    child: { type: 'string' },
    spec: { type: 'string' },
    data: { type: 'string' },
  },
});
const ints = (text: string) => text.split(',').map((s) => Number(s.trim()));
const dim = Number(values.dim);
const k = Number(values.k);
const WARMUP = 20;

if (values.child) {
  runChild(values.child, JSON.parse(values.spec!) as BuildSpec, values.data!);
} else {
  runParent();
}

/**
 * Item vectors with the structure of real product embeddings rather than isotropic noise: 24
 * category directions, themes (product lines) of about 40 items around their own direction, and
 * per-item noise with a decaying spectrum (dimension j scaled by 1/sqrt(j+1), like the singular
 * values of a low-rank factorisation), L2-normalised for cosine / inner product. Queries are new
 * items drawn from the same process ("similar products" lookups), not members of the index.
 */
function clusteredVectors(n: number, dim: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const unit = () => {
    const v = Float64Array.from({ length: dim }, gauss);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  const categories = Array.from({ length: 24 }, unit);
  const themeCount = Math.max(1, Math.round(n / 40));
  const themes = Array.from({ length: themeCount }, () => ({
    dir: unit(),
    category: categories[Math.floor(random() * categories.length)]!,
  }));
  const spectrum = Float64Array.from({ length: dim }, (_, j) => 1 / Math.sqrt(j + 1));
  const spectrumNorm = Math.hypot(...spectrum);
  const out = new Float32Array(n * dim);
  const v = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const theme = themes[Math.floor(random() * themeCount)]!;
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      v[j] = 0.6 * theme.category[j]! + 0.8 * theme.dir[j]! + (0.9 * gauss() * spectrum[j]!) / spectrumNorm;
      norm += v[j]! * v[j]!;
    }
    norm = Math.sqrt(norm);
    for (let j = 0; j < dim; j++) out[i * dim + j] = v[j]! / norm;
  }
  return out;
}

function runParent(): void {
  const sizes = ints(values.sizes!);
  const queries = Number(values.queries);
  const seed = Number(values.seed);
  const only = new Set(values.only!.split(','));
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout: the commit stays unknown.
  }
  console.log('# bench/scale-faiss');
  console.log(
    `setup: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ` +
      `commit ${commit}, load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}, OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS ?? '(unset)'}`,
  );
  console.log(
    `data: clustered Gaussian item vectors (24 categories, themes of ~40 items, decaying-spectrum noise), dim ${dim}, ` +
      `L2-normalised, inner product; ${queries} held-out query vectors; recall@${k} against faiss IndexFlatIP; seed ${seed}`,
  );
  console.log(
    `build: ${process.env.OMP_NUM_THREADS ? `OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS}` : 'default faiss threads'}; ` +
      'RSS delta = index + id map + raw vector copy; index = serialised faiss index; ' +
      'load = saved index into a fresh process; search: OMP_NUM_THREADS=1, one query per call, after 20 warm-up queries',
  );
  for (const n of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'recs-bench-faiss-'));
    try {
      const t0 = performance.now();
      const base = clusteredVectors(n, dim, seed);
      const q = clusteredVectors(queries, dim, seed + 1);
      const exact = createVectorIndex({ backend: 'faiss', type: 'flat', dim });
      exact.add(
        Array.from({ length: n }, (_, i) => String(i)),
        base,
      );
      const truth = exact.searchBatch(q, k).map((hits) => hits.map((h) => Number(h.id)));
      writeFileSync(join(dir, 'base.f32'), new Uint8Array(base.buffer));
      writeFileSync(join(dir, 'queries.f32'), new Uint8Array(q.buffer));
      writeFileSync(join(dir, 'truth.json'), JSON.stringify(truth));
      console.log(`\n## ${n.toLocaleString('en')} x ${dim} (data + exact top-${k} in ${secs(t0)} s)`);
      for (const spec of specsFor(n, only)) {
        const saved = join(dir, 'index');
        const built = runStep<Omit<BuildResult, 'spec' | 'points' | 'loadSeconds'>>(spec, 'build', dir, {});
        const searched =
          built &&
          runStep<Pick<BuildResult, 'points' | 'loadSeconds'>>(spec, 'search', dir, { OMP_NUM_THREADS: '1' });
        rmSync(saved, { recursive: true, force: true });
        if (!built || !searched) continue;
        const result: BuildResult = { spec, ...built, ...searched };
        printResult(result);
        if (values.json) appendFileSync(values.json, JSON.stringify(result) + '\n');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** The structures swept at size n: IVF lists `--nlist`, else ~ sqrt(n) (a power of two, as `chooseIndex` sizes them). */
function specsFor(n: number, only: Set<string>): BuildSpec[] {
  const specs: BuildSpec[] = [];
  if (only.has('flat')) specs.push({ type: 'flat', sweep: [] });
  if (only.has('hnsw')) {
    for (const m of ints(values['hnsw-m']!)) {
      specs.push({
        type: 'hnsw',
        hnswM: m,
        efConstruction: Number(values['ef-construction']),
        sweep: ints(values.ef!).map((efSearch) => ({ efSearch })),
      });
    }
  }
  const perList = Number(values['train-per-list']);
  const train = perList === 256 ? {} : { trainPointsPerList: perList };
  for (const nlist of values.nlist ? ints(values.nlist) : [ivfLists(n)]) {
    const nprobe = ints(values.nprobe!).filter((p) => p <= nlist);
    const refined = ints(values.refine!).flatMap((refine) => nprobe.map((p) => ({ nprobe: p, refine })));
    if (only.has('ivf-flat'))
      specs.push({ type: 'ivf-flat', nlist, ...train, sweep: nprobe.map((p) => ({ nprobe: p })) });
    if (only.has('ivf-sq8')) specs.push({ type: 'ivf-sq8', nlist, ...train, sweep: refined });
    if (only.has('ivf-pq')) {
      for (const pqBits of ints(values['pq-bits']!)) {
        for (const pqM of ints(values['pq-m']!)) {
          const bits = pqBits === 8 ? {} : { pqBits };
          specs.push({ type: 'ivf-pq', nlist, pqM, ...bits, ...train, sweep: refined });
        }
      }
    }
  }
  return specs;
}

/** Runs one step in a child process and returns the JSON line it prints (undefined after printing why it failed). */
function runStep<T>(
  spec: BuildSpec,
  step: 'build' | 'search',
  dir: string,
  env: Record<string, string>,
): T | undefined {
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      import.meta.filename,
      ...['--child', step, '--spec', JSON.stringify(spec), '--data', dir],
      ...['--dim', String(dim), '--k', String(k)],
    ],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      maxBuffer: 1 << 26,
      ...(values['step-timeout-min'] ? { timeout: Number(values['step-timeout-min']) * 60_000 } : {}),
    },
  );
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  if (child.status !== 0 || !line) {
    const why = child.error?.message.includes('ETIMEDOUT')
      ? `stopped after ${values['step-timeout-min']} min`
      : `exit ${child.status}`;
    console.log(`${describeSpec(spec)}: ${step} FAILED (${why}) ${child.stderr.slice(-400)}`);
    return undefined;
  }
  return JSON.parse(line) as T;
}

/**
 * `build`: builds the structure with faiss's default threads (both cores) and saves it. `search`:
 * loads it in a process started with OMP_NUM_THREADS=1, as a server answering one query per call
 * should run faiss (with more threads each single-query call pays OpenMP fork/join, and on a busy
 * machine waits for a descheduled thread: p50 of 12 ms instead of 0.3 ms measured here), and sweeps
 * the search settings.
 */
function runChild(step: string, spec: BuildSpec, dir: string): void {
  const saved = join(dir, 'index');
  if (step === 'build') {
    const base = new Float32Array(new Uint8Array(readFileSync(join(dir, 'base.f32'))).buffer);
    const n = base.length / dim;
    const ids = Array.from({ length: n }, (_, i) => String(i));
    const { sweep: _sweep, ...options } = spec;
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const index = createVectorIndex({ backend: 'faiss', dim, ...options }) as FaissIndex;
    // HNSW has nothing to train: add in slices and log progress, for builds stopped by the timeout.
    const slice = spec.type === 'hnsw' ? 50_000 : n;
    for (let at = 0; at < n; at += slice) {
      const end = Math.min(n, at + slice);
      index.add(ids.slice(at, end), base.subarray(at * dim, end * dim));
      if (slice < n) console.error(`added ${end} of ${n} rows in ${secs(t0)} s`);
    }
    const buildSeconds = (performance.now() - t0) / 1000;
    const rssDeltaMiB = (process.memoryUsage().rss - rss0) / 2 ** 20;
    // A temporary copy of the native index, taken after the RSS reading.
    const indexMiB = index.serialisedBytes() / 2 ** 20;
    void index.save(saved).then(() => {
      console.log(JSON.stringify({ size: n, buildSeconds, rssDeltaMiB, indexMiB }));
    });
    return;
  }
  const queries = new Float32Array(new Uint8Array(readFileSync(join(dir, 'queries.f32'))).buffer);
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as number[][];
  const t0 = performance.now();
  void loadVectorIndex(saved).then((loaded) => {
    const index = loaded as FaissIndex;
    const loadSeconds = (performance.now() - t0) / 1000;
    const points: BuildResult['points'] = [];
    for (const setting of spec.sweep.length > 0 ? spec.sweep : [null]) {
      const tuned = setting === null ? index : index.withSearchParams(setting);
      points.push({ setting, ...measureSearch(tuned, queries, truth) });
    }
    console.log(JSON.stringify({ loadSeconds, points }));
  });
}

function measureSearch(index: FaissIndex, queries: Float32Array, truth: number[][]) {
  const nq = queries.length / dim;
  for (let w = 0; w < Math.min(WARMUP, nq); w++) index.search(queries.subarray(w * dim, (w + 1) * dim), k);
  const times: number[] = [];
  let found = 0;
  for (let q = 0; q < nq; q++) {
    const query = queries.subarray(q * dim, (q + 1) * dim);
    const t0 = performance.now();
    const hits = index.search(query, k);
    times.push(performance.now() - t0);
    const expected = new Set(truth[q]);
    for (const hit of hits) if (expected.has(Number(hit.id))) found++;
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { recall: found / (nq * k), p50Ms: pct(0.5), p99Ms: pct(0.99), queries: nq };
}

function describeSpec(spec: BuildSpec): string {
  const train = spec.trainPointsPerList ? ` (k-means on ${spec.trainPointsPerList}/list)` : '';
  return describeStructure(spec) + train;
}

function describeStructure(spec: BuildSpec): string {
  switch (spec.type) {
    case 'flat':
      return 'flat';
    case 'hnsw':
      return `HNSW${spec.hnswM},Flat efC ${spec.efConstruction}`;
    case 'ivf-flat':
      return `IVF${spec.nlist},Flat`;
    case 'ivf-pq':
      return `IVF${spec.nlist},PQ${spec.pqM}${spec.pqBits === 4 ? 'x4fs' : ''}`;
    case 'ivf-sq8':
      return `IVF${spec.nlist},SQ8`;
  }
}

function printResult(r: BuildResult): void {
  console.log(
    `${describeSpec(r.spec)}: build ${r.buildSeconds.toFixed(1)} s, RSS +${r.rssDeltaMiB.toFixed(0)} MiB, ` +
      `index ${r.indexMiB.toFixed(1)} MiB, load ${r.loadSeconds.toFixed(1)} s`,
  );
  for (const p of r.points) {
    const setting =
      p.setting === null
        ? 'exact'
        : Object.entries(p.setting)
            .map(([key, value]) => `${key} ${value}`)
            .join(' ');
    console.log(
      `  ${setting.padEnd(20)} recall@${k} ${p.recall.toFixed(3)}  p50 ${p.p50Ms.toFixed(3)} ms  p99 ${p.p99Ms.toFixed(3)} ms`,
    );
  }
}

function secs(t0: number): string {
  return ((performance.now() - t0) / 1000).toFixed(1);
}
