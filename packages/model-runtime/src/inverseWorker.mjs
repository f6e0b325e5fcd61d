// Worker side of invertMatricesInParallel (linearAlgebra.ts). Plain JavaScript so it runs in a worker
// thread without a TypeScript loader: it receives the ONNX model bytes built by the main thread and
// one matrix, and answers with the inverse (or an error message).
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

parentPort.on('message', async ({ model, matrix, n }) => {
  try {
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
    const out = await session.run({ A: new ort.Tensor('float32', matrix, [n, n]) });
    await session.release();
    const inverse = out.inverse.data;
    parentPort.postMessage({ inverse }, [inverse.buffer]);
  } catch (err) {
    parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
