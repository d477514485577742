/**
 * The CLI's parsing pieces without a process: option names and their alternatives, stray
 * arguments, "did you mean", --class values (ids, topK, label names), short lists in messages,
 * and the filter that keeps Dawn's start-up warnings off stderr.
 */
import { describe, expect, it } from 'vitest';
import { listOption, parseArgs } from '../../src/cli/args.js';
import { parseClassArgs, parseMethods, resolveClassArgs } from '../../src/cli/common.js';
import { DAWN_NOISE, NoiseFilter } from '../../src/cli/dawn-noise.js';
import { CliError } from '../../src/cli/errors.js';
import { closest, editDistance } from '../../src/cli/suggest.js';
import { METHODS } from '../../src/explain/registry.js';
import { briefList } from '../../src/list-text.js';
import type { VisionTransformer } from '../../src/model/vit.js';
import { thrown } from '../helpers/thrown.js';

const usage = (f: () => unknown): string => {
  const e = thrown(f);
  expect(e).toBeInstanceOf(CliError);
  return (e as Error).message;
};

describe('parseArgs', () => {
  const spec = { method: { value: true, multiple: true, also: ['methods'] }, colormap: { value: true }, json: {} };

  it('an option\'s other names land under its key', () => {
    const p = parseArgs(['--methods', 'a,b', '--method=c', '--json'], spec);
    expect(listOption(p, 'method')).toEqual(['a', 'b', 'c']);
    expect(p.flags.has('json')).toBe(true);
  });

  it('suggests the closest option for a typo', () => {
    expect(usage(() => parseArgs(['--colourmap', 'x'], spec))).toBe('unknown option --colourmap (did you mean --colormap?)');
    expect(usage(() => parseArgs(['--metod=x'], spec))).toBe('unknown option --metod (did you mean --method?)');
    expect(usage(() => parseArgs(['--zzz'], spec))).toBe('unknown option --zzz (see --help)');
  });

  it('refuses stray arguments beyond what the command takes', () => {
    expect(usage(() => parseArgs(['extra-arg'], spec, { max: 0 }))).toBe('unexpected argument "extra-arg": this command takes no arguments; options start with --');
    expect(usage(() => parseArgs(['a', 'b'], spec, { max: 1, what: 'FILE or DIR' }))).toMatch(/^unexpected argument "b": this command takes 1 argument \(FILE or DIR\)/);
    expect(parseArgs(['a', 'b', 'c'], spec).positionals).toEqual(['a', 'b', 'c']);
  });
});

describe('did you mean', () => {
  it('edit distance counts insertions, deletions, substitutions and swaps', () => {
    expect(editDistance('cdam', 'cdam')).toBe(0);
    expect(editDistance('cdm', 'cdam')).toBe(1);
    expect(editDistance('rollotu', 'rollout')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only near names', () => {
    const names = METHODS.map((m) => m.name);
    expect(closest('gradcm', names)).toBe('gradcam');
    expect(closest('Rollout', names)).toBe('rollout');
    expect(closest('smooth', names)).toBe('smoothgrad');
    expect(closest('lime', names)).toBeUndefined();
  });

  it('methods: aliases accepted, unknown names answered with a suggestion or a short list', () => {
    expect(parseMethods(['blank-out', 'blankout', 'occlusion']).map((m) => m.name)).toEqual(['occlusion']);
    expect(usage(() => parseMethods(['gradcm']))).toBe('unknown method "gradcm" (did you mean "gradcam"?)');
    const msg = usage(() => parseMethods(['lime']));
    expect(msg).toMatch(new RegExp(`^unknown method "lime" \\(${METHODS.length + 1} known: attention, rollout, .* and \\d+ more; see --help\\)$`));
  });
});

describe('--class values', () => {
  const model = { config: { numClasses: 10, labelNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] } } as unknown as VisionTransformer;
  const resolve = (...v: string[]) => resolveClassArgs(parseClassArgs(v), model);

  it('ids, top, topK and label names (case, spaces, hyphens ignored)', () => {
    expect(resolve()).toEqual(['top']);
    expect(resolve('3', 'top', 'TOP2', 'bag', 'ANKLE-BOOT', 'ankle_boot', 't-shirt/top')).toEqual([3, 'top', 'top2', 8, 9, 9, 0]);
  });

  it('every bad value is a usage error (exit 2) that says why', () => {
    expect(usage(() => resolve('top0'))).toBe('--class top0: topK needs K >= 1 (e.g. top3)');
    expect(usage(() => resolve('top11'))).toBe('--class top11: K must be between 1 and 10 (this model has 10 classes)');
    expect(usage(() => resolve('10'))).toBe('--class 10: class id 10 is out of range: this model has 10 classes (0..9)');
    expect(usage(() => resolve('-1'))).toBe('--class -1: class ids are >= 0');
    expect(usage(() => resolve('Bga'))).toBe('--class "Bga": no class of this model has that name (did you mean "Bag"?)');
    expect(usage(() => resolve('xyzzy'))).toBe('--class "xyzzy": no class of this model has that name (10 classes: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal and 4 more)');
    const unnamed = { config: { numClasses: 5 } } as unknown as VisionTransformer;
    expect(usage(() => resolveClassArgs(parseClassArgs(['cat']), unnamed))).toMatch(/this model has no label names/);
  });
});

describe('messages', () => {
  it('briefList names a few and counts the rest', () => {
    expect(briefList(['a', 'b'])).toBe('a, b');
    expect(briefList(Array.from({ length: 56 }, (_, i) => `t${i}`))).toBe('t0, t1, t2, t3, t4 and 51 more');
  });

  it('Dawn\'s two start-up warnings are dropped, everything else passes, partial lines at once', () => {
    const lines = [
      'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
      'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
    ];
    for (const l of lines) expect(DAWN_NOISE.test(l)).toBe(true);
    let out = '';
    const f = new NoiseFilter((s) => (out += s));
    f.push(`${lines[0]}\n${lines[1].slice(0, 30)}`);
    expect(out).toBe('');
    f.push(`${lines[1].slice(30)}\nvitlens explain: bad`);
    f.push(' thing\n\rimages [###.] 3/4');
    expect(out).toBe('vitlens explain: bad thing\n\rimages [###.] 3/4');
    f.push('\nWarning: something else\n');
    f.end();
    expect(out).toBe('vitlens explain: bad thing\n\rimages [###.] 3/4\nWarning: something else\n');
  });
});
