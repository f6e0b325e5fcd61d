import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtoWriter } from '../src/protobuf/ProtoWriter';
import { float32LittleEndian, int64LittleEndian } from '../src/protobuf/littleEndian';

const bytes = (w: ProtoWriter): number[] => [...w.finish()];

// Expected bytes are worked out by hand from the protobuf encoding rules (several are the
// examples in the protobuf encoding guide).
describe('ProtoWriter', () => {
  it('encodes varints in little-endian base-128 groups', () => {
    assert.deepEqual(bytes(new ProtoWriter().varint(0)), [0x00]);
    assert.deepEqual(bytes(new ProtoWriter().varint(1)), [0x01]);
    assert.deepEqual(bytes(new ProtoWriter().varint(127)), [0x7f]);
    assert.deepEqual(bytes(new ProtoWriter().varint(128)), [0x80, 0x01]);
    assert.deepEqual(bytes(new ProtoWriter().varint(300)), [0xac, 0x02]);
    assert.deepEqual(bytes(new ProtoWriter().varint(2 ** 32)), [0x80, 0x80, 0x80, 0x80, 0x10]);
    assert.deepEqual(
      bytes(new ProtoWriter().varint(Number.MAX_SAFE_INTEGER)),
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
    );
    assert.deepEqual(
      bytes(new ProtoWriter().varint(1n << 63n)),
      [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    );
  });

  it('encodes negative integers as ten-byte two’s complement', () => {
    const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    assert.deepEqual(bytes(new ProtoWriter().varint(-1)), minusOne);
    assert.deepEqual(bytes(new ProtoWriter().varint(-1n)), minusOne);
    assert.deepEqual(bytes(new ProtoWriter().varint(-2)), [0xfe, ...minusOne.slice(1)]);
  });

  it('refuses values a varint cannot carry exactly', () => {
    assert.throws(() => new ProtoWriter().varint(1.5), /safe integer or a bigint; received 1.5/);
    assert.throws(() => new ProtoWriter().varint(2 ** 53), /received 9007199254740992/);
    assert.throws(() => new ProtoWriter().varint(1n << 64n), /fit in 64 bits/);
    assert.throws(() => new ProtoWriter().key(0, 0), /field number .* received 0/);
  });

  it('writes keys as (field << 3) | wire type', () => {
    assert.deepEqual(bytes(new ProtoWriter().uint64Field(1, 150)), [0x08, 0x96, 0x01]);
    assert.deepEqual(bytes(new ProtoWriter().uint64Field(20, 2)), [0xa0, 0x01, 0x02]);
    assert.deepEqual(bytes(new ProtoWriter().uint64Field(16, 1)), [0x80, 0x01, 0x01]);
  });

  it('writes strings and bytes length-delimited', () => {
    assert.deepEqual(
      bytes(new ProtoWriter().stringField(2, 'testing')),
      [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67],
    );
    assert.deepEqual(bytes(new ProtoWriter().stringField(1, 'é')), [0x0a, 0x02, 0xc3, 0xa9]);
    assert.deepEqual(bytes(new ProtoWriter().bytesField(9, new Uint8Array(0))), [0x4a, 0x00]);
  });

  it('nests sub-messages with their length', () => {
    const w = new ProtoWriter().messageField(3, (m) => m.uint64Field(1, 150));
    assert.deepEqual(bytes(w), [0x1a, 0x03, 0x08, 0x96, 0x01]);
  });

  it('writes floats as fixed32 little-endian', () => {
    assert.deepEqual(bytes(new ProtoWriter().floatField(2, 1.5)), [0x15, 0x00, 0x00, 0xc0, 0x3f]);
    assert.deepEqual(bytes(new ProtoWriter().floatField(2, -2)), [0x15, 0x00, 0x00, 0x00, 0xc0]);
  });

  it('packs repeated varints and floats, and omits empty ones', () => {
    assert.deepEqual(
      bytes(new ProtoWriter().packedVarintField(4, [3, 270, 86942])),
      [0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05],
    );
    assert.deepEqual(
      bytes(new ProtoWriter().packedFloatField(4, [1, -2])),
      [0x22, 0x08, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0],
    );
    assert.deepEqual(bytes(new ProtoWriter().packedVarintField(4, [])), []);
    assert.deepEqual(bytes(new ProtoWriter().packedFloatField(4, new Float32Array(0))), []);
  });

  it('grows past its initial buffer without losing bytes', () => {
    const payload = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
    const out = new ProtoWriter().uint64Field(1, 7).bytesField(2, payload).finish();
    assert.deepEqual([...out.subarray(0, 5)], [0x08, 0x07, 0x12, 0x88, 0x27]); // 5000 = 0x1388
    assert.deepEqual(out.subarray(5), payload);
  });
});

describe('little-endian tensor bytes', () => {
  it('lays out float32 and int64 values little-endian', () => {
    assert.deepEqual([...float32LittleEndian([1, 0.5])], [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x3f]);
    assert.deepEqual(
      [...int64LittleEndian([-1, 258n])],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0, 0, 0, 0, 0, 0],
    );
    assert.throws(() => int64LittleEndian([0.5]), /safe integer or a bigint; received 0.5/);
  });
});
