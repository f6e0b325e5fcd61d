import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import {
  encodeOnnxModel,
  writeAttribute,
  writeOpsetImport,
  writeTensor,
  writeValueInfo,
} from '../src/onnx/encodeOnnxModel';
import type { OnnxAttribute, OnnxTensor } from '../src/onnx/OnnxModelSpec';
import { ProtoWriter } from '../src/protobuf/ProtoWriter';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const encode = (write: (w: ProtoWriter) => void): number[] => {
  const w = new ProtoWriter();
  write(w);
  return [...w.finish()];
};
const attribute = (a: OnnxAttribute): number[] => encode((w) => writeAttribute(w, a));

describe('ONNX message encoding (hand-computed bytes)', () => {
  it('OperatorSetIdProto: domain = 1, version = 2', () => {
    assert.deepEqual(
      encode((w) => writeOpsetImport(w, { domain: 'ai.onnx.ml', version: 3 })),
      [0x0a, 10, ...ascii('ai.onnx.ml'), 0x10, 3],
    );
  });

  it('AttributeProto of every type puts the value in its field and the type in field 20', () => {
    assert.deepEqual(attribute({ name: 'transB', type: 'int', value: 1 }), [
      0x0a,
      6,
      ...ascii('transB'),
      0x18,
      1,
      0xa0,
      0x01,
      2,
    ]);
    assert.deepEqual(
      attribute({ name: 'a', type: 'float', value: 0.5 }),
      [0x0a, 1, 0x61, 0x15, 0, 0, 0, 0x3f, 0xa0, 0x01, 1],
    );
    assert.deepEqual(attribute({ name: 'a', type: 'string', value: 'SUM' }), [
      0x0a,
      1,
      0x61,
      0x22,
      3,
      ...ascii('SUM'),
      0xa0,
      0x01,
      3,
    ]);
    assert.deepEqual(
      attribute({ name: 'a', type: 'floats', value: [1] }),
      [0x0a, 1, 0x61, 0x3a, 4, 0, 0, 0x80, 0x3f, 0xa0, 0x01, 6],
    );
    assert.deepEqual(
      attribute({ name: 'a', type: 'ints', value: [1, -1] }),
      [0x0a, 1, 0x61, 0x42, 11, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xa0, 0x01, 7],
    );
    assert.deepEqual(
      attribute({ name: 'a', type: 'strings', value: ['x', 'yz'] }),
      [0x0a, 1, 0x61, 0x4a, 1, 0x78, 0x4a, 2, 0x79, 0x7a, 0xa0, 0x01, 8],
    );
  });

  it('TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 or float_data = 4 / int64_data = 7', () => {
    const t = (tensor: OnnxTensor): number[] => encode((w) => writeTensor(w, tensor));
    assert.deepEqual(
      t({ name: 'w', type: 'float', dims: [1], data: [1] }),
      [0x0a, 1, 1, 0x10, 1, 0x42, 1, 0x77, 0x4a, 4, 0, 0, 0x80, 0x3f],
    );
    assert.deepEqual(
      t({ name: 'w', type: 'float', dims: [1], data: [1], storage: 'typed' }),
      [0x0a, 1, 1, 0x10, 1, 0x42, 1, 0x77, 0x22, 4, 0, 0, 0x80, 0x3f],
    );
    assert.deepEqual(
      t({ name: 's', type: 'int64', dims: [2], data: [2, 3], storage: 'typed' }),
      [0x0a, 1, 2, 0x10, 7, 0x42, 1, 0x73, 0x3a, 2, 2, 3],
    );
    assert.deepEqual(
      t({ name: 's', type: 'int64', dims: [1], data: [258] }),
      [0x0a, 1, 1, 0x10, 7, 0x42, 1, 0x73, 0x4a, 8, 2, 1, 0, 0, 0, 0, 0, 0],
    );
  });

  it('refuses tensor data that does not match its dims', () => {
    assert.throws(
      () => encode((w) => writeTensor(w, { name: 'w', type: 'float', dims: [2, 2], data: [1, 2, 3] })),
      /tensor w: dims \[2,2\] need 4 values; received 3/,
    );
  });

  it('ValueInfoProto nests TypeProto.tensor_type → elem_type, shape → dim (dim_param / dim_value)', () => {
    const dimN = [0x0a, 3, 0x12, 1, 0x4e]; // Dimension { dim_param: "N" }
    const dim4 = [0x0a, 2, 0x08, 4]; // Dimension { dim_value: 4 }
    const shape = [0x12, dimN.length + dim4.length, ...dimN, ...dim4];
    const tensorType = [0x08, 1, ...shape];
    assert.deepEqual(
      encode((w) => writeValueInfo(w, { name: 'x', elemType: 'float', shape: ['N', 4] })),
      [0x0a, 1, 0x78, 0x12, tensorType.length + 2, 0x0a, tensorType.length, ...tensorType],
    );
  });

  it('ModelProto starts with ir_version 8 and producer_name, and ends with both opset imports', () => {
    const bytes = encodeOnnxModel({
      graph: { name: 'g', nodes: [], initializers: [], inputs: [], outputs: [] },
    });
    const producer = ascii('@recs/model-runtime');
    assert.deepEqual(
      [...bytes.subarray(0, 4 + producer.length)],
      [0x08, 8, 0x12, producer.length, ...producer],
    );
    const tail = [0x42, 4, 0x0a, 0, 0x10, 17, 0x42, 14, 0x0a, 10, ...ascii('ai.onnx.ml'), 0x10, 3];
    assert.deepEqual([...bytes.subarray(bytes.length - tail.length)], tail);
  });
});

