/** Little-endian float32 bytes of `values`, independent of host endianness (ONNX raw_data layout). */
export function float32LittleEndian(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}

/** Little-endian int64 bytes of `values` (ONNX raw_data layout). */
export function int64LittleEndian(values: ArrayLike<number | bigint>): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v === 'number' && !Number.isSafeInteger(v)) {
      throw new Error(`int64 value must be a safe integer or a bigint; received ${v}`);
    }
    view.setBigInt64(i * 8, BigInt(v), true);
  }
  return out;
}
