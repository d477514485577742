/** safetensors reader: round trip, dtype conversion, and every malformed-file error. */
import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../src/errors.js';
import { parseSafetensors, serializeSafetensors, toFloat32, toIntArray } from '../../src/io/safetensors.js';

function fileWithHeader(header: object | string, dataBytes = 0, lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

const expectCode = (f: () => unknown, code: string, message?: RegExp) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetensorsError);
  expect((err as SafetensorsError).code).toBe(code);
  if (message) expect((err as Error).message).toMatch(message);
};

describe('safetensors', () => {
  it('round-trips tensors and metadata', () => {
    const bytes = serializeSafetensors(
      { a: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, ids: { dtype: 'I32', shape: [2], data: Int32Array.from([7, -1]) } },
      { format: 'pt' },
    );
    const f = parseSafetensors(bytes);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(Array.from(toFloat32(f.tensors.get('a')!))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(toIntArray(f.tensors.get('ids')!))).toEqual([7, -1]);
    expect((new DataView(bytes.buffer).getUint32(0, true) + 8) % 8).toBe(0);
  });

  it('converts F16 and BF16 to float32', () => {
    // 1.0, -2.0, 0.5 in half; 1.0, -2.0, 0.5 in bfloat16
    const half = Uint16Array.from([0x3c00, 0xc000, 0x3800]);
    const bf = Uint16Array.from([0x3f80, 0xc000, 0x3f00]);
    const header = { h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, b: { dtype: 'BF16', shape: [3], data_offsets: [6, 12] } };
    const f0 = fileWithHeader(header, 12);
    const json = JSON.stringify(header).length;
    f0.set(new Uint8Array(half.buffer), 8 + json);
    f0.set(new Uint8Array(bf.buffer), 8 + json + 6);
    const f = parseSafetensors(f0);
    expect(Array.from(toFloat32(f.tensors.get('h')!))).toEqual([1, -2, 0.5]);
    expect(Array.from(toFloat32(f.tensors.get('b')!))).toEqual([1, -2, 0.5]);
  });

  it('rejects a file shorter than the length prefix', () => expectCode(() => parseSafetensors(new Uint8Array(5)), 'truncated', /shorter than the 8-byte/));
  it('rejects a header length past the end of the file', () => expectCode(() => parseSafetensors(fileWithHeader({}, 0, 1000n)), 'truncated', /runs past the end/));
  it('rejects an absurd header length', () => expectCode(() => parseSafetensors(fileWithHeader({}, 0, 1n << 40n)), 'header-too-large'));
  it('rejects malformed JSON', () => expectCode(() => parseSafetensors(fileWithHeader('{"a": [1,')), 'bad-json'));
  it('rejects a JSON header that is not an object', () => expectCode(() => parseSafetensors(fileWithHeader('[1, 2]')), 'bad-json'));
  it('rejects an unknown dtype, naming the tensor', () =>
    expectCode(() => parseSafetensors(fileWithHeader({ w: { dtype: 'F8_E4M3X', shape: [1], data_offsets: [0, 1] } }, 1)), 'bad-dtype', /"w".*F8_E4M3X/));
  it('rejects offsets outside the data', () =>
    expectCode(() => parseSafetensors(fileWithHeader({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8)), 'bad-offsets', /outside the 8-byte data section/));
  it('rejects reversed offsets', () => expectCode(() => parseSafetensors(fileWithHeader({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, 8)), 'bad-offsets'));
  it('rejects overlapping tensors', () =>
    expectCode(
      () => parseSafetensors(fileWithHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12)),
      'overlap',
      /"a".*"b"/,
    ));
  it('rejects shape x dtype not matching the byte length', () =>
    expectCode(() => parseSafetensors(fileWithHeader({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)), 'size-mismatch', /shape \[3\] of F32 = 12 bytes/));
  it('rejects a negative or fractional shape', () =>
    expectCode(() => parseSafetensors(fileWithHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } })), 'bad-shape'));
  it('refuses float conversion of integer tensors', () => {
    const f = parseSafetensors(serializeSafetensors({ i: { dtype: 'I32', shape: [1], data: Int32Array.from([1]) } }));
    expect(() => toFloat32(f.tensors.get('i')!)).toThrow(SafetensorsError);
  });
});
