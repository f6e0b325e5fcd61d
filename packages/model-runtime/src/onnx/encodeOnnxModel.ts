import { ProtoWriter } from '../protobuf/ProtoWriter';
import { float32LittleEndian, int64LittleEndian } from '../protobuf/littleEndian';
import type {
  OnnxAttribute,
  OnnxElemType,
  OnnxGraph,
  OnnxModelSpec,
  OnnxNode,
  OnnxOpsetImport,
  OnnxTensor,
  OnnxValueInfo,
} from './OnnxModelSpec';

/** IR version 8 is what ONNX 1.10+ writes for opset 17; every onnxruntime since 1.10 reads it. */
export const DEFAULT_IR_VERSION = 8;

/** ai.onnx 17 for the neural ops, ai.onnx.ml 3 for `TreeEnsembleRegressor`. */
export const DEFAULT_OPSET_IMPORTS: readonly OnnxOpsetImport[] = [
  { domain: '', version: 17 },
  { domain: 'ai.onnx.ml', version: 3 },
];

export const DEFAULT_PRODUCER_NAME = '@recs/model-runtime';

/** `TensorProto.DataType` codes. */
const DATA_TYPE: Record<OnnxElemType, number> = { float: 1, int64: 7 };

/** `AttributeProto.AttributeType` codes. */
const ATTRIBUTE_TYPE: Record<OnnxAttribute['type'], number> = {
  float: 1,
  int: 2,
  string: 3,
  floats: 6,
  ints: 7,
  strings: 8,
};

const TEXT = new TextEncoder();

/**
 * Serialises a model description to ONNX protobuf bytes (a `.onnx` file's content).
 * Defaults: `irVersion` {@link DEFAULT_IR_VERSION}, `opsetImports` {@link DEFAULT_OPSET_IMPORTS},
 * `producerName` {@link DEFAULT_PRODUCER_NAME}. Tensor data is checked against `dims` so a shape
 * mistake fails here rather than as an opaque onnxruntime load error.
 */
export function encodeOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const w = new ProtoWriter();
  // ModelProto
  w.uint64Field(1, spec.irVersion ?? DEFAULT_IR_VERSION);
  w.stringField(2, spec.producerName ?? DEFAULT_PRODUCER_NAME);
  if (spec.producerVersion !== undefined) w.stringField(3, spec.producerVersion);
  w.messageField(7, (g) => writeGraph(g, spec.graph));
  for (const opset of spec.opsetImports ?? DEFAULT_OPSET_IMPORTS) {
    w.messageField(8, (o) => writeOpsetImport(o, opset));
  }
  return w.finish();
}

/** `OperatorSetIdProto`: domain = 1, version = 2. */
export function writeOpsetImport(w: ProtoWriter, opset: OnnxOpsetImport): void {
  w.stringField(1, opset.domain);
  w.uint64Field(2, opset.version);
}

/** `GraphProto`: node = 1, name = 2, initializer = 5, input = 11, output = 12. */
function writeGraph(w: ProtoWriter, graph: OnnxGraph): void {
  for (const node of graph.nodes) w.messageField(1, (n) => writeNode(n, node));
  w.stringField(2, graph.name);
  for (const tensor of graph.initializers) w.messageField(5, (t) => writeTensor(t, tensor));
  for (const input of graph.inputs) w.messageField(11, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.messageField(12, (v) => writeValueInfo(v, output));
}

/** `NodeProto`: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7. */
function writeNode(w: ProtoWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.stringField(1, input);
  for (const output of node.outputs) w.stringField(2, output);
  if (node.name !== undefined) w.stringField(3, node.name);
  w.stringField(4, node.opType);
  for (const attribute of node.attributes ?? []) w.messageField(5, (a) => writeAttribute(a, attribute));
  if (node.domain !== undefined && node.domain !== '') w.stringField(7, node.domain);
}

/**
 * `AttributeProto`: name = 1, f = 2, i = 3, s = 4, floats = 7, ints = 8, strings = 9, type = 20.
 * Repeated numeric values are written packed; protobuf parsers must accept packed and unpacked alike.
 */
export function writeAttribute(w: ProtoWriter, attribute: OnnxAttribute): void {
  w.stringField(1, attribute.name);
  switch (attribute.type) {
    case 'float':
      w.floatField(2, attribute.value);
      break;
    case 'int':
      w.uint64Field(3, attribute.value);
      break;
    case 'string':
      w.bytesField(4, TEXT.encode(attribute.value));
      break;
    case 'floats':
      w.packedFloatField(7, attribute.value);
      break;
    case 'ints':
      w.packedVarintField(8, attribute.value);
      break;
    case 'strings':
      for (const s of attribute.value) w.bytesField(9, TEXT.encode(s));
      break;
  }
  w.uint64Field(20, ATTRIBUTE_TYPE[attribute.type]);
}

/** `TensorProto`: dims = 1, data_type = 2, float_data = 4, int64_data = 7, name = 8, raw_data = 9. */
export function writeTensor(w: ProtoWriter, tensor: OnnxTensor): void {
  const expected = tensor.dims.reduce((a, b) => a * b, 1);
  if (tensor.dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`tensor ${tensor.name}: dims must be non-negative integers; received [${tensor.dims}]`);
  }
  if (tensor.data.length !== expected) {
    throw new Error(
      `tensor ${tensor.name}: dims [${tensor.dims}] need ${expected} values; received ${tensor.data.length}`,
    );
  }
  w.packedVarintField(1, tensor.dims);
  w.uint64Field(2, DATA_TYPE[tensor.type]);
  w.stringField(8, tensor.name);
  const raw = (tensor.storage ?? 'raw') === 'raw';
  if (tensor.type === 'float') {
    if (raw) w.bytesField(9, float32LittleEndian(tensor.data));
    else w.packedFloatField(4, tensor.data);
  } else {
    if (raw) w.bytesField(9, int64LittleEndian(tensor.data));
    else w.packedVarintField(7, tensor.data);
  }
}

/**
 * `ValueInfoProto` (name = 1, type = 2) → `TypeProto` (tensor_type = 1) → `TypeProto.Tensor`
 * (elem_type = 1, shape = 2) → `TensorShapeProto` (dim = 1) → `Dimension` (dim_value = 1, dim_param = 2).
 */
export function writeValueInfo(w: ProtoWriter, info: OnnxValueInfo): void {
  w.stringField(1, info.name);
  w.messageField(2, (type) =>
    type.messageField(1, (tensorType) => {
      tensorType.uint64Field(1, DATA_TYPE[info.elemType]);
      tensorType.messageField(2, (shape) => {
        for (const dim of info.shape) {
          shape.messageField(1, (d) =>
            typeof dim === 'string' ? d.stringField(2, dim) : d.uint64Field(1, dim),
          );
        }
      });
    }),
  );
}
