/**
 * A restricted unpickler: it reads Python pickle streams (protocols 0-5 binary opcodes; the
 * protocol-2 subset torch.save writes) into plain JavaScript values and resolves every class
 * reference (GLOBAL, STACK_GLOBAL) through a policy that must name it explicitly. Nothing is
 * ever looked up by name in a JS scope; a reference the policy does not know stops the read
 * with a CheckpointError naming it, so a file that would run code under Python's pickle (e.g.
 * `os.system` + REDUCE) is refused at the reference, before anything is built from it.
 *
 * Values: None -> null, bool, int -> number (bigint beyond 2^53), float -> number, str -> string,
 * bytes -> Uint8Array, list -> array, tuple -> frozen array, dict -> Map.
 */
import { CheckpointError } from '../errors.js';

/** A class or function the policy allows; REDUCE calls `call`, NEWOBJ calls `newObj`. */
export interface PickleGlobal {
  readonly qualifiedName: string;
  call?(args: readonly unknown[]): unknown;
  newObj?(args: readonly unknown[]): unknown;
}

/** An object that accepts BUILD (pickle's `__setstate__` step) with the given state. */
export interface PickleBuildable {
  build(state: unknown): void;
}

export interface UnpicklePolicy {
  /** The allowed global `module.name`, or undefined to refuse it. */
  findGlobal(module: string, name: string): PickleGlobal | undefined;
  /** Resolves a persistent id (BINPERSID); without it persistent ids are refused. */
  persistentLoad?(pid: unknown): unknown;
  /** BUILD on a dict (e.g. OrderedDict attributes such as `_metadata`): default ignores the state. */
  buildDict?(target: Map<unknown, unknown>, state: unknown): void;
  /** Used in error messages. */
  refusalHint?: string;
}

const isGlobal = (v: unknown): v is PickleGlobal => typeof v === 'object' && v !== null && typeof (v as PickleGlobal).qualifiedName === 'string';
const isBuildable = (v: unknown): v is PickleBuildable => typeof v === 'object' && v !== null && typeof (v as PickleBuildable).build === 'function';

