/** The restricted unpickler on hand-written pickle streams: values, memo, and every refusal. */
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/errors.js';
import { unpickle, type UnpicklePolicy } from '../../src/io/pickle.js';
import { thrown as thrownOf } from '../helpers/thrown.js';

const thrown = (f: () => unknown) => thrownOf(f, CheckpointError);

const none: UnpicklePolicy = { findGlobal: () => undefined };

/** Bytes from a mix of strings (latin1) and byte arrays. */
function p(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const x of parts) {
    if (typeof x === 'string') for (let i = 0; i < x.length; i++) out.push(x.charCodeAt(i));
    else out.push(...x);
  }
  return Uint8Array.from(out);
}
const binunicode = (s: string) => {
  const b = new TextEncoder().encode(s);
  return [0x58, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0, ...b];
};


describe('unpickle: values', () => {
  it('reads scalars, strings, bytes, containers and the memo', () => {
    // {'a': [1, 300, -2, None, True, False, 1.5], 'b': ('x', b'\x01\x02'), 'c': <memo 1 again>}
    const data = p(
      [0x80, 2], '}q', [0], '(',
      binunicode('a'), ']q', [1], '(', 'K', [1], 'M', [0x2c, 0x01], 'J', [0xfe, 0xff, 0xff, 0xff], 'N', [0x88, 0x89],
      'G', [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], 'e',
      binunicode('b'), [0x8c, 1], 'x', 'C', [2, 1, 2], [0x86],
      binunicode('c'), 'h', [1],
      'u.',
    );
    const v = unpickle(data, none) as Map<string, unknown>;
    expect(v).toBeInstanceOf(Map);
    expect(v.get('a')).toEqual([1, 300, -2, null, true, false, 1.5]);
    const b = v.get('b') as unknown[];
    expect(Object.isFrozen(b)).toBe(true);
    expect(b[0]).toBe('x');
    expect(Array.from(b[1] as Uint8Array)).toEqual([1, 2]);
    expect(v.get('c')).toBe(v.get('a'));
  });

  it('reads LONG1 integers of any sign and size', () => {
    expect(unpickle(p([0x80, 2, 0x8a, 1, 0xff], '.'), none)).toBe(-1);
    expect(unpickle(p([0x80, 2, 0x8a, 6, 0, 0, 0, 0, 0, 1], '.'), none)).toBe(2 ** 40);
    expect(unpickle(p([0x80, 2, 0x8a, 0], '.'), none)).toBe(0);
    expect(unpickle(p([0x80, 2, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1], '.'), none)).toBe(1n << 64n);
  });

  it('reads protocol 4 framing, short strings and MEMOIZE', () => {
    const data = p([0x80, 4, 0x95, 10, 0, 0, 0, 0, 0, 0, 0, 0x8c, 2], 'hi', [0x94, 0x68, 0, 0x86], '.');
    expect(unpickle(data, none)).toEqual(['hi', 'hi']);
  });

  it('calls only what the policy allows, with the arguments of REDUCE', () => {
    const calls: unknown[] = [];
    const policy: UnpicklePolicy = {
      findGlobal: (m, n) => (m === 'mod' && n === 'f' ? { qualifiedName: 'mod.f', call: (args) => (calls.push(args), 42) } : undefined),
    };
    expect(unpickle(p([0x80, 2], 'cmod\nf\n', 'K', [7], [0x85], 'R.'), policy)).toBe(42);
    expect(calls).toEqual([[7]]);
  });
});

describe('unpickle: refusals', () => {
  it('refuses a GLOBAL the policy does not name, naming it', () => {
    const e = thrown(() => unpickle(p([0x80, 2], 'cos\nsystem\n', binunicode('ls'), [0x85], 'R.'), none, 'evil.pkl'));
    expect(e.code).toBe('refused-global');
    expect(e.message).toMatch(/^evil\.pkl: refuses global "os\.system"/);
  });

  it('refuses STACK_GLOBAL the same way', () => {
    const e = thrown(() => unpickle(p([0x80, 4, 0x8c, 8], 'builtins', [0x8c, 4], 'eval', [0x93], '.'), none));
    expect(e.message).toMatch(/global "builtins\.eval"/);
  });

  it('refuses INST and OBJ, naming the class', () => {
    expect(thrown(() => unpickle(p('(', 'ios\nsystem\n.'), none)).message).toMatch(/instantiating "os\.system" \(INST\)/);
    const policy: UnpicklePolicy = { findGlobal: () => ({ qualifiedName: 'collections.OrderedDict' }) };
    expect(thrown(() => unpickle(p('(ccollections\nOrderedDict\no.'), policy)).message).toMatch(/instantiating collections\.OrderedDict \(OBJ\)/);
  });

  it('refuses REDUCE / NEWOBJ on an allowed global that is not callable', () => {
    const policy: UnpicklePolicy = { findGlobal: () => ({ qualifiedName: 'torch.FloatStorage' }) };
    expect(thrown(() => unpickle(p([0x80, 2], 'ctorch\nFloatStorage\n)R.'), policy)).message).toMatch(/calling torch\.FloatStorage/);
    expect(thrown(() => unpickle(p([0x80, 2], 'ctorch\nFloatStorage\n)', [0x81], '.'), policy)).message).toMatch(/constructing torch\.FloatStorage/);
  });

  it('refuses BUILD on anything but dicts and buildable records', () => {
    expect(thrown(() => unpickle(p([0x80, 2], ']}b.'), none)).message).toMatch(/setting the state of list of 0 \(BUILD\)/);
  });

  it('refuses the extension registry and persistent ids without a loader', () => {
    expect(thrown(() => unpickle(p([0x80, 2, 0x82, 1], '.'), none)).message).toMatch(/EXT1/);
    expect(thrown(() => unpickle(p([0x80, 2], 'K', [1], 'Q.'), none)).message).toMatch(/persistent ids/);
  });

  it('gives typed errors for broken streams', () => {
    expect(thrown(() => unpickle(p([0x80, 2], 'X', [9, 0, 0, 0], 'ab'), none)).code).toBe('truncated');
    expect(thrown(() => unpickle(p([0x80, 2], 'K', [1]), none)).code).toBe('truncated');
    expect(thrown(() => unpickle(p([0x80, 2], 'h', [5], '.'), none)).message).toMatch(/memo index 5/);
    expect(thrown(() => unpickle(p([0x80, 2], 'K', [1], 'K', [2], '.'), none)).message).toMatch(/leaves 1 values/);
    expect(thrown(() => unpickle(p([0x80, 2], 'u.'), none)).message).toMatch(/no MARK/);
    expect(thrown(() => unpickle(p([0x80, 2], 'S', "'x'\n."), none)).code).toBe('unsupported-opcode');
    expect(thrown(() => unpickle(p([0x80, 2, 0xfe]), none)).message).toMatch(/opcode 0xfe/);
    expect(thrown(() => unpickle(p([0x80, 2, 0x8b, 0, 0, 0, 1]), none)).message).toMatch(/LONG4 of 16777216 bytes/);
  });
});
