/**
 * The explain command's progress detail: a slow step that created GPU pipelines says how many
 * (on a CPU adapter, why the first run is slow, once); fast steps and steps that reused every
 * pipeline show their time alone.
 */
import { describe, expect, it } from 'vitest';
import { pipelineNotes } from '../../src/cli/progress.js';

function fakeContext(isSoftware: boolean) {
  return { pipelineCount: 0, info: { isSoftware } };
}

describe('pipelineNotes', () => {
  it('explains a slow step that compiled pipelines on a CPU adapter, once', () => {
    const ctx = fakeContext(true);
    const notes = pipelineNotes(ctx);
    ctx.pipelineCount = 7;
    expect(notes.detail(16_395)).toBe('16395 ms (7 new GPU pipelines, compiled on first use: later runs take them from the disk cache)');
    ctx.pipelineCount = 8;
    expect(notes.detail(3_066)).toBe('3066 ms (1 new GPU pipeline)');
  });

  it('shows the time alone when no pipeline is new or the step was fast (a warm disk cache)', () => {
    const ctx = fakeContext(true);
    const notes = pipelineNotes(ctx);
    expect(notes.detail(5_000)).toBe('5000 ms');
    ctx.pipelineCount = 7;
    expect(notes.detail(276)).toBe('276 ms');
    // The fast step's pipelines are not counted again by the next slow one.
    expect(notes.detail(2_000)).toBe('2000 ms');
  });

  it('counts pipelines but gives no CPU-adapter explanation on hardware adapters', () => {
    const ctx = fakeContext(false);
    const notes = pipelineNotes(ctx);
    ctx.pipelineCount = 3;
    expect(notes.detail(1_500)).toBe('1500 ms (3 new GPU pipelines)');
  });
});
