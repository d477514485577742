/**
 * The contracts of ops and taps, stated as tests: an op's recorded call must match its
 * definition (checked by the compiler: the @ts-expect-error lines fail `npm run typecheck` when
 * they stop being errors), op gradient taps are listed in taps.ts, and unknown taps are typed
 * errors that list the known ones.
 */
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/gpu/tensor.js';
import { definedOpNames } from '../../src/model/ops/define.js';
import { defineOp, OPS } from '../../src/model/ops/index.js';
import type { Tape } from '../../src/model/tape.js';
import { checkTapSelector, knownTaps, selectedOpGradTaps, TAPS, UnknownTapError } from '../../src/model/taps.js';
import { thrown } from '../helpers/thrown.js';

// Never called: only type-checked.
export function recordsMustMatchTheirOp(tape: Tape, x: Tensor, y: Tensor): void {
  const scaleOp = defineOp<{ alpha: number }, { x: Tensor }>({ name: 'contract-example', backward: () => {} });
  tape.record(scaleOp, { inputs: [x], outputs: [y], saved: { x }, attrs: { alpha: 2 } });
  // @ts-expect-error a saved tensor the backward reads is missing
  tape.record(scaleOp, { inputs: [x], outputs: [y], saved: {}, attrs: { alpha: 2 } });
  // @ts-expect-error attrs of the wrong type
  tape.record(scaleOp, { inputs: [x], outputs: [y], saved: { x }, attrs: { alpha: '2' } });
  // @ts-expect-error an op without a gradient
  defineOp<null>({ name: 'no-gradient' });
  // @ts-expect-error a gradient tap that taps.ts does not list as an op gradient
  defineOp<null>({ name: 'bad-tap', gradTaps: { families: ['tokens'], layer: () => 0 }, backward: () => {} });
}

describe('op definitions', () => {
  it('are all listed in OPS, with unique names, and declare only op-gradient taps', () => {
    const names = OPS.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(definedOpNames().sort());
    for (const op of OPS) for (const f of op.gradTaps?.families ?? []) expect(TAPS[f].grad).toBe('op');
  });

  it('refuse a duplicate name and an undeclared gradient tap at definition time', () => {
    expect(() => defineOp<null>({ name: 'linear', backward: () => {} })).toThrow(/defined twice/);
    const families = ['block'] as unknown as readonly 'attn'[];
    expect(() => defineOp<null>({ name: 'sneaky', gradTaps: { families, layer: () => 0 }, backward: () => {} })).toThrow(/does not list/);
  });
});

describe('taps', () => {
  it('accept every documented name and pattern', () => {
    checkTapSelector(['embed', 'tokens.0', 'qkv.*', 'attn.11', 'block.3'], 'forward', 12);
    checkTapSelector(['input', 'embed', 'tokens.*', 'attn.0', 'scores.*', 'block.11', 'latent', 'logits'], 'grad', 12);
  });

  it('refuse unknown names, out-of-range layers and gradient-only taps in the forward, listing the known ones', () => {
    for (const [tap, use] of [['atn.0', 'grad'], ['attn.12', 'grad'], ['attn', 'forward'], ['scores.0', 'forward'], ['input', 'forward'], ['logits.1', 'grad'], ['block.-1', 'forward']] as const) {
      const e = thrown(() => checkTapSelector([tap], use, 12), UnknownTapError);
      expect(e.code).toBe('unknown-tap');
      expect(e.tap).toBe(tap);
      expect(e.known).toEqual(knownTaps(use, 12));
      expect(e.message).toContain('attn.<0..11|*>');
    }
    expect(knownTaps('grad', 12)).toContain('scores.<0..11|*>');
    expect(knownTaps('forward', 12)).not.toContain('scores.<0..11|*>');
  });

  it('expand op gradient taps by layer', () => {
    expect([...selectedOpGradTaps(['scores.*', 'attn.1', 'input'], 2)].sort()).toEqual(['attn.1', 'scores.0', 'scores.1']);
  });
});
