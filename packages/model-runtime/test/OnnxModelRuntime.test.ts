import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { exportOnnx } from '../src/exportOnnx';
import { encodeOnnxModel } from '../src/onnx/encodeOnnxModel';
import type { OnnxValueInfo } from '../src/onnx/OnnxModelSpec';
import { loadOnnxModel } from '../src/OnnxModelRuntime';
import { referenceRuntime } from '../src/referenceRuntime';
import { runModelRuntimeContract } from './ModelRuntime.contract';
import { maxAbsDiff, randomMlp, seededRandom, uniform } from './random';

runModelRuntimeContract('onnxruntime', (model) => loadOnnxModel(exportOnnx(model)), 'onnxruntime');

/** An Identity/Add model with the given graph inputs and outputs, to probe the loader's checks. */
function modelWithIo(inputs: OnnxValueInfo[], outputs: OnnxValueInfo[]): Uint8Array {
  const nodes =
    inputs.length === 2
      ? [{ opType: 'Add', inputs: inputs.map((i) => i.name), outputs: [outputs[0]!.name] }]
      : outputs.map((o) => ({ opType: 'Identity', inputs: [inputs[0]!.name], outputs: [o.name] }));
  return encodeOnnxModel({ graph: { name: 'io', nodes, initializers: [], inputs, outputs } });
}

describe('loadOnnxModel', () => {
  it('loads a model saved to a file path and predicts like the in-memory one', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'model-runtime-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const rng = seededRandom(3);
    const mlp = randomMlp(rng, [16, 32, 1], true);
    const path = join(dir, 'ranker.onnx');
    await writeFile(path, exportOnnx(mlp));
    const fromFile = await loadOnnxModel(path);
    t.after(() => fromFile.close());
    assert.equal(fromFile.kind, 'onnxruntime');
    assert.deepEqual([fromFile.inputDim, fromFile.outputDim], [16, 1]);
    const x = Float32Array.from({ length: 100 * 16 }, () => uniform(rng, -1, 1));
    const expected = await referenceRuntime(mlp).predict(x, 100);
    assert.ok(maxAbsDiff(await fromFile.predict(x, 100), expected) <= 1e-5);
  });

  it('accepts more intra-op threads when asked', async (t) => {
    const mlp = randomMlp(seededRandom(4), [8, 4, 2], false);
    const runtime = await loadOnnxModel(exportOnnx(mlp), { intraOpThreads: 2 });
    t.after(() => runtime.close());
    const x = new Float32Array(8 * 3).fill(0.5);
    assert.ok(maxAbsDiff(await runtime.predict(x, 3), await referenceRuntime(mlp).predict(x, 3)) <= 1e-5);
  });

  it('rejects an invalid intraOpThreads or source', async () => {
    const bytes = exportOnnx(randomMlp(seededRandom(4), [2, 1], false));
    await assert.rejects(
      loadOnnxModel(bytes, { intraOpThreads: 0 }),
      /intraOpThreads must be a positive integer; received 0/,
    );
    await assert.rejects(
      loadOnnxModel(123 as unknown as string),
      /source must be a file path or Uint8Array; received \[object Number\]/,
    );
  });

  it('names the path or byte count when ONNX Runtime cannot load the model', async () => {
    await assert.rejects(
      loadOnnxModel('/nonexistent/model.onnx'),
      /failed to load ONNX model from \/nonexistent\/model.onnx: /,
    );
    await assert.rejects(
      loadOnnxModel(new Uint8Array([1, 2, 3, 4])),
      /failed to load ONNX model from 4 bytes: /,
    );
  });

  it('refuses models whose input or output is not a single float32 [N, width] tensor', async () => {
    const f = (name: string, shape: (number | string)[]): OnnxValueInfo => ({
      name,
      elemType: 'float',
      shape,
    });
    await assert.rejects(
      loadOnnxModel(modelWithIo([f('a', ['N', 2]), f('b', ['N', 2])], [f('y', ['N', 2])])),
      /exactly one input; received 2 \(a, b\)/,
    );
    await assert.rejects(
      loadOnnxModel(modelWithIo([f('x', ['N', 'D'])], [f('y', ['N', 'D'])])),
      /input x must be a float32 \[N, width\] tensor with fixed width; received float32 \[N, D\]/,
    );
    await assert.rejects(
      loadOnnxModel(modelWithIo([f('x', ['N', 2])], [f('y', ['N', 2]), f('z', ['N', 2])])),
      /exactly one output; received 2 \(y, z\)/,
    );
    await assert.rejects(
      loadOnnxModel(
        modelWithIo(
          [{ name: 'x', elemType: 'int64', shape: ['N', 2] }],
          [{ name: 'y', elemType: 'int64', shape: ['N', 2] }],
        ),
      ),
      /input x must be a float32 \[N, width\] tensor with fixed width; received int64 \[N, 2\]/,
    );
  });

  it('does not load the native addon until a model is loaded', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const cache = createRequire(process.cwd() + '/').cache;
      const loaded = () => Object.keys(cache).some((k) => k.includes('onnxruntime-node'));
      const m = await import('@recs/model-runtime');
      const before = loaded();
      const rt = await m.loadOnnxModel(m.exportOnnx({ kind: 'dotProduct', dim: 1, itemCount: 1, items: new Float32Array([1]) }));
      await rt.close();
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ]);
    assert.deepEqual(JSON.parse(stdout), { before: false, after: true });
  });
});