describe('ONNX Runtime loads what the encoder writes', () => {
  it('runs a graph using FLOAT / INTS attributes and raw and typed FLOAT / INT64 initializers', async (t) => {
    const model = encodeOnnxModel({
      graph: {
        name: 'encoder_check',
        nodes: [
          {
            opType: 'LeakyRelu',
            inputs: ['x'],
            outputs: ['a'],
            attributes: [{ name: 'alpha', type: 'float', value: 0.25 }],
          },
          {
            opType: 'Transpose',
            inputs: ['a'],
            outputs: ['b'],
            attributes: [{ name: 'perm', type: 'ints', value: [1, 0] }],
          },
          { opType: 'Reshape', inputs: ['b', 'flat'], outputs: ['c'] },
          { opType: 'Reshape', inputs: ['c', 'back'], outputs: ['d'] },
          {
            opType: 'Transpose',
            inputs: ['d'],
            outputs: ['e'],
            attributes: [{ name: 'perm', type: 'ints', value: [1, 0] }],
          },
          { opType: 'Mul', inputs: ['e', 'scale'], outputs: ['f'] },
          { opType: 'Add', inputs: ['f', 'shift'], outputs: ['y'] },
        ],
        initializers: [
          { name: 'flat', type: 'int64', dims: [1], data: [-1] },
          { name: 'back', type: 'int64', dims: [2], data: [3, -1], storage: 'typed' },
          { name: 'scale', type: 'float', dims: [3], data: [1, 2, 3] },
          { name: 'shift', type: 'float', dims: [3], data: [0.5, 0, -0.5], storage: 'typed' },
        ],
        inputs: [{ name: 'x', elemType: 'float', shape: ['N', 3] }],
        outputs: [{ name: 'y', elemType: 'float', shape: ['N', 3] }],
      },
    });
    const session = await ort.InferenceSession.create(model);
    t.after(() => session.release());
    assert.deepEqual(session.inputMetadata[0], {
      name: 'x',
      isTensor: true,
      type: 'float32',
      shape: ['N', 3],
    });
    const x = new ort.Tensor('float32', new Float32Array([1, -4, 2, -8, 3, 0]), [2, 3]);
    const { y } = await session.run({ x });
    // leaky(x) = [1, −1, 2, −2, 3, 0]; × [1, 2, 3] + [0.5, 0, −0.5]
    assert.deepEqual([...(y!.data as Float32Array)], [1.5, -2, 5.5, -1.5, 6, -0.5]);
  });
});
