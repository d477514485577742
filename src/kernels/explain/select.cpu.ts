/**
 * CPU twin of `selectKth` and the order-preserving float key it works on: per segment of n
 * values, state [4s] = key of the (k+1)-th smallest value, [4s + 1] = its rank among the values
 * with that key (0 when the key is unique).
 */
const view = new DataView(new ArrayBuffer(4));

/** The u32 key of an f32: order-preserving (negative floats reversed), as FLOAT_KEY_WGSL. */
export function floatKey(v: number): number {
  view.setFloat32(0, v, true);
  const b = view.getUint32(0, true);
  return (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
}

export function selectKthCpu(x: ArrayLike<number>, S: number, n: number, k: number): Uint32Array {
  const state = new Uint32Array(4 * S);
  for (let s = 0; s < S; s++) {
    const keys = Array.from({ length: n }, (_, i) => floatKey(x[s * n + i])).sort((a, b) => a - b);
    state[4 * s] = keys[k];
    state[4 * s + 1] = k - keys.indexOf(keys[k]);
  }
  return state;
}
