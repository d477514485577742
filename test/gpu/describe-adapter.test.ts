/** Adapter naming and software detection from GPUAdapterInfo, as Dawn in Node and browsers fill it. */
import { describe, expect, it } from 'vitest';
import { describeAdapter } from '../../src/gpu/context.js';

const device = (features: string[]) => ({ features: new Set(features) }) as unknown as GPUDevice;
const info = (i: Partial<GPUAdapterInfo>) => ({ vendor: '', architecture: '', device: '', description: '', ...i }) as GPUAdapterInfo;

describe('describeAdapter', () => {
  it('names Dawn-in-Node adapters by their description', () => {
    const d = describeAdapter(info({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe (LLVM 19.1.7, 256 bits)' }), device(['subgroups']));
    expect(d.name).toBe('llvmpipe (LLVM 19.1.7, 256 bits)');
    expect(d.isSoftware).toBe(true);
    expect(d.subgroups).toBe(true);
  });

  it('names browser adapters, which report only vendor and architecture, by both', () => {
    // What Chrome 156 reports for SwiftShader (description and device are empty in browsers).
    const d = describeAdapter(info({ vendor: 'google', architecture: 'swiftshader' }), device([]));
    expect(d.name).toBe('google swiftshader');
    expect(d.isSoftware).toBe(true);
    expect(d.subgroups).toBe(false);
    expect(describeAdapter(info({ vendor: 'nvidia', architecture: 'blackwell' }), device([])).name).toBe('nvidia blackwell');
    expect(describeAdapter(undefined, device([])).name).toBe('unknown adapter');
  });
});
