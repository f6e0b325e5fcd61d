import { float32LittleEndian } from './littleEndian';

/** Protobuf wire types (the low three bits of a field key). */
const VARINT = 0;
const FIXED32 = 5;
const LENGTH_DELIMITED = 2;

const TEXT = new TextEncoder();

/**
 * A minimal append-only encoder for the protobuf binary wire format: varints, fixed32 floats,
 * length-delimited bytes/strings/sub-messages and packed repeated scalars. It knows nothing about
 * schemas; callers supply field numbers. Integers are JS numbers (safe integers) or bigints, and
 * negative values are written as 64-bit two's complement, as protobuf does for `int32`/`int64`.
 *
 * @example
 * new ProtoWriter().uint64Field(1, 150).finish(); // [0x08, 0x96, 0x01]
 */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  /** Appends a bare varint (no key). */
  varint(value: number | bigint): this {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) {
        throw new Error(`varint value must be a safe integer or a bigint; received ${value}`);
      }
      if (value >= 0) return this.unsignedNumberVarint(value);
      value = BigInt(value);
    }
    if (value < -(1n << 63n) || value >= 1n << 64n) {
      throw new Error(`varint value must fit in 64 bits; received ${value}`);
    }
    let v = BigInt.asUintN(64, value);
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
    return this;
  }

  /** Appends a field key: `(field << 3) | wireType`. */
  key(field: number, wireType: number): this {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) {
      throw new Error(`protobuf field number must be an integer in [1, 2^29-1]; received ${field}`);
    }
    return this.unsignedNumberVarint(field * 8 + wireType);
  }

  /** Writes a varint field (`int32`, `int64`, `uint64`, `bool`, enum). */
  uint64Field(field: number, value: number | bigint): this {
    return this.key(field, VARINT).varint(value);
  }

  /** Writes a `float` field as fixed32 little-endian IEEE-754 single precision. */
  floatField(field: number, value: number): this {
    this.key(field, FIXED32);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, value, true);
    this.len += 4;
    return this;
  }

  /** Writes a length-delimited field: `bytes`, or an already-encoded sub-message. */
  bytesField(field: number, bytes: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED).varint(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** Writes a `string` field, UTF-8 encoded. */
  stringField(field: number, value: string): this {
    return this.bytesField(field, TEXT.encode(value));
  }

  /** Writes a sub-message field built by `build` on a fresh writer. */
  messageField(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytesField(field, inner.finish());
  }

  /** Writes a packed repeated varint field; nothing when `values` is empty (proto2 "absent"). */
  packedVarintField(field: number, values: ArrayLike<number | bigint>): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.varint(values[i]!);
    return this.bytesField(field, inner.finish());
  }

  /** Writes a packed repeated `float` field; nothing when `values` is empty. */
  packedFloatField(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    return this.bytesField(field, float32LittleEndian(values));
  }

  /** The encoded bytes so far (a copy; the writer can keep appending). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private unsignedNumberVarint(value: number): this {
    this.ensure(10);
    // Bit operators truncate to 32 bits, so large values go through division instead.
    while (value > 0x7f) {
      this.buf[this.len++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[this.len++] = value;
    return this;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }
}
