/**
 * The backward runs only the records a request needs (tape.ts, recordsToRun): asking for the last
 * block's tokens or for attention gradients alone gives the same gradients as a backward that
 * also goes down to the pixels, with fewer dispatches.
 */
import { describe, expect, it } from 'vitest';
import { gradients } from '../../src/model/gradients.js';
import { classTarget } from '../../src/model/targets.js';
import { loadModelDir } from '../../src/node/load.js';
import { relToMax } from '../helpers/compare.js';
import { smallestGoldenCase } from '../helpers/golden.js';
import { gpuContext } from '../helpers/gpu.js';

const g = smallestGoldenCase()!;

describe(`pruned backward (${g?.name})`, () => {
  it('a partial request equals the same gradients of a full backward, in fewer dispatches', async () => {
    const ctx = await gpuContext();
    const model = loadModelDir(ctx, g.dir);
    const L = model.config.depth;
    const x = ctx.upload(g.f32('input'), g.shape('input'));
    const targets = [classTarget(0), classTarget(model.config.numClasses - 1)];
    const dispatches = async (grads: string[]) => {
      const d0 = ctx.dispatches;
      const r = gradients(model, x, targets, { grads });
      const out = new Map<string, Float32Array>();
      for (const name of grads) out.set(name, await r.grads.get(name)!.read());
      r.release();
      return { out, n: ctx.dispatches - d0 };
    };
    const full = await dispatches([`tokens.${L - 1}`, 'attn.0', `scores.${L - 1}`, 'input']);
    for (const partial of [[`tokens.${L - 1}`], ['attn.0'], [`scores.${L - 1}`], [`attn.${L - 1}`, `tokens.${L - 1}`]]) {
      const p = await dispatches(partial);
      expect(p.n, partial.join(' ')).toBeLessThan(full.n);
      for (const name of partial) {
        const ref = full.out.get(name) ?? (await dispatches([name, 'input'])).out.get(name)!;
        expect(relToMax(p.out.get(name)!, ref), name).toBeLessThanOrEqual(1e-6);
      }
    }
    x.release();
    model.dispose();
  });
});
