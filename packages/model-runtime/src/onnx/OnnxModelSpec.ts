/**
 * A plain-object description of the subset of `onnx.proto` this package writes. It mirrors the
 * protobuf messages field for field (names in camelCase) so {@link encodeOnnxModel} stays a direct
 * transcription of the schema.
 */

/** Element types we emit; numeric codes are `TensorProto.DataType`. */
export type OnnxElemType = 'float' | 'int64';

/** An initializer (`TensorProto`). `storage` picks `raw_data` (default) or the typed repeated field. */
export type OnnxTensor = {
  name: string;
  dims: readonly number[];
} & (
  | { type: 'float'; data: ArrayLike<number>; storage?: 'raw' | 'typed' }
  | { type: 'int64'; data: ArrayLike<number | bigint>; storage?: 'raw' | 'typed' }
);

/** A node attribute (`AttributeProto`), tagged with its `AttributeType`. */
export type OnnxAttribute = { name: string } & (
  | { type: 'int'; value: number | bigint }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: ArrayLike<number | bigint> }
  | { type: 'floats'; value: ArrayLike<number> }
  | { type: 'strings'; value: readonly string[] }
);

/** A graph input or output (`ValueInfoProto` with a tensor type). Strings in `shape` are `dim_param`s. */
export interface OnnxValueInfo {
  name: string;
  elemType: OnnxElemType;
  shape: readonly (number | string)[];
}

/** A node (`NodeProto`). `domain` defaults to the default ONNX domain (""). */
export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: readonly OnnxAttribute[];
}

/** A graph (`GraphProto`). */
export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

/** An operator set import (`OperatorSetIdProto`); domain "" is `ai.onnx`. */
export interface OnnxOpsetImport {
  domain: string;
  version: number;
}

/** A model (`ModelProto`). Omitted fields take the defaults documented on {@link encodeOnnxModel}. */
export interface OnnxModelSpec {
  graph: OnnxGraph;
  irVersion?: number;
  opsetImports?: readonly OnnxOpsetImport[];
  producerName?: string;
  producerVersion?: string;
}