/** A short description of a value for error messages. */
export function describePickleValue(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return Object.isFrozen(v) ? `tuple of ${v.length}` : `list of ${v.length}`;
  if (v instanceof Map) return `dict of ${v.size}`;
  if (v instanceof Uint8Array) return `bytes of ${v.byteLength}`;
  if (isGlobal(v)) return v.qualifiedName;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT',
  0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND',
  0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET',
  0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3',
  0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const MARK = Symbol('mark');
const MAX_LONG_BYTES = 1024;

/** Little-endian two's-complement integer of any length (LONG1 / LONG4). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Unpickles one pickle stream. `source` names the stream in errors. */
export function unpickle(data: Uint8Array, policy: UnpicklePolicy, source = 'pickle'): unknown {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let op = 0;
  let opAt = 0;

  const fail: (code: string, message: string) => never = (code, message) => {
    throw new CheckpointError(code, `${source}: ${message}`);
  };
  const need = (n: number) => {
    if (n < 0 || pos + n > data.byteLength) fail('truncated', `pickle ends inside ${OPCODE_NAMES[op] ?? 'an opcode'} at byte ${opAt} (truncated file?)`);
  };
  const bytes = (n: number) => {
    need(n);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = () => (need(1), data[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(data.byteLength)) fail('truncated', `length ${v} at byte ${opAt} runs past the end of the pickle`);
    return Number(v);
  };
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail('truncated', `unterminated text argument of ${OPCODE_NAMES[op]} at byte ${opAt}`);
    const s = new TextDecoder().decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const text = (b: Uint8Array) => {
    try {
      return utf8.decode(b);
    } catch {
      return fail('bad-pickle', `invalid UTF-8 string at byte ${opAt}`);
    }
  };
  const latin1 = (b: Uint8Array) => {
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK) fail('bad-pickle', `${OPCODE_NAMES[op]} at byte ${opAt} pops an empty stack`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK) fail('bad-pickle', `${OPCODE_NAMES[op]} at byte ${opAt} needs a value on the stack`);
    return stack[stack.length - 1];
  };
  /** Pops everything down to the topmost MARK (and the mark). */
  const popMark = (): unknown[] => {
    const m = stack.lastIndexOf(MARK);
    if (m < 0) fail('bad-pickle', `${OPCODE_NAMES[op]} at byte ${opAt} has no MARK`);
    const items = stack.splice(m);
    items.shift();
    return items;
  };
  const refuse: (what: string) => never = (what) =>
    fail('refused-global', `refuses ${what}: vitlens reads only tensors and plain containers from checkpoints${policy.refusalHint ? ` (${policy.refusalHint})` : ''}. Under Python's pickle this reference could run code; do not torch.load this file unless you trust it`);
  const findGlobal = (module: string, name: string) => policy.findGlobal(module, name) ?? refuse(`global "${module}.${name}"`);
  const asDict = (v: unknown, what: string): Map<unknown, unknown> => (v instanceof Map ? v : fail('bad-pickle', `${what} on ${describePickleValue(v)}, expected a dict`));
  const asList = (v: unknown, what: string): unknown[] => (Array.isArray(v) && !Object.isFrozen(v) ? v : fail('bad-pickle', `${what} on ${describePickleValue(v)}, expected a list`));
  const setItems = (d: Map<unknown, unknown>, kv: unknown[]) => {
    if (kv.length % 2) fail('bad-pickle', `SETITEMS at byte ${opAt} has an odd number of items`);
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i];
      if (k !== null && typeof k === 'object' && !Object.isFrozen(k)) fail('bad-pickle', `unhashable dict key (${describePickleValue(k)}) at byte ${opAt}`);
      d.set(k, kv[i + 1]);
    }
  };
  const tuple = (items: unknown[]) => Object.freeze(items);

  for (;;) {
    opAt = pos;
    op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const p = u8();
        if (p > 5) fail('bad-pickle', `pickle protocol ${p} is newer than any Python writes (not a pickle?)`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        bytes(8);
        break;
      case 0x2e: { // STOP
        const v = pop();
        if (stack.length) fail('bad-pickle', `STOP at byte ${opAt} leaves ${stack.length} values on the stack`);
        return v;
      }
      case 0x28: stack.push(MARK); break;
      case 0x30: pop(); break;
      case 0x31: popMark(); break;
      case 0x32: stack.push(top()); break;
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4a: stack.push(i32()); break;
      case 0x4b: stack.push(u8()); break;
      case 0x4d: stack.push(u16()); break;
      case 0x8a: stack.push(decodeLong(bytes(u8()))); break;
      case 0x8b: {
        const n = i32();
        // Checkpoints hold small ints; a huge one would only cost quadratic decoding time.
        if (n < 0 || n > MAX_LONG_BYTES) fail('bad-pickle', `LONG4 of ${n} bytes at byte ${opAt} (at most ${MAX_LONG_BYTES} accepted)`);
        stack.push(decodeLong(bytes(n)));
        break;
      }
      case 0x49: { // INT (text; protocol 0 writes bools as 01 / 00)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.isSafeInteger(Number(s)) ? Number(s) : fail('bad-pickle', `bad INT "${s}"`));
        break;
      }
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break;
      case 0x58: stack.push(text(bytes(u32()))); break;
      case 0x8c: stack.push(text(bytes(u8()))); break;
      case 0x8d: stack.push(text(bytes(u64()))); break;
      case 0x54: {
        const n = i32();
        stack.push(latin1(bytes(n)));
        break;
      }
      case 0x55: stack.push(latin1(bytes(u8()))); break;
      case 0x42: stack.push(bytes(u32()).slice()); break;
      case 0x43: stack.push(bytes(u8()).slice()); break;
      case 0x8e: case 0x96: stack.push(bytes(u64()).slice()); break;
      case 0x29: stack.push(tuple([])); break;
      case 0x74: stack.push(tuple(popMark())); break;
      case 0x85: stack.push(tuple([pop()])); break;
      case 0x86: { const b = pop(); const a = pop(); stack.push(tuple([a, b])); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(tuple([a, b, c])); break; }
      case 0x5d: stack.push([]); break;
      case 0x6c: stack.push(popMark()); break;
      case 0x61: { const v = pop(); asList(top(), 'APPEND').push(v); break; }
      case 0x65: {
        const items = popMark();
        const list = asList(top(), 'APPENDS');
        for (const v of items) list.push(v);
        break;
      }
      case 0x7d: stack.push(new Map()); break;
      case 0x64: { const d = new Map(); setItems(d, popMark()); stack.push(d); break; }
      case 0x73: { const v = pop(); const k = pop(); setItems(asDict(top(), 'SETITEM'), [k, v]); break; }
      case 0x75: { const kv = popMark(); setItems(asDict(top(), 'SETITEMS'), kv); break; }
      case 0x71: memo.set(u8(), top()); break;
      case 0x72: memo.set(u32(), top()); break;
      case 0x94: memo.set(memo.size, top()); break;
      case 0x68: case 0x6a: {
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail('bad-pickle', `memo index ${i} at byte ${opAt} was never stored`);
        stack.push(memo.get(i));
        break;
      }
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(findGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('bad-pickle', `STACK_GLOBAL at byte ${opAt} needs two strings`);
        stack.push(findGlobal(module, name));
        break;
      }
      case 0x52: { // REDUCE: callable(*args)
        const args = pop();
        const f = pop();
        if (!Array.isArray(args)) fail('bad-pickle', `REDUCE at byte ${opAt} with arguments ${describePickleValue(args)}, expected a tuple`);
        if (!isGlobal(f) || !f.call) refuse(`calling ${describePickleValue(f)}`);
        stack.push(f.call(args));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) fail('bad-pickle', `NEWOBJ at byte ${opAt} with arguments ${describePickleValue(args)}, expected a tuple`);
        if (!isGlobal(cls) || !cls.newObj) refuse(`constructing ${describePickleValue(cls)}`);
        stack.push(cls.newObj(args));
        break;
      }
      case 0x62: { // BUILD: obj.__setstate__(state)
        const state = pop();
        const target = top();
        if (target instanceof Map) (policy.buildDict ?? (() => {}))(target, state);
        else if (isBuildable(target)) target.build(state);
        else refuse(`setting the state of ${describePickleValue(target)} (BUILD)`);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!policy.persistentLoad) refuse('persistent ids');
        stack.push(policy.persistentLoad(pid));
        break;
      }
      case 0x50: { // PERSID (text)
        const pid = line();
        if (!policy.persistentLoad) refuse('persistent ids');
        stack.push(policy.persistentLoad(pid));
        break;
      }
      case 0x69: { // INST "module\nname\n": instantiates a class from the stream
        const module = line();
        const name = line();
        refuse(`instantiating "${module}.${name}" (INST)`);
        break;
      }
      case 0x6f: { // OBJ: instantiates the class under the mark
        const items = popMark();
        refuse(`instantiating ${items.length ? describePickleValue(items[0]) : 'a class'} (OBJ)`);
        break;
      }
      case 0x92: refuse('NEWOBJ_EX (keyword-argument construction)'); break;
      case 0x82: case 0x83: case 0x84: refuse(`${OPCODE_NAMES[op]} (a class from the copyreg extension registry)`); break;
      default:
        fail('unsupported-opcode', `unsupported pickle opcode ${OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`} at byte ${opAt}`);
    }
  }
}
