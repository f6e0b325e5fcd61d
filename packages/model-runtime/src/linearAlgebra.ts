import { Worker } from 'node:worker_threads';
import { encodeOnnxModel } from './onnx/encodeOnnxModel';

/**
 * Inverts a dense square float32 matrix (row-major, `n × n`) with ONNX Runtime's `Inverse` operator
 * (com.microsoft domain, LU with partial pivoting in Eigen). Training uses it for closed-form models
 * (EASE needs the inverse of a regularised item Gram matrix): at a few thousand items it is an
 * order of magnitude faster than the same elimination written in TypeScript.
 * Throws when the input is not `n × n` or the result is not finite (a singular matrix).
 */
export async function invertMatrix(matrix: Float32Array, n: number, threads = 2): Promise<Float32Array> {
  if (!Number.isInteger(n) || n < 1 || matrix.length !== n * n) {
    throw new Error(
      `invertMatrix: expected a ${n} x ${n} matrix (${n * n} values); received ${matrix.length}`,
    );
  }
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(inverseModel(n), { intraOpNumThreads: threads });
  try {
    const out = await session.run({ A: new ort.Tensor('float32', matrix, [n, n]) });
    return checkedInverse(out.inverse!.data as Float32Array, n);
  } finally {
    await session.release();
  }
}

/** An ONNX model with one `Inverse` node over a float32 `[n, n]` input `A`, output `inverse`. */
function inverseModel(n: number): Uint8Array {
  return encodeOnnxModel({
    graph: {
      name: 'inverse',
      nodes: [{ opType: 'Inverse', domain: 'com.microsoft', inputs: ['A'], outputs: ['inverse'] }],
      initializers: [],
      inputs: [{ name: 'A', elemType: 'float', shape: [n, n] }],
      outputs: [{ name: 'inverse', elemType: 'float', shape: [n, n] }],
    },
    opsetImports: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
  });
}

function checkedInverse(result: Float32Array, n: number): Float32Array {
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(result[i * n + i]!)) throw new Error('invertMatrix: the matrix is singular');
  }
  return result;
}

/**
 * Worker threads kept for the life of the process: onnxruntime-node's addon cannot be loaded again
 * in a new thread once a thread that loaded it has exited, so workers are reused, never terminated
 * (they are unref'ed and do not keep the process alive).
 */
const pool: Worker[] = [];
const busy = new Set<Worker>();

function idleWorker(): Worker {
  const free = pool.find((w) => !busy.has(w));
  if (free) return free;
  const worker = new Worker(new URL('./inverseWorker.mjs', import.meta.url));
  worker.unref();
  pool.push(worker);
  return worker;
}

/**
 * Inverts several matrices at once, each in a worker thread (ONNX Runtime runs one inference at a
 * time per thread here, so two EASE models on two cores need two threads). Same contract as
 * {@link invertMatrix}; the inputs' buffers are transferred to the workers and become unusable.
 */
export async function invertMatricesInParallel(
  jobs: readonly { matrix: Float32Array; n: number }[],
): Promise<Float32Array[]> {
  for (const job of jobs) {
    if (!Number.isInteger(job.n) || job.n < 1 || job.matrix.length !== job.n * job.n) {
      throw new Error(
        `invertMatrix: expected a ${job.n} x ${job.n} matrix (${job.n * job.n} values); received ${job.matrix.length}`,
      );
    }
  }
  if (jobs.length <= 1) return Promise.all(jobs.map((j) => invertMatrix(j.matrix, j.n)));
  return Promise.all(
    jobs.map(
      (job) =>
        new Promise<Float32Array>((resolve, reject) => {
          const worker = idleWorker();
          busy.add(worker);
          const onError = (err: Error) => {
            busy.delete(worker);
            pool.splice(pool.indexOf(worker), 1);
            reject(err);
          };
          worker.once('error', onError);
          worker.once('message', (msg: { inverse?: Float32Array; error?: string }) => {
            worker.off('error', onError);
            busy.delete(worker);
            if (!msg.inverse) return reject(new Error(msg.error));
            try {
              resolve(checkedInverse(msg.inverse, job.n));
            } catch (err) {
              reject(err as Error);
            }
          });
          worker.postMessage({ model: inverseModel(job.n), matrix: job.matrix, n: job.n }, [
            job.matrix.buffer as ArrayBuffer,
          ]);
        }),
    ),
  );
}
