/**
 * Seeded, reproducible mutation of byte strings: input `i` of a run with seed `s` is always the
 * same bytes, so a run can stop and resume, and any finding can be regenerated from (seed, i).
 */

/** A small deterministic PRNG (mulberry32) seeded from the run seed and the input index. */
export class Rng {
  private state: number;

  constructor(seed: number, index: number) {
    this.state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
    for (let k = 0; k < 4; k++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Values that sit on the edges sizes and counts are checked against. */
export const INTERESTING_U32 = [0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 30000, 100000, 65535, 8192, 1 << 24];

/** One random structural change to `b` (a new array; the input is not modified). */
export function mutateBytes(b: Uint8Array, rng: Rng, donors: readonly Uint8Array[] = []): Uint8Array {
  const out = new Uint8Array(b);
  if (out.length === 0) return new Uint8Array([rng.int(256)]);
  const at = rng.int(out.length);
  switch (rng.int(9)) {
    case 0: // bit flips
      for (let k = 1 + rng.int(4); k > 0; k--) out[rng.int(out.length)] ^= 1 << rng.int(8);
      return out;
    case 1: // random bytes
      for (let k = 1 + rng.int(8); k > 0; k--) out[rng.int(out.length)] = rng.int(256);
      return out;
    case 2: { // an interesting 32-bit value, either endianness (sizes, counts, offsets)
      const v = rng.pick(INTERESTING_U32);
      if (at + 4 > out.length) return out;
      new DataView(out.buffer).setUint32(at, v, rng.chance(0.5));
      return out;
    }
    case 3: { // an interesting 16-bit value
      if (at + 2 > out.length) return out;
      new DataView(out.buffer).setUint16(at, rng.pick([0, 1, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 30000]), rng.chance(0.5));
      return out;
    }
    case 4: // truncate
      return out.subarray(0, rng.int(out.length));
    case 5: { // delete a range
      const len = 1 + rng.int(Math.min(64, out.length - at));
      const r = new Uint8Array(out.length - len);
      r.set(out.subarray(0, at));
      r.set(out.subarray(at + len), at);
      return r;
    }
    case 6: { // duplicate a range in place
      const len = 1 + rng.int(Math.min(256, out.length - at));
      const r = new Uint8Array(out.length + len);
      r.set(out.subarray(0, at + len));
      r.set(out.subarray(at, at + len), at + len);
      r.set(out.subarray(at + len), at + 2 * len);
      return r;
    }
    case 7: { // splice a piece of another seed
      if (donors.length === 0) return out;
      const d = rng.pick(donors);
      const from = rng.int(d.length);
      const len = Math.min(1 + rng.int(128), d.length - from, out.length - at);
      out.set(d.subarray(from, from + len), at);
      return out;
    }
    default: { // set a run of bytes to 0x00 or 0xff
      const len = 1 + rng.int(Math.min(16, out.length - at));
      out.fill(rng.chance(0.5) ? 0 : 0xff, at, at + len);
      return out;
    }
  }
}

/** 1 to `max` stacked mutations. */
export function mutateMany(b: Uint8Array, rng: Rng, donors: readonly Uint8Array[] = [], max = 3): Uint8Array {
  let out = b;
  for (let k = 1 + rng.int(max); k > 0; k--) out = mutateBytes(out, rng, donors);
  return out;
}
